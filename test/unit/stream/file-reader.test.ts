import { expect, test, vi } from 'vitest';
import fc from 'fast-check';
import { createFileReader } from '../../../src/stream/file-reader.js';
import { arrayBuffer, blob, readRange, toReadableStream } from '../../../src/stream/file-stream.js';
import { isTorrentError } from '../../../src/errors.js';
import { ReleasingSource, prng, settle } from './releasing-source.js';

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

async function collect(it: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const c of it) chunks.push(c);
  return concat(chunks);
}

test('property: any range of a file at any offset in the torrent reads back exactly', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 5000 }), // piece length
      fc.integer({ min: 0, max: 7000 }), // file offset
      fc.integer({ min: 1, max: 9000 }), // file length
      fc.integer({ min: 1, max: 3000 }), // chunk size
      fc.nat(), fc.nat(),
      async (pl, off, len, chunk, a, b) => {
        const data = prng(off + len + 100, pl + off);
        const s = new ReleasingSource({ data, pieceLength: pl, fileOffset: off, fileLength: len, have: 'all' });
        const start = a % len;
        const end = start + (b % (len - start));
        const chunks: Uint8Array[] = [];
        for await (const c of createFileReader(s, { start, end, chunkSize: chunk })) {
          expect(c.length).toBeGreaterThan(0);
          expect(c.length).toBeLessThanOrEqual(chunk);
          chunks.push(c);
        }
        expect(concat(chunks)).toEqual(s.file().subarray(start, end + 1));
        expect(s.deadlines.size).toBe(0);
        expect(s.calls.filter((c) => c.op === 'set')).toEqual([]); // all verified: no network asked
      },
    ),
    { numRuns: 200 },
  );
});

test('defaults: the whole file; an empty range; an empty file', async () => {
  const s = new ReleasingSource({ data: prng(10_000, 3), pieceLength: 1024, fileOffset: 100, fileLength: 9000, have: 'all' });
  expect(await collect(createFileReader(s))).toEqual(s.file());
  expect(await collect(createFileReader(s, { start: 9000 }))).toEqual(new Uint8Array(0));
  const empty = new ReleasingSource({ data: prng(10, 1), pieceLength: 4, fileOffset: 10, fileLength: 0, have: 'all' });
  expect(await collect(createFileReader(empty))).toEqual(new Uint8Array(0));
});

test('bad arguments throw invalid_argument', () => {
  const s = new ReleasingSource({ data: prng(100, 1), pieceLength: 10, have: 'all' });
  for (const o of [{ start: -1 }, { start: 101 }, { end: 100 }, { start: 50, end: 10 }, { start: 1.5 }, { chunkSize: 0 }, { end: Number.NaN }]) {
    let err: unknown;
    try {
      createFileReader(s, o);
    } catch (e) {
      err = e;
    }
    expect(isTorrentError(err, 'invalid_argument'), JSON.stringify(o)).toBe(true);
  }
});

test('reads block until pieces arrive; the window gets deadlines (first 0 ms, increasing)', async () => {
  const s = new ReleasingSource({ data: prng(10_000, 5), pieceLength: 1000 });
  const r = createFileReader(s, { chunkSize: 1000, readAhead: { minWindowBytes: 4000, maxWindowBytes: 4000, defaultStepMs: 100, startPieces: 4 } });
  let got: IteratorResult<Uint8Array> | undefined;
  void r.next().then((x) => (got = x));
  await settle();
  expect(got).toBeUndefined();
  expect(s.waiting).toBe(1);
  expect([...s.deadlines].sort((a, b) => a[0] - b[0])).toEqual([[0, 0], [1, 100], [2, 200], [3, 300]]);
  expect(s.reads).toEqual([]);
  s.release(1); // out of order: still waiting for 0
  await settle();
  expect(got).toBeUndefined();
  s.release(0);
  await settle();
  expect(got?.value).toEqual(s.file().subarray(0, 1000));
  const p = r.next();
  expect((await p).value).toEqual(s.file().subarray(1000, 2000)); // piece 1 already there: no wait
  const q = r.next();
  await settle();
  // entering piece 2: window 2..5, pieces 0 and 1 no longer carry deadlines
  expect([...s.deadlines].sort((a, b) => a[0] - b[0])).toEqual([[2, 0], [3, 100], [4, 200], [5, 300]]);
  for (let i = 2; i < 10; i++) s.release(i);
  expect((await q).value).toEqual(s.file().subarray(2000, 3000));
  expect(await collect(r)).toEqual(s.file().subarray(3000));
  expect(s.deadlines.size).toBe(0);
  expect(r.closed).toBe(true);
});

test('memory stays bounded: a slow consumer never makes the reader read ahead of it', async () => {
  const s = new ReleasingSource({ data: prng(1_000_000, 9), pieceLength: 10_000, have: 'all' });
  const r = createFileReader(s, { chunkSize: 4096, readAhead: { minWindowBytes: 500_000 } });
  let taken = 0;
  for (let i = 0; i < 100; i++) {
    const c = await r.next();
    taken += c.value!.length;
    await settle(1);
    // one piece held: the one being read
    expect(s.reads.length).toBe(Math.ceil(taken / 10_000));
  }
  r.close();
});

test('close clears deadlines and ends a pending wait with done', async () => {
  const s = new ReleasingSource({ data: prng(10_000, 5), pieceLength: 1000 });
  const r = createFileReader(s, { readAhead: { minWindowBytes: 3000, maxWindowBytes: 3000, startPieces: 3 } });
  const p = r.next();
  await settle();
  expect(s.deadlines.size).toBe(3);
  await r.return();
  expect(await p).toEqual({ done: true, value: undefined });
  expect(s.deadlines.size).toBe(0);
  expect(s.waiting).toBe(0);
  expect(await r.next()).toEqual({ done: true, value: undefined });
});

test('an abort signal rejects the pending read with aborted and clears deadlines', async () => {
  const s = new ReleasingSource({ data: prng(10_000, 5), pieceLength: 1000 });
  const ac = new AbortController();
  const r = createFileReader(s, { signal: ac.signal });
  const p = r.next();
  await settle();
  ac.abort();
  await expect(p).rejects.toSatisfy((e: unknown) => isTorrentError(e, 'aborted'));
  expect(s.deadlines.size).toBe(0);
  expect(s.waiting).toBe(0);
});

test("slow start: the reader's piece alone until it is in, then the whole window, after the first chunk is out", async () => {
  const s = new ReleasingSource({ data: prng(10_000, 9), pieceLength: 1000 });
  const r = createFileReader(s, { chunkSize: 500, start: 2100, readAhead: { minWindowBytes: 3000, maxWindowBytes: 3000, defaultStepMs: 100 } });
  const first = r.next();
  await settle();
  expect([...s.deadlines]).toEqual([[2, 0]]); // no read-ahead request competes with the piece the reader waits for
  s.release(2);
  expect((await first).value).toEqual(s.file().subarray(2100, 2600));
  // The first chunk was handed out before the read-ahead was planned (piece 2's own deadline went with its
  // arrival); the widening follows in a later task.
  expect(s.deadlines.size).toBe(0);
  await new Promise((r) => setTimeout(r, 5));
  expect([...s.deadlines].sort((a, b) => a[0] - b[0])).toEqual([[3, 100], [4, 200]]); // piece 2 is in: no deadline
  // A seek before the widening runs cancels it: the new position starts slow again.
  r.seek(7000);
  const second = r.next();
  await settle();
  expect([...s.deadlines]).toEqual([[7, 0]]);
  s.release(7);
  expect((await second).value).toEqual(s.file().subarray(7000, 7500));
  r.seek(9100);
  await new Promise((r) => setTimeout(r, 5)); // the widening planned for piece 7 finds the reader moved on
  expect(s.deadlines.size).toBe(0);
  r.close();
});

test('seek clears the old window, reads from the new position, and a read pending across it follows', async () => {
  const s = new ReleasingSource({ data: prng(20_000, 7), pieceLength: 1000 });
  const r = createFileReader(s, { chunkSize: 500, readAhead: { minWindowBytes: 2000, maxWindowBytes: 2000 } });
  const p = r.next();
  await settle();
  expect([...s.deadlines.keys()].sort((a, b) => a - b)).toEqual([0]);
  r.seek(15_250);
  expect(s.deadlines.size).toBe(0);
  s.release(0); // wakes the pending read, which must start over at 15 250
  await settle();
  expect([...s.deadlines.keys()].sort((a, b) => a - b)).toEqual([15]);
  s.release(15);
  expect((await p).value).toEqual(s.file().subarray(15_250, 15_750));
  expect(r.position).toBe(15_750);
  expect(() => r.seek(20_001)).toThrow();
  r.close();
  expect(s.deadlines.size).toBe(0);
});

test('a piece read fails with a real error: the read rejects', async () => {
  const s = new ReleasingSource({ data: prng(5000, 1), pieceLength: 1000, have: 'all' });
  s.readPiece = () => Promise.reject(new Error('disk on fire'));
  await expect(createFileReader(s).next()).rejects.toThrow('disk on fire');
});

test('toReadableStream: pull-based (nothing read before the consumer asks), bytes exact, cancel clears deadlines', async () => {
  const s = new ReleasingSource({ data: prng(50_000, 11), pieceLength: 4096, fileOffset: 1000, fileLength: 40_000, have: 'all' });
  const rs = toReadableStream(s, { start: 5, end: 39_000 });
  await settle();
  expect(s.reads).toEqual([]); // high-water mark 0: no read without a consumer
  const reader = rs.getReader();
  const chunks: Uint8Array[] = [];
  for (;;) {
    const r = await reader.read();
    if (r.done) break;
    chunks.push(r.value);
  }
  expect(concat(chunks)).toEqual(s.file().subarray(5, 39_001));

  const partial = new ReleasingSource({ data: prng(50_000, 12), pieceLength: 4096 });
  const rs2 = toReadableStream(partial);
  const rd = rs2.getReader();
  const pending = rd.read();
  await settle();
  expect(partial.deadlines.size).toBeGreaterThan(0);
  await rd.cancel();
  expect(await pending).toEqual({ done: true, value: undefined });
  expect(partial.deadlines.size).toBe(0);
  expect(partial.waiting).toBe(0);
});

test('toReadableStream errors the stream when the source fails', async () => {
  const s = new ReleasingSource({ data: prng(5000, 1), pieceLength: 1000, have: 'all' });
  s.readPiece = () => Promise.reject(new Error('bad sector'));
  await expect(toReadableStream(s).getReader().read()).rejects.toThrow('bad sector');
});

test('arrayBuffer, blob and readRange return the bytes; blob is typed by extension', async () => {
  const s = new ReleasingSource({ data: prng(30_000, 13), pieceLength: 1 << 12, fileOffset: 77, fileLength: 20_000, filePath: 'show/Episode 1.webm', have: 'all' });
  expect(new Uint8Array(await arrayBuffer(s))).toEqual(s.file());
  expect(await readRange(s, { start: 10, end: 19 })).toEqual(s.file().subarray(10, 20));
  const b = await blob(s, { start: 100 });
  expect(b.type).toBe('video/webm');
  expect(new Uint8Array(await b.arrayBuffer())).toEqual(s.file().subarray(100));
  expect((await blob(s, { type: 'x/y', end: 0 })).type).toBe('x/y');
});

test('ReadableStream fallback: web-streams-polyfill when the runtime has none', async () => {
  const { ReadableStream: Poly } = await import('web-streams-polyfill');
  const { loadReadableStream } = await import('../../../src/stream/file-stream.js');
  expect(await loadReadableStream()).toBe(globalThis.ReadableStream);
  const native = globalThis.ReadableStream;
  vi.stubGlobal('ReadableStream', undefined);
  try {
    const s = new ReleasingSource({ data: prng(9000, 2), pieceLength: 1000, have: 'all' });
    // Before the polyfill is loaded there is no constructor: a typed error, not a crash.
    expect(() => toReadableStream(s)).toThrow(expect.objectContaining({ code: 'not_supported' }));
    const Ctor = await loadReadableStream();
    expect(Ctor).toBe(Poly);
    const rs = toReadableStream(s, { start: 10 });
    expect(rs).toBeInstanceOf(Poly);
    const chunks: Uint8Array[] = [];
    const reader = rs.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
    expect(concat(chunks)).toEqual(s.file().subarray(10));
  } finally {
    vi.stubGlobal('ReadableStream', native);
    vi.unstubAllGlobals();
  }
});
