// End to end: checking a torrent whose files are partly missing or short, on real files with fs storage.
// Pieces with bytes in a missing file or past a short file's end are not read (nor marked), the rest
// are read and verified, and a fresh download is checked without a single read.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session, alertCategory, createFsStorage } from '../../entry/node.js';
import type { TorrentInfo } from '../../entry/node.js';
import { faulty } from '../../storage-adapters/middleware/index.js';
import { bytes, makeTorrent, waitFor } from '../unit/session/helpers.js';
import type { TestFile } from '../unit/session/helpers.js';

const PIECE = 16384;
// b.bin is all zeroes: before stat-based checking, its pieces "verified" from a missing file.
const files: TestFile[] = [
  { path: 'payload/a.bin', data: bytes(100_000, 1) },
  { path: 'payload/b.bin', data: new Uint8Array(50_000) },
  { path: 'payload/c.bin', data: bytes(80_000, 3) },
];
const C_KEPT = 50_000;
let root: string;
let ti: TorrentInfo;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'swarmkit-checkmissing-'));
  ti = await makeTorrent(files, 'v1', PIECE);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Adds the torrent over `savePath` with fs storage, counting the pieces read; resolves once checked. */
async function check(savePath: string): Promise<{ reads: Set<number>; have: boolean[]; state: string }> {
  const reads = new Set<number>();
  const storage = faulty(createFsStorage({ savePath }), { failReads: (piece) => { reads.add(piece); return undefined; } });
  const s = new Session({ settings: { alertMask: alertCategory.all } });
  try {
    const h = await s.addTorrent({ ti, storage });
    await waitFor(s, 'torrent_checked');
    const have = Array.from({ length: ti.pieceCount }, (_, i) => h.havePiece(i));
    return { reads, have, state: h.status().state };
  } finally {
    await s.close();
  }
}

/** Pieces all of whose bytes lie in the present bytes of the files (`kept[i]` bytes of file i). */
function presentPieces(kept: readonly number[]): Set<number> {
  const out = new Set<number>();
  for (let p = 0; p < ti.pieceCount; p++) {
    const start = p * PIECE;
    const end = start + ti.pieceSize(p);
    const ok = ti.files.every((f, i) => f.offset + f.length <= start || f.offset >= end || f.offset + (kept[i] ?? 0) >= Math.min(end, f.offset + f.length));
    if (ok) out.add(p);
  }
  return out;
}

describe('checking with missing and short files (fs)', () => {
  test('a fresh download is checked without reading a piece', async () => {
    const r = await check(join(root, 'fresh'));
    expect(r.reads.size).toBe(0);
    expect(r.have.some(Boolean)).toBe(false);
    expect(r.state).toBe('downloading');
  });

  test('only pieces inside present bytes are read; they verify; the rest stay missing', async () => {
    const dest = join(root, 'partial');
    await mkdir(join(dest, 'payload'), { recursive: true });
    await writeFile(join(dest, 'payload', 'a.bin'), files[0]!.data);
    await writeFile(join(dest, 'payload', 'c.bin'), files[2]!.data);
    await truncate(join(dest, 'payload', 'c.bin'), C_KEPT);
    const expected = presentPieces([100_000, 0, C_KEPT]);
    // The layout makes every case occur: pieces wholly in a.bin, one spanning a.bin and the missing
    // b.bin, pieces wholly in the missing b.bin, and pieces of c.bin before and past its short end.
    expect(expected.size).toBeGreaterThan(6);
    expect(expected.has(Math.floor(100_000 / PIECE))).toBe(false);
    const r = await check(dest);
    expect([...r.reads].sort((x, y) => x - y)).toEqual([...expected].sort((x, y) => x - y));
    for (let p = 0; p < ti.pieceCount; p++) expect(r.have[p], `piece ${p}`).toBe(expected.has(p));
    expect(r.state).toBe('downloading');
  });

  test('with every file complete, every piece is read and verifies', async () => {
    const dest = join(root, 'full');
    await mkdir(join(dest, 'payload'), { recursive: true });
    for (const f of files) await writeFile(join(dest, f.path), f.data);
    const r = await check(dest);
    expect(r.reads.size).toBe(ti.pieceCount);
    expect(r.have.every(Boolean)).toBe(true);
    expect(r.state).toBe('seeding');
  });
});
