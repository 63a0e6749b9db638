/**
 * swarmkit for Node: the core (src/index.ts) plus Node's pieces. `Session` here stores torrents on
 * disk by default (fs storage under each torrent's savePath, default the working directory) and hashes
 * on a worker_threads pool.
 */
import { Session as CoreSession } from '../src/session/session.js';
import type { SessionOptions } from '../src/session/session.js';
import { createFsStorage } from '../storage-adapters/fs/index.js';

export * from '../src/index.js';
export { createFsStorage } from '../storage-adapters/fs/index.js';
export type { FsStorageAdapter, FsStorageOptions } from '../storage-adapters/fs/index.js';
export { createMemoryStorage } from '../storage-adapters/memory/index.js';
export type { MemoryStorageAdapter, MemoryStorageOptions } from '../storage-adapters/memory/index.js';
export { createHashPool } from '../src/platform/hash-pool.node.js';
export type { HashPool } from '../src/platform/hash-pool.node.js';

/** A {@link CoreSession} whose default storage is the file system (one adapter per save path). */
export class Session extends CoreSession {
  constructor(opts: SessionOptions = {}) {
    super({ ...opts, storage: opts.storage ?? ((savePath: string) => createFsStorage({ savePath: savePath === '' ? '.' : savePath })) });
  }
}
