import { expect, test } from 'vitest';
import { DeadlineWindow, deadlineStepMs, resolveReadAhead, windowBytes, windowPieces } from '../../../src/stream/read-ahead.js';
import { ReleasingSource, prng } from './releasing-source.js';

const KiB = 1024;
const MiB = 1024 * KiB;

test('window size: max(minWindow, rate × seconds), capped', () => {
  const o = resolveReadAhead({ minWindowBytes: 4 * MiB, maxWindowBytes: 64 * MiB, windowSeconds: 5 });
  expect(windowBytes(0, o)).toBe(4 * MiB);
  expect(windowBytes(Number.NaN, o)).toBe(4 * MiB);
  expect(windowBytes(-5, o)).toBe(4 * MiB);
  expect(windowBytes(100 * KiB, o)).toBe(4 * MiB); // 500 KiB < min
  expect(windowBytes(2 * MiB, o)).toBe(10 * MiB);
  expect(windowBytes(100 * MiB, o)).toBe(64 * MiB);
  expect(windowBytes(Infinity, o)).toBe(4 * MiB); // not a measurement
  expect(windowPieces(2 * MiB, 256 * KiB, o)).toBe(40);
  expect(windowPieces(0, 16 * MiB, o)).toBe(1); // at least one piece
});

test('options: bad values fall back to defaults, max never below min', () => {
  const o = resolveReadAhead({ minWindowBytes: -1, maxWindowBytes: 10, windowSeconds: Number.NaN });
  expect(o.minWindowBytes).toBe(4 * MiB);
  expect(o.maxWindowBytes).toBe(4 * MiB);
  expect(o.windowSeconds).toBe(5);
});

test('deadline step: one piece-time at the measured rate, clamped; a default with no rate', () => {
  const o = resolveReadAhead();
  expect(deadlineStepMs(0, 256 * KiB, o)).toBe(250);
  expect(deadlineStepMs(1 * MiB, 256 * KiB, o)).toBe(250);
  expect(deadlineStepMs(100 * MiB, 16 * KiB, o)).toBe(20);
  expect(deadlineStepMs(1 * KiB, 1 * MiB, o)).toBe(2000);
});

function source(have: Iterable<number> = []): ReleasingSource {
  return new ReleasingSource({ data: prng(64 * 1000, 1), pieceLength: 1000, have });
}

test('advance sets deadlines on the window: first 0 ms, then increasing; verified pieces get none', () => {
  const s = source([2, 3]);
  const w = new DeadlineWindow(s, { minWindowBytes: 6000, maxWindowBytes: 6000, defaultStepMs: 100, startPieces: 6 });
  w.advance(0, 63);
  expect(w.pieces).toEqual([0, 1, 4, 5]);
  expect([...s.deadlines].sort((a, b) => a[0] - b[0])).toEqual([[0, 0], [1, 100], [4, 400], [5, 500]]);
});

test('advance moves the window: pieces left behind are reset, new ones set, nothing past the range end', () => {
  const s = source();
  const w = new DeadlineWindow(s, { minWindowBytes: 3000, maxWindowBytes: 3000, defaultStepMs: 50, startPieces: 3 });
  w.advance(0, 10);
  expect(w.pieces).toEqual([0, 1, 2]);
  s.release(0);
  s.release(1);
  w.advance(2, 10);
  expect(w.pieces).toEqual([2, 3, 4]);
  expect(s.deadlines.get(2)).toBe(0); // more urgent now
  expect(s.deadlines.get(4)).toBe(100);
  w.advance(9, 10);
  expect(w.pieces).toEqual([9, 10]);
  expect([...s.deadlines.keys()].sort((a, b) => a - b)).toEqual([9, 10]);
  w.clear();
  expect(w.pieces).toEqual([]);
  expect(s.deadlines.size).toBe(0);
});

test('the window grows with the measured rate', () => {
  const s = source();
  const w = new DeadlineWindow(s, { minWindowBytes: 2000, maxWindowBytes: 20_000, windowSeconds: 5 });
  s.rate = 0;
  expect(w.advance(0, 63)).toBe(true); // slow start: cut short of the 2-piece window
  expect(w.pieces.length).toBe(1);
  expect(w.advance(0, 63)).toBe(false);
  expect(w.pieces.length).toBe(2);
  s.rate = 2000; // 10 000 bytes in 5 s → 10 pieces, step = 1000/2000 s = 500 ms
  w.advance(0, 63);
  expect(w.pieces.length).toBe(10);
  expect(s.deadlines.get(9)).toBe(4500);
  s.rate = 1e9;
  w.advance(0, 63);
  expect(w.pieces.length).toBe(20); // capped
});

test('slow start: the first plan after creation or clear() covers startPieces, the next the whole window', () => {
  const s = source();
  const w = new DeadlineWindow(s, { minWindowBytes: 5000, maxWindowBytes: 5000, defaultStepMs: 100 });
  expect(w.advance(10, 63)).toBe(true); // cut short: call again once piece 10 is in
  expect(w.pieces).toEqual([10]); // default startPieces 1: the reader's piece only
  expect(s.deadlines.get(10)).toBe(0);
  expect(w.advance(11, 63)).toBe(false); // the reader entered its next piece: the full window
  expect(w.pieces).toEqual([11, 12, 13, 14, 15]);
  w.clear(); // a seek
  w.advance(40, 63);
  expect(w.pieces).toEqual([40]);
  const two = new DeadlineWindow(source(), { minWindowBytes: 5000, startPieces: 2 });
  two.advance(0, 63);
  expect(two.pieces).toEqual([0, 1]);
  const bad = new DeadlineWindow(source(), { minWindowBytes: 5000, startPieces: 0 }); // < 1: the default
  bad.advance(0, 63);
  expect(bad.pieces).toEqual([0]);
  // Near the end of the range the first plan can already be the whole window: not cut short.
  const end = new DeadlineWindow(source(), { minWindowBytes: 5000 });
  expect(end.advance(63, 63)).toBe(false);
  expect(end.pieces).toEqual([63]);
});

test('clear survives a source that throws (torrent removed)', () => {
  const s = source();
  const w = new DeadlineWindow(s, { minWindowBytes: 2000, maxWindowBytes: 2000 });
  w.advance(0, 63);
  s.resetPieceDeadline = () => {
    throw new Error('gone');
  };
  expect(() => w.clear()).not.toThrow();
  expect(w.pieces).toEqual([]);
});
