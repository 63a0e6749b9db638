// Priorities.account (the byte accounting behind status().progress / totalDone / totalWanted): one pass over
// the bitfield's bytes, checked against a per-piece reference (dataBytes + a bit test per piece) on torrents
// with pad files, a short last piece and random priorities and bitfields.
import { describe, expect, it } from 'vitest';
import { Priorities } from '../../../src/torrent/priorities.js';
import type { PriorityGeometry } from '../../../src/torrent/priorities.js';

function geometry(fileLengths: readonly number[], pads: ReadonlySet<number>, pieceLength: number): PriorityGeometry {
  let offset = 0;
  const files = fileLengths.map((length, i) => {
    const f = { offset, length, pad: pads.has(i) };
    offset += length;
    return f;
  });
  const total = offset;
  const pieceCount = Math.ceil(total / pieceLength);
  return { pieceLength, pieceCount, files, pieceSize: (i) => (i === pieceCount - 1 ? total - i * pieceLength : pieceLength) };
}

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('Priorities.account', () => {
  it('matches a per-piece sum with pad files, a short last piece and random priorities and pieces', () => {
    const rnd = prng(7);
    for (let round = 0; round < 50; round++) {
      const pl = 16384 * (1 + Math.floor(rnd() * 4));
      const n = 1 + Math.floor(rnd() * 6);
      const lengths: number[] = [];
      const pads = new Set<number>();
      for (let i = 0; i < n; i++) {
        lengths.push(1 + Math.floor(rnd() * 5 * pl));
        if (i < n - 1 && rnd() < 0.5) {
          pads.add(lengths.length);
          lengths.push(1 + Math.floor(rnd() * pl));
        }
      }
      const g = geometry(lengths, pads, pl);
      const prio = new Priorities(g);
      for (let i = 0; i < g.pieceCount; i++) if (rnd() < 0.3) prio.setPiece(i, Math.floor(rnd() * 8));
      const bits = new Uint8Array(Math.ceil(g.pieceCount / 8));
      const have: boolean[] = [];
      for (let i = 0; i < g.pieceCount; i++) {
        have.push(rnd() < 0.5);
        if (have[i]) bits[i >> 3]! |= 0x80 >> (i & 7);
      }
      const want = { wanted: 0, done: 0, wantedDone: 0, wantedPieces: 0, wantedHave: 0 };
      for (let i = 0; i < g.pieceCount; i++) {
        const b = prio.dataBytes(i);
        const w = prio.wanted(i);
        if (w) { want.wanted += b; want.wantedPieces++; }
        if (have[i]) want.done += b;
        if (w && have[i]) { want.wantedDone += b; want.wantedHave++; }
      }
      expect(prio.account(bits)).toEqual(want);
    }
  });

  it('counts nothing done for an empty bitfield and everything for a full one', () => {
    const g = geometry([100_000, 5_000, 70_000], new Set([1]), 32768);
    const prio = new Priorities(g);
    const none = prio.account(new Uint8Array(Math.ceil(g.pieceCount / 8)));
    expect(none.done).toBe(0);
    expect(none.wanted).toBe(170_000); // pad bytes never count
    const all = prio.account(new Uint8Array(Math.ceil(g.pieceCount / 8)).fill(0xff));
    expect(all.done).toBe(170_000);
    expect(all.wantedHave).toBe(g.pieceCount);
  });
});
