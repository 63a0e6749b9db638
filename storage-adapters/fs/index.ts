/** File-system storage adapter (Node only). */
export { createFsStorage } from './fs-storage.js';
export type { FsStorageAdapter, FsStorageOptions, FsTorrentStorage } from './fs-storage.js';
export { codeForErrno, mapFsError } from './errors.js';
