/**
 * swarmkit for Node: the core (src/index.ts) plus Node's pieces. `Session` here stores torrents on
 * disk by default (fs storage under each torrent's savePath, default the working directory), hashes
 * on a worker_threads pool, and reaches peers over TCP: one listening TCP transport per
 * `listenInterfaces` entry (e.g. '0.0.0.0:6881,[::]:6881'; port 0 = any free port). One UDP socket on
 * the listen port carries the DHT, UDP trackers and uTP (transports/udp, transports/utp; uTP is dialled
 * when TCP fails, and accepted, per `enableOutgoingUtp` / `enableIncomingUtp`); LSD runs on real multicast
 * (transports/lsd). `enableDht` / `enableLsd` (default true, as libtorrent) turn them off.
 * ws:// / wss:// trackers reach WebRTC peers (browsers, WebTorrent) through @roamhq/wrtc when that
 * optional dependency is installed (else they are skipped with a tracker_warning), over the `ws` package:
 * a session seeds over TCP and WebRTC at once.
 */
export * from '../src/index.js';
export * from '../src/stream/index.js';
export { createStreamServer, createReadStream, HostAllowList } from '../stream-server/index.js';
export type { StreamServer, StreamServerOptions } from '../stream-server/index.js';
export { createFsStorage } from '../storage-adapters/fs/index.js';
export type { FsStorageAdapter, FsStorageOptions } from '../storage-adapters/fs/index.js';
export { createMemoryStorage } from '../storage-adapters/memory/index.js';
export type { MemoryStorageAdapter, MemoryStorageOptions } from '../storage-adapters/memory/index.js';
export { createHashPool } from '../src/platform/hash-pool.node.js';
export type { HashPool } from '../src/platform/hash-pool.node.js';
export { createTcpTransport } from '../transports/tcp/index.js';
export { createUdpFactory } from '../transports/udp/index.js';
export { startLsd } from '../transports/lsd/index.js';
export { withUdpDiscovery } from '../src/session/udp-discovery.js';
export type { UdpDiscovery, UdpServices, UdpServicesOptions } from '../src/session/discovery.js';
export { Session, hasNodeWebRtc, nodeLsd, nodeWebSocket, resolveHost, tcpTransportsFor, webRtcOption } from './node-session.js';
export type { TcpTransportOptions } from '../transports/tcp/index.js';
export { WebRtcTransport } from '../transports/webrtc/index.js';
export type { WebRtcTransportOptions } from '../transports/webrtc/index.js';
