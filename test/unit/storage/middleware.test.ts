import { describe, expect, it } from 'vitest';
import { TorrentError } from '../../../src/errors.js';
import { createMemoryStorage } from '../../../storage-adapters/memory/index.js';
import { faulty, slow, timing } from '../../../storage-adapters/middleware/index.js';
import { storageSuite } from '../../suites/storage.suite.js';
import { expectBytes, expectCode, pattern, singleFile } from './fixtures.js';

// The wrappers keep the contract: run the shared suite through them.
storageSuite('timing(slow(memory))', async () => ({
  adapter: timing(slow(createMemoryStorage({ chunkSize: 4096 }), { latencyMs: () => Math.random() < 0.5 ? 1 : 0 })),
  persistent: true,
  cleanup: async () => {},
}));
storageSuite('faulty(memory) without faults', async () => ({ adapter: faulty(createMemoryStorage(), {}), persistent: true, cleanup: async () => {} }));

describe('storage middleware', () => {
  it('faulty fails chosen writes before they reach the storage', async () => {
    let writes = 0;
    const adapter = faulty(createMemoryStorage(), {
      failWrites: (piece) => (++writes === 2 || piece === 3 ? new TorrentError('storage_no_space', 'injected') : undefined),
      failReads: (_p, offset) => (offset === 7 ? new TorrentError('storage_io_error', 'injected read') : undefined),
      failFlush: () => new TorrentError('storage_io_error', 'injected flush'),
    });
    const s = await adapter.open(singleFile());
    await s.write(0, 0, pattern(0, 100));
    await expectCode(s.write(1, 0, pattern(32768, 100)), 'storage_no_space');
    await expectCode(s.write(3, 0, pattern(0, 10)), 'storage_no_space');
    await expectCode(s.read(0, 7, 1), 'storage_io_error');
    await expectCode(s.flush?.() ?? Promise.resolve(), 'storage_io_error');
    expectBytes(await s.read(1, 0, 100), new Uint8Array(100));
    expectBytes(await s.read(0, 0, 100), pattern(0, 100));
    await s.close();
    const failing = faulty(createMemoryStorage(), { failOpen: () => new TorrentError('storage_access_denied', 'no') });
    await expectCode(failing.open(singleFile()), 'storage_access_denied');
  });

  it('slow delays every call', async () => {
    const s = await slow(createMemoryStorage(), { latencyMs: 30 }).open(singleFile());
    const t0 = performance.now();
    await s.write(0, 0, pattern(0, 10));
    await s.read(0, 0, 10);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(55);
    await s.close();
  });

  it('timing counts calls, errors, bytes and latencies', async () => {
    const adapter = timing(slow(createMemoryStorage(), { latencyMs: (op) => (op === 'read' ? 20 : 0) }));
    const s = await adapter.open(singleFile());
    await s.write(0, 0, pattern(0, 1000));
    await s.write(0, 1000, pattern(1000, 24));
    await s.read(0, 0, 512);
    await expectCode(s.read(99, 0, 1), 'storage_out_of_range');
    expect(adapter.stats.open.calls).toBe(1);
    expect(adapter.stats.write).toMatchObject({ calls: 2, errors: 0, bytes: 1024 });
    expect(adapter.stats.read).toMatchObject({ calls: 2, errors: 1, bytes: 513 });
    expect(adapter.stats.read.maxMs).toBeGreaterThanOrEqual(15);
    expect(adapter.stats.read.totalMs).toBeGreaterThanOrEqual(adapter.stats.read.maxMs);
    adapter.reset();
    expect(adapter.stats.write.calls).toBe(0);
    await s.close();
    expect(adapter.stats.close.calls).toBe(1);
  });
});
