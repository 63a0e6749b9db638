/**
 * swarmkit for browsers: the core (src/index.ts) plus browser pieces. `Session` here stores torrents
 * in IndexedDB by default (one database for every torrent, keyed by info-hash; savePath is a label)
 * and hashes with WebCrypto.
 */
import { Session as CoreSession } from '../src/session/session.js';
import type { SessionOptions } from '../src/session/session.js';
import { createIdbStorage } from '../storage-adapters/idb/index.js';

export * from '../src/index.js';
export { createIdbStorage } from '../storage-adapters/idb/index.js';
export type { IdbStorageOptions } from '../storage-adapters/idb/index.js';
export { createMemoryStorage } from '../storage-adapters/memory/index.js';
export type { MemoryStorageAdapter, MemoryStorageOptions } from '../storage-adapters/memory/index.js';
export { createHashPool } from '../src/platform/hash-pool.browser.js';
export type { HashPool } from '../src/platform/hash-pool.browser.js';

/** A {@link CoreSession} whose default storage is IndexedDB. */
export class Session extends CoreSession {
  constructor(opts: SessionOptions = {}) {
    super({ ...opts, storage: opts.storage ?? createIdbStorage() });
  }
}
