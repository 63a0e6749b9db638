// Which pieces a check reads, from the files' sizes (state/checking.ts: unreadablePieces).
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { unreadablePieces } from '../../../src/torrent/state/checking.js';
import type { LayoutFile } from '../../../src/interfaces/storage.js';

function layoutOf(lengths: readonly number[], pieceLength: number, pads: ReadonlySet<number> = new Set()): { files: LayoutFile[]; pieceLength: number; pieceCount: number } {
  let offset = 0;
  const files = lengths.map((length, i) => {
    const f: LayoutFile = { path: [`f${i}`], length, offset, pad: pads.has(i) };
    offset += length;
    return f;
  });
  return { files, pieceLength, pieceCount: Math.ceil(offset / pieceLength) };
}

describe('unreadablePieces', () => {
  test('missing, short and complete files; pieces spanning a missing file are unreadable', () => {
    // pieces of 10: f0 [0,25) f1 [25,40) f2 [40,70) f3 (empty) f4 [70,75)
    const l = layoutOf([25, 15, 30, 0, 5], 10);
    expect(l.pieceCount).toBe(8);
    const flags = unreadablePieces(l, [{ length: 25 }, undefined, { length: 12 }, undefined, { length: 5 }]);
    // f1 missing → pieces 2 (20..30 spans f0 and f1), 3; f2 short at 52 → pieces 5, 6; empty f3 ignored.
    expect([...flags!]).toEqual([0, 0, 1, 1, 0, 1, 1, 0]);
  });

  test('a fresh download: every piece is unreadable; a complete one: none', () => {
    const l = layoutOf([100, 37], 16);
    expect([...unreadablePieces(l, [undefined, undefined])!].every((x) => x === 1)).toBe(true);
    expect([...unreadablePieces(l, [{ length: 100 }, { length: 37 }])!].every((x) => x === 0)).toBe(true);
    // A longer file than the torrent says does not make anything unreadable.
    expect([...unreadablePieces(l, [{ length: 200 }, { length: 37 }])!].every((x) => x === 0)).toBe(true);
  });

  test('pad files are never stored and do not count as missing', () => {
    const l = layoutOf([10, 6, 16], 16, new Set([1]));
    expect([...unreadablePieces(l, [{ length: 10 }, undefined, { length: 16 }])!]).toEqual([0, 0]);
  });

  test('stats that do not match the files mean: check everything', () => {
    expect(unreadablePieces(layoutOf([10, 10], 4), [{ length: 10 }])).toBeUndefined();
  });

  test('matches a byte-by-byte model (property)', () => {
    fc.assert(fc.property(
      fc.array(fc.record({ length: fc.nat(40), kept: fc.option(fc.nat(50), { nil: undefined }), pad: fc.boolean() }), { minLength: 1, maxLength: 8 }),
      fc.integer({ min: 1, max: 17 }),
      (spec, pieceLength) => {
        const total = spec.reduce((s, f) => s + f.length, 0);
        fc.pre(total > 0);
        const l = layoutOf(spec.map((f) => f.length), pieceLength, new Set(spec.flatMap((f, i) => (f.pad ? [i] : []))));
        const flags = unreadablePieces(l, spec.map((f) => (f.kept === undefined ? undefined : { length: f.kept })))!;
        const model = new Uint8Array(l.pieceCount);
        for (const [i, f] of l.files.entries()) {
          if (f.pad === true) continue;
          const kept = spec[i]!.kept ?? 0;
          for (let b = kept; b < f.length; b++) model[Math.floor((f.offset + b) / pieceLength)] = 1;
        }
        expect([...flags]).toEqual([...model]);
      },
    ));
  });
});
