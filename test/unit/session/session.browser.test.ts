// The same check in real Chromium: WebCrypto hash pool, memory and IndexedDB storage.
import { describe, test, expect } from 'vitest';
import { Session, createIdbStorage, createMemoryStorage, alertCategory } from '../../../entry/browser.js';
import type { StorageAdapter } from '../../../entry/browser.js';
import { bytes, fillStorage, makeTorrent, waitFor, history } from './helpers.js';

const files = [{ path: 'web/a.bin', data: bytes(90_000, 21) }, { path: 'web/b.bin', data: bytes(20_000, 22) }, { path: 'web/c.bin', data: bytes(3, 23) }];

const adapters: Array<[string, () => StorageAdapter]> = [
  ['memory', () => createMemoryStorage()],
  ['idb', () => createIdbStorage({ dbName: `swarmkit-session-test-${Math.random().toString(36).slice(2)}` })],
];

describe.each(adapters)('%s storage in the browser', (_name, make) => {
  test.each(['v1', 'v2', 'hybrid'] as const)('%s: checking → seeding; a corrupted piece is missing', async (version) => {
    const ti = await makeTorrent(files, version, 16384);
    const storage = make();
    await fillStorage(storage, ti, files);
    const s = new Session({ storage, settings: { alertMask: alertCategory.all } });
    const h = await s.addTorrent({ ti });
    await waitFor(s, 'torrent_finished');
    expect(h.status().state).toBe('seeding');
    expect(h.status().progress).toBe(1);
    expect(h.status().numPieces).toBe(ti.pieceCount);

    // Corrupt piece 1 in storage, then recheck.
    const st = await storage.open(ti.layout());
    await st.write(1, 100, new Uint8Array([1, 2, 3, 4]));
    await st.close();
    await h.forceRecheck();
    await waitFor(s, 'torrent_checked', (a) => a !== history(s).find((x) => x.type === 'torrent_checked'));
    expect(h.status().state).toBe('downloading');
    expect(h.havePiece(1)).toBe(false);
    expect(h.status().numPieces).toBe(ti.pieceCount - 1);
    expect(h.status().progress).toBeLessThan(1);
    await s.close();
  });
});

test('the browser entry defaults to IndexedDB storage', async () => {
  const ti = await makeTorrent(files, 'hybrid', 16384);
  const s = new Session({ settings: { alertMask: alertCategory.all } });
  const h = await s.addTorrent({ ti, savePath: 'downloads' });
  await waitFor(s, 'torrent_checked');
  expect(h.status().state).toBe('downloading'); // nothing stored yet: nothing verifies
  await s.removeTorrent(h, { deleteFiles: true });
  await waitFor(s, 'torrent_deleted');
  await s.close();
});
