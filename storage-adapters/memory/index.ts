/** In-memory storage adapter (Node and browser). */
export { createMemoryStorage } from './memory.js';
export type { MemoryStorageAdapter, MemoryStorageOptions } from './memory.js';
