import { describe, expect, it } from 'vitest';
import { createMemoryStorage } from '../../../storage-adapters/memory/index.js';
import { storageSuite } from '../../suites/storage.suite.js';
import { pattern, singleFile } from './fixtures.js';

storageSuite('memory', async () => ({ adapter: createMemoryStorage({ chunkSize: 4096 }), persistent: true, cleanup: async () => {} }));
storageSuite('memory (default chunks)', async () => ({ adapter: createMemoryStorage(), persistent: true, cleanup: async () => {} }));

describe('memory storage', () => {
  it('allocates bounded chunks lazily, not one buffer per torrent, and frees them on destroy', async () => {
    const adapter = createMemoryStorage({ chunkSize: 4096 });
    const s = await adapter.open(singleFile());
    expect(adapter.allocatedBytes).toBe(0);
    await s.write(1, 4000, pattern(0, 200));
    expect(adapter.allocatedBytes).toBe(2 * 4096);
    await s.destroy();
    expect(adapter.allocatedBytes).toBe(0);
  });
  it('rejects a bad chunk size', () => {
    expect(() => createMemoryStorage({ chunkSize: 0 })).toThrow(/chunkSize/);
  });
});
