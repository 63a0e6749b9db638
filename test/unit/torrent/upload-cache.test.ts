// UploadCache: pooled piece buffers recycled only when no view of them can still be read. Fault injection:
// a cache of two pieces, storage latency jitter, views held for random times; every view is checked when
// it is released (a buffer recycled too early would have been refilled with another piece by then).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { TorrentStorage } from '../../../src/interfaces/storage.js';
import { releaseBlock } from '../../../src/interfaces/block-release.js';
import { UploadCache } from '../../../src/torrent/swarm/upload-cache.js';
import { createMemoryStorage } from '../../../storage-adapters/memory/index.js';
import { faulty, slow } from '../../../storage-adapters/middleware/index.js';
import { makeLayout, pattern } from '../storage/fixtures.js';

const PIECE = 4096;
const PIECES = 24;
const TOTAL = PIECE * (PIECES - 1) + 1000; // a short last piece too

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sha1 = (b: Uint8Array): string => createHash('sha1').update(b).digest('hex');
const sizeOf = (i: number): number => (i === PIECES - 1 ? TOTAL - PIECE * (PIECES - 1) : PIECE);

async function filledStorage(opts: { jitter?: () => number; failReads?: () => Error | undefined; withoutReadInto?: boolean } = {}): Promise<TorrentStorage> {
  const layout = makeLayout([TOTAL], PIECE);
  let adapter = createMemoryStorage();
  if (opts.jitter) { const j = opts.jitter; adapter = slow(adapter, { latencyMs: (op) => (op === 'read' ? j() : 0) }) as typeof adapter; }
  if (opts.failReads) { const f = opts.failReads; adapter = faulty(adapter, { failReads: () => f() }) as typeof adapter; }
  const s = await adapter.open(layout);
  for (let i = 0; i < PIECES; i++) await s.write(i, 0, pattern(i * PIECE, sizeOf(i), 7));
  if (opts.withoutReadInto) return { write: s.write.bind(s), read: s.read.bind(s), close: s.close.bind(s), destroy: s.destroy.bind(s) };
  return s;
}

describe('UploadCache', () => {
  it('never lets a held view see another piece, while recycling buffers aggressively', async () => {
    const rand = rng(42);
    const storage = await filledStorage({ jitter: () => Math.floor(rand() * 3) });
    const cache = new UploadCache(storage, sizeOf, 2 * PIECE, PIECE);
    const want = Array.from({ length: PIECES }, (_, i) => pattern(i * PIECE, sizeOf(i), 7));
    let checked = 0;
    const jobs: Promise<void>[] = [];
    for (let n = 0; n < 600; n++) {
      const piece = Math.floor(rand() * PIECES);
      const len = Math.min(1024, sizeOf(piece));
      const begin = Math.floor(rand() * (sizeOf(piece) - len + 1));
      const hold = Math.floor(rand() * 4);
      jobs.push(cache.read(piece, begin, len).then(async (view) => {
        const expected = sha1(want[piece]!.subarray(begin, begin + len));
        expect(sha1(view), `piece ${piece} @${begin} on arrival`).toBe(expected);
        // Held across other reads and evictions (as a socket holds a queued block), then checked again.
        if (hold > 0) await new Promise((r) => setTimeout(r, hold));
        expect(sha1(view), `piece ${piece} @${begin} at release`).toBe(expected);
        checked++;
        releaseBlock(view);
      }));
      if (n % 8 === 0) await new Promise((r) => setTimeout(r, Math.floor(rand() * 2)));
    }
    await Promise.all(jobs);
    expect(checked).toBe(600);
    expect(cache.recycled).toBeGreaterThan(20); // the pool really was exercised
  });

  it('never recycles a buffer whose views are not released (they stay intact; later pieces use new buffers)', async () => {
    const storage = await filledStorage();
    const cache = new UploadCache(storage, sizeOf, 2 * PIECE, PIECE);
    const held: Array<[number, Uint8Array]> = [];
    for (let i = 0; i < PIECES; i++) held.push([i, await cache.read(i, 0, sizeOf(i))]);
    expect(cache.recycled).toBe(0);
    for (const [i, v] of held) expect(sha1(v), `piece ${i}`).toBe(sha1(pattern(i * PIECE, sizeOf(i), 7)));
    for (const [, v] of held) releaseBlock(v);
    releaseBlock(held[0]![1]); // twice: harmless
    const again = await cache.read(0, 0, PIECE);
    expect(sha1(again)).toBe(sha1(pattern(0, PIECE, 7)));
  });

  it('works without readInto (nothing pooled) and retries after a failed read', async () => {
    let fail = true;
    const storage = await filledStorage({ withoutReadInto: true, failReads: () => (fail ? new Error('disk on fire') : undefined) });
    const cache = new UploadCache(storage, sizeOf, 2 * PIECE, PIECE);
    await expect(cache.read(3, 0, 100)).rejects.toThrow('disk on fire');
    fail = false;
    for (let i = 0; i < PIECES; i++) {
      const v = await cache.read(i, 10, 100);
      expect(sha1(v)).toBe(sha1(pattern(i * PIECE + 10, 100, 7)));
      releaseBlock(v);
    }
    expect(cache.recycled).toBe(0);
  });
});
