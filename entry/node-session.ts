/**
 * The Node `Session` (fs storage, TCP + uTP, the UDP services, LSD, WebRTC through @roamhq/wrtc when installed,
 * `ws` for WebSocket trackers) and the helpers it is built from. Apart from entry/node.ts, which re-exports all
 * of it with the rest of the package, so the CLI's swarm commands import only what a session needs (module
 * loading is most of a short CLI run's start-up CPU).
 */
import { Session as CoreSession } from '../src/session/session.js';
import type { SessionOptions } from '../src/session/session.js';
import { defaultSettings, validateSettings } from '../src/session/settings.js';
import { parseListenInterfaces } from '../src/session/listen-interfaces.js';
import type { Transport } from '../src/interfaces/transport.js';
import { createFsStorage } from '../storage-adapters/fs/index.js';
import { createTcpTransport } from '../transports/tcp/index.js';
import { createUdpFactory } from '../transports/udp/index.js';
import { createUtpTransport } from '../transports/utp/index.js';
import { startLsd } from '../transports/lsd/index.js';
import type { LsdFactory } from '../src/session/discovery.js';
import { withUdpDiscovery } from '../src/session/udp-discovery.js';
import { lookup } from 'node:dns/promises';
import { createRequire } from 'node:module';
import { WebRtcTransport } from '../transports/webrtc/index.js';
import type { WebRtcTransportOptions } from '../transports/webrtc/index.js';
import type { SessionWebRtcOptions } from '../src/session/webrtc.js';
import type { WebSocketConstructor, WebSocketLike } from '../src/tracker/websocket-pool.js';

export { createUdpFactory } from '../transports/udp/index.js';

/** LSD for a Node session: the IPv4 group on every interface (transports/lsd). */
export const nodeLsd: LsdFactory = (o) => startLsd({ listenPort: o.listenPort, onPeer: (ih, p) => o.onPeer(ih, p), onError: o.onError });

/** Resolves a DHT bootstrap host name to its addresses. */
export async function resolveHost(host: string): Promise<string[]> {
  return (await lookup(host, { all: true })).map((a) => a.address);
}

/**
 * TCP transports for a `listenInterfaces` string: one per entry (listening there), or one dial-only
 * transport when the string is empty. Connect timeouts follow `peerConnectTimeout` (seconds).
 */
export function tcpTransportsFor(listenInterfaces: string, peerConnectTimeout = defaultSettings.peerConnectTimeout): Transport[] {
  const ifaces = parseListenInterfaces(listenInterfaces);
  const connectTimeoutMs = peerConnectTimeout * 1000;
  // 256 KiB socket buffers let several 16 KiB blocks share one syscall.
  const highWaterMark = 256 * 1024;
  if (ifaces.length === 0) return [createTcpTransport({ connectTimeoutMs, highWaterMark })];
  return ifaces.map((i) => createTcpTransport({ listenHost: i.host, port: i.port, connectTimeoutMs, highWaterMark }));
}


/** Whether @roamhq/wrtc (Node's WebRTC, an optional dependency) can be loaded. */
export function hasNodeWebRtc(): boolean {
  try {
    createRequire(import.meta.url).resolve('@roamhq/wrtc');
    return true;
  } catch {
    return false;
  }
}

/**
 * The session's `webrtc` option over transports/webrtc (`opts` e.g. `rtcConfig` for ICE servers); the
 * session's caps become the transport's `maxConnections` / `maxConnectionsPerKey`.
 */
export function webRtcOption(opts: WebRtcTransportOptions & { maxConnectionsPerTorrent?: number; offersPerAnnounce?: number } = {}): SessionWebRtcOptions {
  const { maxConnectionsPerTorrent, offersPerAnnounce, ...transport } = opts;
  return {
    createConnector: (l) => new WebRtcTransport({ ...transport, maxConnections: l.maxConnections, maxConnectionsPerKey: l.maxConnectionsPerTorrent }),
    ...(transport.maxConnections !== undefined ? { maxConnections: transport.maxConnections } : {}),
    ...(maxConnectionsPerTorrent !== undefined ? { maxConnectionsPerTorrent } : {}),
    ...(offersPerAnnounce !== undefined ? { offersPerAnnounce } : {}),
  };
}

let wsClass: WebSocketConstructor | undefined;

/**
 * The `ws` package's WebSocket, as the WebSocket-tracker pool's constructor. `ws` (~30 ms of start-up to
 * load) is required on the first socket, so sessions without ws:// trackers (the CLI's TCP download) never
 * load it; it is CommonJS, so a synchronous require serves `new` directly.
 */
export const nodeWebSocket = function NodeWebSocket(url: string): WebSocketLike {
  wsClass ??= createRequire(import.meta.url)('ws') as WebSocketConstructor;
  return new wsClass(url);
} as unknown as WebSocketConstructor;

/** SO_RCVBUF / SO_SNDBUF of the session's UDP socket (uTP needs more than the default; the kernel caps it). */
const UDP_BUFFER_SIZE = 2 * 1024 * 1024;

/** A {@link CoreSession} whose default storage is the file system and default transport TCP. */
export class Session extends CoreSession {
  constructor(opts: SessionOptions = {}) {
    const settings = { ...defaultSettings, ...validateSettings(opts.settings ?? {}) };
    super({
      ...opts,
      storage: opts.storage ?? ((savePath: string) => createFsStorage({ savePath: savePath === '' ? '.' : savePath })),
      transports: opts.transports ?? tcpTransportsFor(settings.listenInterfaces, settings.peerConnectTimeout),
      datagram: withUdpDiscovery(opts.datagram ?? createUdpFactory({ bufferSize: UDP_BUFFER_SIZE }), { transport: (demux) => createUtpTransport({ demux }) }),
      lsd: opts.lsd ?? nodeLsd,
      resolve: opts.resolve ?? resolveHost,
      webrtc: opts.webrtc ?? (hasNodeWebRtc() ? webRtcOption() : { unavailable: 'no WebRTC in Node: install the optional dependency @roamhq/wrtc' }),
      webSocket: opts.webSocket ?? nodeWebSocket,
    });
  }
}
