/** IndexedDB storage adapter (browser only). */
export { createIdbStorage } from './idb-storage.js';
export type { IdbStorageOptions } from './idb-storage.js';
export { mapIdbError } from './errors.js';
