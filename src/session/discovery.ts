/**
 * The session's peer-discovery services (libtorrent's session-level DHT, UDP socket and LSD):
 *
 * - One UDP socket (when the session has a DatagramFactory: Node's entry passes transports/udp) bound on
 *   the first listen interface's host and the TCP listen port (else any port), shared through a UdpDemux
 *   by the UDP tracker client (BEP 15), the DHT node (BEP 5) and, when the runtime gives one, a uTP
 *   transport (BEP 29) the session adds to its transports. `listen_succeeded` with socketType `udp`.
 *   Those UDP services come from the factory itself ({@link UdpDiscovery}, made by ./udp-discovery.ts) and
 *   this file imports only their types, so a browser build (no UDP) does not carry them; a bare
 *   DatagramFactory loads ./udp-discovery.ts on demand. Binding the socket and starting the DHT on it
 *   (./udp-start.ts) is loaded with the first bind too, so a session without UDP (a page) never loads it.
 * - Tracker clients: HTTP(S) (fetch, both runtimes; its code is loaded on the first http(s) announce,
 *   ../tracker/http-lazy.ts, from the announcer's chunk: ../torrent/discovery/torrent-announcer.ts) and UDP
 *   (with the socket).
 * - The DHT node when `enableDht` (and a socket): settings from the session's dht* settings, bootstrap
 *   from `dhtBootstrapNodes` (comma-separated host:port; names need the `resolve` option) and from a
 *   loaded state; its events become dht_bootstrap / dht_reply / dht_get_peers / dht_announce alerts.
 * - LSD when `enableLsd` and the session has an LSD factory (Node: transports/lsd).
 *
 * Everything starts once the TCP listeners are bound (the port is announced) and is closed by close();
 * a failure to bind UDP or join LSD is posted (listen_failed / session_error) and the rest runs without it.
 */
import { TorrentError, isTorrentError } from '../errors.js';
import type { DatagramFactory, DatagramSocket } from '../interfaces/datagram.js';
import type { Logger } from '../interfaces/logger.js';
import type { PeerAddress, Transport } from '../interfaces/transport.js';
import type { DhtNode, DhtNodeOptions } from '../dht/node.js';
import { createLazyHttpTrackerClient } from '../tracker/http-lazy.js';
import type { HttpTrackerModule } from '../tracker/http-lazy.js';
import type { UdpTrackerOptions } from '../tracker/udp.js';
import type { TrackerClient } from '../tracker/types.js';
import type { DiscoveryServices } from '../torrent/discovery/torrent-peers.js';
import type { AlertFields, AlertType } from './alerts.js';
import { parseListenInterfaces } from './listen-interfaces.js';
import { decodeSessionState, encodeSessionState } from './session-state.js';
import type { SettingsPack } from './settings.js';
import type { SessionWebRtc } from './webrtc.js';
import type { WebSocketTrackerAvailability } from '../torrent/discovery/websocket-trackers.js';
import { lazy } from '../lazy.js';

/** Binding the UDP socket and starting the DHT: loaded only for a session with a `datagram` option. */
const loadUdpStart = lazy(() => import('./udp-start.js'));
type UdpStart = Awaited<ReturnType<typeof loadUdpStart>>;

/** A running LSD service (Node: transports/lsd `startLsd`). */
export interface LsdService {
  addTorrent(infoHashHex: string): void;
  removeTorrent(infoHashHex: string): void;
  close(): Promise<void>;
}

/** Starts LSD for a session; given by the runtime entry (browsers have no multicast). */
export type LsdFactory = (opts: { listenPort: number; onPeer(infoHashHex: string, peer: PeerAddress): void; onError(err: Error): void }) => Promise<LsdService>;

/** Options of {@link UdpDiscovery.services}. */
export interface UdpServicesOptions {
  /** Retransmission of UDP tracker requests. */
  tracker: UdpTrackerOptions;
}

/** The UDP-only discovery services over one bound socket (./udp-discovery.ts). */
export interface UdpServices {
  /** The socket's bound address. */
  readonly address: PeerAddress;
  /** The UDP tracker client (BEP 15) on the socket. */
  readonly tracker: TrackerClient;
  /** A DHT node (BEP 5) on the socket, not started. */
  createDht(opts: DhtNodeOptions): DhtNode;
  /**
   * A peer transport on the same socket (Node: uTP, BEP 29), if the runtime gives one: the session adds it
   * to its transports, so peers reach it on the TCP listen port over UDP, as they reach libtorrent.
   */
  readonly transport?: Transport;
  /** Closes the transport, the tracker client and the socket. */
  close(): Promise<void>;
}

/**
 * A DatagramFactory that also runs the UDP services over a socket it bound: the session's `datagram` option
 * as entry/node.ts passes it (`withUdpDiscovery(createUdpFactory())` from ./udp-discovery.ts).
 */
export interface UdpDiscovery extends DatagramFactory {
  /** Starts the UDP tracker client and the demux on `sock` (owned by the result from now on). */
  services(sock: DatagramSocket, opts: UdpServicesOptions): UdpServices;
}

/** What discovery needs from the session. */
export interface SessionDiscoveryHost {
  readonly peerId: Uint8Array;
  settings(): Readonly<SettingsPack>;
  post<K extends AlertType>(type: K, fields: AlertFields<K>): void;
  /** Resolves once the TCP listeners are bound. */
  readonly listenReady: Promise<void>;
  listenPort(): number;
  /** Id and name of the torrent with this 20-byte handshake hash (hex), if any. */
  torrentOf(infoHashHex: string): { infoHash: string; name: string } | undefined;
  /** A peer for a torrent (by handshake hash hex) from LSD. */
  lsdPeer(infoHashHex: string, peer: PeerAddress): void;
  /** Takes a peer transport that runs on the UDP socket (uTP) into the session's transports. */
  addTransport(t: Transport): Promise<void>;
  logger: Logger;
}

/** Options the session passes through. */
export interface SessionDiscoveryOptions {
  /** UDP for the DHT and UDP trackers; a bare DatagramFactory loads ./udp-discovery.ts when bound. */
  datagram?: DatagramFactory | UdpDiscovery;
  lsd?: LsdFactory;
  resolve?: (host: string) => Promise<string[]>;
  /** A saved state (see Session.saveState) to load before the DHT starts. */
  state?: Uint8Array;
  /** WebRTC for ws:// trackers (src/session/webrtc.ts); closed by close(). */
  webrtc?: SessionWebRtc;
}

/** Session-level discovery (see the module notes). */
export class SessionDiscovery implements DiscoveryServices {
  readonly peerId: Uint8Array;
  readonly ready: Promise<void>;
  readonly #h: SessionDiscoveryHost;
  readonly #opts: SessionDiscoveryOptions;
  readonly #http: TrackerClient;
  #udp: UdpServices | undefined;
  #dht: DhtNode | undefined;
  #dhtStarted: Promise<void> | undefined;
  #lsd: LsdService | undefined;
  #dhtState: { id?: Uint8Array; nodes?: Uint8Array; nodes6?: Uint8Array } | undefined;
  #closed = false;

  constructor(host: SessionDiscoveryHost, opts: SessionDiscoveryOptions) {
    this.#h = host;
    this.#opts = opts;
    this.peerId = host.peerId;
    const s = host.settings();
    // Loaded with the announcer, which announces to it (one chunk: torrent-announcer.ts).
    const load = (): Promise<HttpTrackerModule> => import('../torrent/discovery/torrent-announcer.js');
    this.#http = createLazyHttpTrackerClient(load, { userAgent: s.userAgent, timeoutMs: s.trackerCompletionTimeout * 1000 });
    this.ready = host.listenReady.catch(() => undefined).then(() => this.#start());
    this.ready.catch(() => undefined);
  }

  settings(): Readonly<SettingsPack> {
    return this.#h.settings();
  }

  listenPort(): number {
    return this.#h.listenPort();
  }

  trackerClients(): readonly TrackerClient[] {
    return this.#udp ? [this.#http, this.#udp.tracker] : [this.#http];
  }

  /** Loads a saved state: settings are returned for the session to apply; DHT id and nodes are kept for the DHT. */
  loadState(bytes: Uint8Array): { settings: Partial<SettingsPack>; skipped: string[] } {
    const st = decodeSessionState(bytes);
    // The DHT part only counts before the DHT starts (its id cannot change later).
    if (st.dht && !this.#dht) this.#dhtState = st.dht;
    return { settings: st.settings, skipped: st.skipped };
  }

  /** Settings and the DHT's id and nodes, bencoded. */
  saveState(): Uint8Array {
    return encodeSessionState(this.#h.settings(), this.#dht?.saveState());
  }

  async #start(): Promise<void> {
    if (this.#closed) return;
    const s = this.#h.settings();
    const factory = this.#opts.datagram;
    if (this.#opts.state) {
      try {
        const st = this.loadState(this.#opts.state);
        if (st.skipped.length > 0) this.#h.logger.warn('saved state: settings skipped', { skipped: st.skipped.join(',') });
      } catch (err) {
        this.#h.post('session_error', { error: { code: isTorrentError(err) ? err.code : 'invalid_argument', message: `saved state ignored: ${String(err instanceof Error ? err.message : err)}` } });
      }
    }
    if (factory) await this.#bindUdp(factory, s);
    if (this.#closed) return;
    const udpStart = loadUdpStart.loaded; // loaded by #bindUdp, which made #udp
    if (this.#udp && udpStart && s.enableDht) {
      ({ node: this.#dht, started: this.#dhtStarted } = udpStart.startDht(this.#udp, s, this.#h, this.#opts.resolve, this.#dhtState));
    }
    if (this.#opts.lsd && s.enableLsd && this.listenPort() > 0) {
      try {
        this.#lsd = await this.#opts.lsd({
          listenPort: this.listenPort(),
          onPeer: (ih, peer) => this.#h.lsdPeer(ih, peer),
          onError: (err) => this.#h.logger.debug('lsd', { error: err.message }),
        });
        if (this.#closed) await this.#lsd.close();
      } catch (err) {
        this.#h.post('session_error', { error: { code: 'listen_failed', message: `local service discovery: ${String(err instanceof Error ? err.message : err)}` } });
      }
    }
  }

  async #bindUdp(given: DatagramFactory | UdpDiscovery, s: Readonly<SettingsPack>): Promise<void> {
    const iface = parseListenInterfaces(s.listenInterfaces)[0];
    const host = iface?.host ?? '0.0.0.0';
    const tcp = this.listenPort();
    let factory: UdpDiscovery;
    let start: UdpStart;
    try {
      factory = isUdpDiscovery(given) ? given : (await import('./udp-discovery.js')).withUdpDiscovery(given);
      start = await loadUdpStart();
    } catch (err) {
      const e = isTorrentError(err) ? err : new TorrentError('listen_failed', String(err));
      this.#h.post('listen_failed', { address: host, port: tcp, socketType: 'udp', operation: 'bind', error: { code: e.code, message: e.message } });
      return;
    }
    await start.bindUdp({ host: this.#h, closed: () => this.#closed, bound: (udp) => { this.#udp = udp; } }, factory, host, tcp, s);
  }

  /** The DHT as torrents use it (announce and look up after the bootstrap). */
  dht(): ReturnType<DiscoveryServices['dht']> {
    const node = this.#dht;
    const started = this.#dhtStarted;
    if (!node || !started || this.#closed) return undefined;
    return {
      getPeers: async (ih, onPeers) => {
        await started;
        return node.getPeers(ih, onPeers);
      },
      announce: async (ih, port) => {
        await started;
        return node.announce(ih, { port });
      },
    };
  }

  /** The shared WebSocket-tracker services, or why ws trackers are skipped. */
  webSocketTrackers(): WebSocketTrackerAvailability {
    return this.#opts.webrtc?.services() ?? { unavailable: 'this session has no WebRTC' };
  }

  lsd(): ReturnType<DiscoveryServices['lsd']> {
    return this.#lsd;
  }

  /** The running DHT node, if any (for session.dht* calls). */
  dhtNode(): DhtNode | undefined {
    return this.#dht;
  }

  /** The bound UDP port (DHT and UDP trackers), 0 when none. */
  udpPort(): number {
    return this.#udp?.address.port ?? 0;
  }

  /** Closes LSD, the DHT, the UDP tracker client and the socket. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.ready.catch(() => undefined);
    await this.#lsd?.close().catch(() => undefined);
    await this.#dht?.close();
    await this.#dhtStarted;
    await this.#udp?.close().catch(() => undefined);
    await this.#opts.webrtc?.close().catch(() => undefined);
  }
}

function isUdpDiscovery(f: DatagramFactory | UdpDiscovery): f is UdpDiscovery {
  return typeof (f as Partial<UdpDiscovery>).services === 'function';
}
