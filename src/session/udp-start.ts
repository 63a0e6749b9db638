/**
 * Binding the session's UDP socket and starting the DHT on it, for ./discovery.ts. Apart from it so that a
 * session without a `datagram` option (every page: browsers have no UDP) never loads this code; discovery.ts
 * loads it with a dynamic import before the first bind. The UDP services themselves come from the
 * {@link UdpDiscovery} factory (./udp-discovery.ts); this file imports only types from the DHT.
 */
import { TorrentError, isTorrentError } from '../errors.js';
import type { PeerAddress } from '../interfaces/transport.js';
import { toHex } from '../metainfo/info-hash.js';
import type { DhtNode, DhtNodeOptions } from '../dht/node.js';
import type { DhtEvent } from '../dht/settings.js';
import type { SessionDiscoveryHost, UdpDiscovery, UdpServices } from './discovery.js';
import type { SettingsPack } from './settings.js';

/** What {@link bindUdp} needs from the discovery object. */
export interface UdpBindContext {
  readonly host: SessionDiscoveryHost;
  /** True once discovery is closing: a socket bound late is closed again. */
  closed(): boolean;
  /** The services are up (called before their transport is added, so close() closes them either way). */
  bound(udp: UdpServices): void;
}

/**
 * Binds the socket on `address`, on the TCP listen port `tcp` (else any port), and starts the UDP services
 * on it; each failed bind is posted as `listen_failed`, success as `listen_succeeded` (socketType `udp`).
 */
export async function bindUdp(ctx: UdpBindContext, factory: UdpDiscovery, address: string, tcp: number, s: Readonly<SettingsPack>): Promise<void> {
  let sock;
  for (const port of tcp > 0 ? [tcp, 0] : [0]) {
    try {
      sock = await factory.bind({ host: address, port });
      break;
    } catch (err) {
      const e = isTorrentError(err) ? err : new TorrentError('listen_failed', String(err));
      ctx.host.post('listen_failed', { address, port, socketType: 'udp', operation: 'bind', error: { code: e.code, message: e.message } });
    }
  }
  if (!sock) return;
  if (ctx.closed()) {
    await sock.close();
    return;
  }
  const udp = factory.services(sock, { tracker: { retransmitBaseMs: Math.min(15_000, s.trackerReceiveTimeout * 1000), maxRetransmits: 2 } });
  ctx.bound(udp);
  ctx.host.post('listen_succeeded', { address: sock.address.host, port: sock.address.port, socketType: 'udp' });
  if (udp.transport) await ctx.host.addTransport(udp.transport);
}

/**
 * Makes the DHT node on the socket from the session's dht* settings (bootstrap nodes: comma-separated
 * host:port), loads a saved DHT state into it and starts it; its events become alerts.
 */
export function startDht(
  udp: UdpServices,
  s: Readonly<SettingsPack>,
  host: SessionDiscoveryHost,
  resolve: DhtNodeOptions['resolve'],
  state: Parameters<DhtNode['loadState']>[0] | undefined,
): { node: DhtNode; started: Promise<void> } {
  const bootstrapNodes = s.dhtBootstrapNodes.split(',').map((x) => x.trim()).filter((x) => x !== '');
  const node = udp.createDht({
    settings: {
      enforceNodeId: s.dhtEnforceNodeId,
      restrictRoutingIps: s.dhtRestrictRoutingIps,
      restrictSearchIps: s.dhtRestrictSearchIps,
      blockRateLimit: s.dhtBlockRatelimit,
      uploadRateLimit: s.dhtUploadRateLimit,
      bootstrapNodes,
    },
    onEvent: (e) => dhtEvent(host, e),
    logger: host.logger,
    ...(resolve ? { resolve } : {}),
  });
  if (state) node.loadState(state);
  return { node, started: node.start().catch(() => undefined) };
}

function dhtEvent(host: SessionDiscoveryHost, e: DhtEvent): void {
  const from = (a: PeerAddress): { ip: string; port: number } => ({ ip: a.host, port: a.port });
  switch (e.type) {
    case 'dht_bootstrap': return host.post('dht_bootstrap', { nodes: e.nodes });
    case 'dht_reply': {
      const hex = toHex(e.infoHash);
      const ids = host.torrentOf(hex) ?? { infoHash: hex, name: '' };
      return host.post('dht_reply', { ...ids, numPeers: e.numPeers, from: from(e.from) });
    }
    case 'dht_get_peers': return host.post('dht_get_peers', { infoHash: toHex(e.infoHash), from: from(e.from) });
    case 'dht_announce': return host.post('dht_announce', { infoHash: toHex(e.infoHash), ip: e.host, port: e.port });
    default: return undefined;
  }
}
