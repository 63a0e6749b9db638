/**
 * The UDP-only half of session discovery: the shared-socket demux (src/net/udp-demux.ts), the UDP tracker
 * client (BEP 15), the DHT node (BEP 5) and an optional peer transport on the same socket (uTP). It lives apart from src/session/discovery.ts so that the core
 * session does not import it statically: browsers have no UDP, and these modules are a quarter of what the
 * browser bundle would otherwise carry. entry/node.ts passes `withUdpDiscovery(createUdpFactory())` as the
 * session's `datagram` option; a core session given a bare DatagramFactory loads this module on first bind
 * (a dynamic import, so app bundlers split it off and the browser bundle replaces it: vite.lib.config.ts).
 */
import type { DatagramFactory, DatagramSocket } from '../interfaces/datagram.js';
import type { Transport } from '../interfaces/transport.js';
import { UdpDemux } from '../net/udp-demux.js';
import { DhtNode } from '../dht/node.js';
import { dhtSocketFromDemux } from '../dht/demux-socket.js';
import { UdpTrackerClient } from '../tracker/udp.js';
import type { UdpDiscovery, UdpServices, UdpServicesOptions } from './discovery.js';

/** Options of {@link withUdpDiscovery}. */
export interface UdpDiscoveryOptions {
  /**
   * Makes a peer transport on the shared socket's demux (Node: `(demux) => createUtpTransport({ demux })`
   * from transports/utp). It must not own the socket: the services close it before the socket.
   */
  transport?: (demux: UdpDemux) => Transport;
}

/** The UDP services over one bound socket: demultiplexed between the UDP tracker client, the DHT and uTP. */
function udpServices(sock: DatagramSocket, opts: UdpServicesOptions, extra: UdpDiscoveryOptions): UdpServices {
  const demux = new UdpDemux(sock);
  const tracker = new UdpTrackerClient(demux, opts.tracker);
  const transport = extra.transport?.(demux);
  return {
    address: demux.address,
    tracker,
    createDht: (o) => new DhtNode(dhtSocketFromDemux(demux), o),
    ...(transport ? { transport } : {}),
    close: async () => {
      await transport?.close().catch(() => undefined);
      tracker.close();
      await demux.close();
    },
  };
}

/**
 * `factory` (e.g. transports/udp `createUdpFactory()`) as the session's `datagram` option with the DHT and
 * UDP tracker client included, and the transport `opts.transport` makes (uTP in Node) (returned as is when it already is a {@link UdpDiscovery}).
 */
export function withUdpDiscovery(factory: DatagramFactory, opts: UdpDiscoveryOptions = {}): UdpDiscovery {
  if (typeof (factory as Partial<UdpDiscovery>).services === 'function') return factory as UdpDiscovery;
  return { bind: (o) => factory.bind(o), services: (sock, o) => udpServices(sock, o, opts) };
}
