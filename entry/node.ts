/**
 * swarmkit for Node: the core (src/index.ts) plus Node's pieces. `Session` here stores torrents on
 * disk by default (fs storage under each torrent's savePath, default the working directory), hashes
 * on a worker_threads pool, and reaches peers over TCP: one listening TCP transport per
 * `listenInterfaces` entry (e.g. '0.0.0.0:6881,[::]:6881'; port 0 = any free port). One UDP socket on
 * the listen port carries the DHT and UDP trackers (transports/udp); LSD runs on real multicast
 * (transports/lsd). `enableDht` / `enableLsd` (default true, as libtorrent) turn them off.
 */
import { Session as CoreSession } from '../src/session/session.js';
import type { SessionOptions } from '../src/session/session.js';
import { defaultSettings, validateSettings } from '../src/session/settings.js';
import { parseListenInterfaces } from '../src/session/listen-interfaces.js';
import type { Transport } from '../src/interfaces/transport.js';
import { createFsStorage } from '../storage-adapters/fs/index.js';
import { createTcpTransport } from '../transports/tcp/index.js';
import { createUdpFactory } from '../transports/udp/index.js';
import { startLsd } from '../transports/lsd/index.js';
import type { LsdFactory } from '../src/session/discovery.js';
import { lookup } from 'node:dns/promises';

export * from '../src/index.js';
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

/** LSD for a Node session: the IPv4 group on every interface (transports/lsd). */
export const nodeLsd: LsdFactory = (o) => startLsd({ listenPort: o.listenPort, onPeer: (ih, p) => o.onPeer(ih, p), onError: o.onError });

/** Resolves a DHT bootstrap host name to its addresses. */
export async function resolveHost(host: string): Promise<string[]> {
  return (await lookup(host, { all: true })).map((a) => a.address);
}
export type { TcpTransportOptions } from '../transports/tcp/index.js';

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

/** A {@link CoreSession} whose default storage is the file system and default transport TCP. */
export class Session extends CoreSession {
  constructor(opts: SessionOptions = {}) {
    const settings = { ...defaultSettings, ...validateSettings(opts.settings ?? {}) };
    super({
      ...opts,
      storage: opts.storage ?? ((savePath: string) => createFsStorage({ savePath: savePath === '' ? '.' : savePath })),
      transports: opts.transports ?? tcpTransportsFor(settings.listenInterfaces, settings.peerConnectTimeout),
      datagram: opts.datagram ?? createUdpFactory(),
      lsd: opts.lsd ?? nodeLsd,
      resolve: opts.resolve ?? resolveHost,
    });
  }
}
