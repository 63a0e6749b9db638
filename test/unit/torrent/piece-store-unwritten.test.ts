// PieceStore.serveUntilWritten: a piece announced before its write landed is read from its buffer.
import { describe, expect, it } from 'vitest';
import type { TorrentStorage } from '../../../src/interfaces/storage.js';
import { PieceStore } from '../../../src/torrent/swarm/piece-store.js';

/** Storage whose writes land only when `land()` is called; reads return what landed (zeros before). */
function slowStorage(size: number) {
  const disk = new Uint8Array(size);
  const pending: Array<() => void> = [];
  const storage: TorrentStorage = {
    write: (_piece, offset, data) => new Promise<void>((resolve) => pending.push(() => { disk.set(data, offset); resolve(); })),
    read: (_piece, offset, length) => Promise.resolve(disk.slice(offset, offset + length)),
    close: () => Promise.resolve(),
    destroy: () => Promise.resolve(),
  };
  return { storage, land: () => { for (const f of pending.splice(0)) f(); } };
}

/** Storage that records which pieces were written, and when (synchronously at the call). */
function recordingStorage() {
  const writes: number[] = [];
  const storage: TorrentStorage = {
    write: (piece) => { writes.push(piece); return Promise.resolve(); },
    read: () => Promise.resolve(new Uint8Array(0)),
    close: () => Promise.resolve(),
    destroy: () => Promise.resolve(),
  };
  return { storage, writes };
}

describe('PieceStore unwritten pieces', () => {
  it('serves reads from the buffer until the write lands, then from storage', async () => {
    const { storage, land } = slowStorage(8);
    const store = new PieceStore(storage, () => 8, 1024, 1024, 8);
    store.put(0, 0, new Uint8Array([1, 2, 3, 4]));
    store.put(0, 4, new Uint8Array([5, 6, 7, 8]));
    const { data, written } = await store.complete(0);
    store.serveUntilWritten(0, data, written);
    expect([...(await store.readBlock(0, 2, 4))]).toEqual([3, 4, 5, 6]);
    const whole = store.unwritten(0)!;
    expect([...whole]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    whole[0] = 99; // a copy: the buffer is untouched
    expect(store.unwritten(0, 0, 1)).toEqual(new Uint8Array([1]));
    land();
    await written;
    expect(store.unwritten(0)).toBeUndefined();
    expect([...(await store.readBlock(0, 0, 8))]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('starts a deferred write only in a later task, after the microtasks of the turn that completed it', async () => {
    const { storage, writes } = recordingStorage();
    const store = new PieceStore(storage, () => 4, 1024, 1024, 4);
    store.put(0, 0, new Uint8Array([1, 2, 3, 4]));
    const { data, written } = await store.complete(0, true);
    for (let i = 0; i < 20; i++) await Promise.resolve(); // a reader's wake-up: a chain of microtasks
    expect(writes).toEqual([]);
    expect(store.pending).toBe(4); // counted as in flight from completion on (back-pressure sees it)
    store.serveUntilWritten(0, data, written);
    expect([...store.unwritten(0)!]).toEqual([1, 2, 3, 4]);
    await written;
    expect(writes).toEqual([0]);
    expect(store.pending).toBe(0);
    expect(store.unwritten(0)).toBeUndefined();
  });

  it('starts a deferred write at once when the store is cleared (the swarm stops before the storage closes)', async () => {
    const { storage, writes } = recordingStorage();
    const store = new PieceStore(storage, () => 4, 1024, 1024, 4);
    store.put(3, 0, new Uint8Array([9, 9, 9, 9]));
    const { written } = await store.complete(3, true);
    expect(writes).toEqual([]);
    store.clear();
    expect(writes).toEqual([3]); // started synchronously, so a closing storage waits for it
    await written;
    await new Promise((r) => setTimeout(r, 5));
    expect(writes).toEqual([3]); // the timer does not write it twice
  });

  it('a deferred write to an adapter that throws rejects its promise (nothing thrown from the timer)', async () => {
    const storage: TorrentStorage = {
      write: () => { throw new Error('adapter bug'); },
      read: () => Promise.resolve(new Uint8Array(0)),
      close: () => Promise.resolve(),
      destroy: () => Promise.resolve(),
    };
    const store = new PieceStore(storage, () => 4, 1024, 1024, 4);
    const failed: unknown[] = [];
    store.onWriteError = (err) => failed.push(err);
    store.put(1, 0, new Uint8Array([1, 2, 3, 4]));
    const { written } = await store.complete(1, true);
    await expect(written).rejects.toThrow('adapter bug');
    expect(failed).toHaveLength(1);
    expect(store.pending).toBe(0);
  });
});
