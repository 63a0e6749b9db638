// PieceStore.spill: a partial piece nobody wants any more leaves memory; its blocks so far are written and
// the rest of the piece continues write-through, so it still completes with the right bytes.
import { describe, expect, it } from 'vitest';
import type { TorrentStorage } from '../../../src/interfaces/storage.js';
import { PieceStore } from '../../../src/torrent/swarm/piece-store.js';

const PIECE = 8;

/** One-piece-per-8-bytes storage that records every write as [piece, offset, bytes]. */
function recordingStorage(pieces: number) {
  const disk = new Uint8Array(pieces * PIECE);
  const writes: Array<[number, number, number[]]> = [];
  const storage: TorrentStorage = {
    write: (piece, offset, data) => {
      writes.push([piece, offset, [...data]]);
      disk.set(data, piece * PIECE + offset);
      return Promise.resolve();
    },
    read: (piece, offset, length) => Promise.resolve(disk.slice(piece * PIECE + offset, piece * PIECE + offset + length)),
    close: () => Promise.resolve(),
    destroy: () => Promise.resolve(),
  };
  return { storage, writes };
}

describe('PieceStore.spill', () => {
  it('writes only the received blocks, frees the buffer, and the piece completes from storage', async () => {
    const { storage, writes } = recordingStorage(2);
    // budget of one piece: while piece 0 holds its buffer, piece 1 would go write-through
    const store = new PieceStore(storage, () => PIECE, PIECE, 1024, PIECE);
    store.put(0, 0, new Uint8Array([1, 2]));
    store.put(0, 4, new Uint8Array([5, 6]));
    expect(store.buffer(0)).toBeDefined();
    store.spill(0, [[0, 2], [4, 2]]);
    expect(store.buffer(0)).toBeUndefined();
    expect(store.building(0)).toBe(true);
    expect(writes).toEqual([[0, 0, [1, 2]], [0, 4, [5, 6]]]);
    // the budget is free again: the next piece is buffered
    store.put(1, 0, new Uint8Array([9]));
    expect(store.buffer(1)).toBeDefined();
    // the rest of piece 0 arrives late and is written through
    store.put(0, 2, new Uint8Array([3, 4]));
    store.put(0, 6, new Uint8Array([7, 8]));
    expect(writes.at(-1)).toEqual([0, 6, [7, 8]]);
    const { data, buffered } = await store.complete(0);
    expect(buffered).toBe(false);
    expect([...data]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('does nothing for a piece without a buffer', () => {
    const { storage, writes } = recordingStorage(1);
    const store = new PieceStore(storage, () => PIECE, PIECE, 1024, PIECE);
    store.spill(0, [[0, 2]]);
    expect(store.building(0)).toBe(false);
    expect(writes).toEqual([]);
  });

  it('a spilled buffer is reused with its old bytes overwritten by the next piece', async () => {
    const { storage } = recordingStorage(2);
    const store = new PieceStore(storage, () => PIECE, PIECE, 1024, PIECE);
    store.put(0, 0, new Uint8Array([1, 1, 1, 1]));
    store.spill(0, [[0, 4]]);
    store.put(1, 0, new Uint8Array([2, 2, 2, 2]));
    store.put(1, 4, new Uint8Array([3, 3, 3, 3]));
    const { data, buffered } = await store.complete(1);
    expect(buffered).toBe(true);
    expect([...data]).toEqual([2, 2, 2, 2, 3, 3, 3, 3]);
  });
});
