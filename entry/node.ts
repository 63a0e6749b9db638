/**
 * swarmkit for Node: the core (src/index.ts) plus Node's pieces. `Session` here stores torrents on
 * disk by default (fs storage under each torrent's savePath, default the working directory), hashes
 * on a worker_threads pool, and reaches peers over TCP: one listening TCP transport per
 * `listenInterfaces` entry (e.g. '0.0.0.0:6881,[::]:6881'; port 0 = any free port).
 */
import { Session as CoreSession } from '../src/session/session.js';
import type { SessionOptions } from '../src/session/session.js';
import { defaultSettings, validateSettings } from '../src/session/settings.js';
import { parseListenInterfaces } from '../src/session/listen-interfaces.js';
import type { Transport } from '../src/interfaces/transport.js';
import { createFsStorage } from '../storage-adapters/fs/index.js';
import { createTcpTransport } from '../transports/tcp/index.js';

export * from '../src/index.js';
export { createFsStorage } from '../storage-adapters/fs/index.js';
export type { FsStorageAdapter, FsStorageOptions } from '../storage-adapters/fs/index.js';
export { createMemoryStorage } from '../storage-adapters/memory/index.js';
export type { MemoryStorageAdapter, MemoryStorageOptions } from '../storage-adapters/memory/index.js';
export { createHashPool } from '../src/platform/hash-pool.node.js';
export type { HashPool } from '../src/platform/hash-pool.node.js';
export { createTcpTransport } from '../transports/tcp/index.js';
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
    });
  }
}
