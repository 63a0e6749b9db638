// End to end: real files on disk, torrents built by CreateTorrent from those files, a Session with fs
// storage (the Node entry's default) checking them on the worker hash pool.
import { describe, test, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, mkdir, writeFile, rm, readFile, open, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session, createFsStorage, createMemoryStorage, createHashPool, CreateTorrent, alertCategory } from '../../entry/node.js';
import type { HashPool, TorrentInfo, TorrentVersion } from '../../entry/node.js';
import { faulty, slow } from '../../storage-adapters/middleware/index.js';
import { TorrentError } from '../../src/errors.js';
import { bytes, fillStorage, waitFor, history } from '../unit/session/helpers.js';

const PIECE = 32768;
// Sizes chosen so files start mid-piece (v1), one file is smaller than a piece (v2 pieces root), one
// spans several pieces (v2 piece layer) and the last piece is short.
const layout: Array<[string, number]> = [['big.bin', 150_000], ['small.txt', 5_000], ['sub/mid.bin', 70_001], ['sub/zero.txt', 0]];
let root: string;
let srcDir: string;
const baseline = (): string[] => process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').sort();
let before: string[];

beforeAll(async () => {
  before = baseline();
  root = await mkdtemp(join(tmpdir(), 'swarmkit-session-'));
  srcDir = join(root, 'data', 'payload');
  await mkdir(join(srcDir, 'sub'), { recursive: true });
  let seed = 10;
  for (const [p, n] of layout) await writeFile(join(srcDir, p), bytes(n, seed++));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  // Nothing of ours is left running: no timers, workers, file handles.
  // rm's own fs request can still be settling in libuv right after it resolves; give it a moment
  // (probed: nothing is left right after Session.close() itself).
  await new Promise((r) => setTimeout(r, 50));
  expect(baseline()).toEqual(before);
});

async function build(version: TorrentVersion): Promise<TorrentInfo> {
  const ct = new CreateTorrent({ version, pieceLength: PIECE, creationDate: null });
  await ct.addPath(srcDir);
  return ct.generateInfo();
}

function countingPool(): { pool: HashPool; jobs: () => number } {
  const pool = createHashPool({ threads: 2 });
  let n = 0;
  const wrapped: HashPool = {
    sha1: (d) => pool.sha1(d),
    sha256: (d) => pool.sha256(d),
    sha256Blocks: (d) => pool.sha256Blocks(d),
    hashPieces: (job) => { n++; return pool.hashPieces(job); },
    get size() { return pool.size; },
    close: () => pool.close(),
  };
  return { pool: wrapped, jobs: () => n };
}

const dataBytes = (ti: TorrentInfo): number => ti.files.filter((f) => !f.pad).reduce((s, f) => s + f.length, 0);

describe.each(['v1', 'v2', 'hybrid'] as const)('%s torrent on disk', (version) => {
  test('checks to seeding, then a corrupted piece is found missing', async () => {
    const ti = await build(version);
    const { pool, jobs } = countingPool();
    const s = new Session({ hashPool: pool, settings: { alertMask: alertCategory.all } });
    const savePath = join(root, 'data');
    const h = await s.addTorrent({ ti, savePath });
    expect(h.status().state).toBe('checking_files');
    await waitFor(s, 'torrent_finished');
    const st = h.status();
    expect(st.state).toBe('seeding');
    expect(st.progress).toBe(1);
    expect(st.progressPpm).toBe(1_000_000);
    expect(st.numPieces).toBe(ti.pieceCount);
    expect(st.totalDone).toBe(dataBytes(ti));
    expect(st.totalWanted).toBe(dataBytes(ti));
    expect(st.isSeeding && st.isFinished).toBe(true);
    expect(st.completedTime).toBeGreaterThan(0);
    expect(jobs()).toBe(ti.pieceCount); // every piece hashed once, on the pool
    const types = history(s).map((a) => a.type);
    expect(types.indexOf('torrent_checked')).toBeLessThan(types.indexOf('torrent_finished'));
    expect(history(s).find((a) => a.type === 'state_changed')).toMatchObject({ prevState: 'checking_files', state: 'seeding' });
    // readPiece returns the verified bytes.
    const f0 = ti.files.find((f) => f.offset === 0 && f.length > 0)!;
    const disk = new Uint8Array(await readFile(join(srcDir, ...f0.path.slice(1))));
    const n = Math.min(PIECE, disk.length);
    expect((await h.readPiece(0)).subarray(0, n)).toEqual(disk.subarray(0, n));
    await s.close();

    // Corrupt one byte of sub/mid.bin; exactly the piece holding it must fail.
    const mid = ti.files.find((f) => f.path.join('/').endsWith('sub/mid.bin'))!;
    const at = 40_000;
    const bad = Math.floor((mid.offset + at) / PIECE);
    const fh = await open(join(srcDir, 'sub/mid.bin'), 'r+');
    const orig = new Uint8Array(1);
    await fh.read(orig, 0, 1, at);
    await fh.write(new Uint8Array([orig[0]! ^ 0xff]), 0, 1, at);
    await fh.close();
    try {
      const counted = countingPool();
      const s2 = new Session({ hashPool: counted.pool, settings: { alertMask: alertCategory.all } });
      const h2 = await s2.addTorrent({ ti, savePath });
      await waitFor(s2, 'torrent_checked');
      const st2 = h2.status();
      expect(st2.state).toBe('downloading');
      expect(st2.numPieces).toBe(ti.pieceCount - 1);
      expect(h2.havePiece(bad)).toBe(false);
      for (let i = 0; i < ti.pieceCount; i++) if (i !== bad) expect(h2.havePiece(i), `piece ${i}`).toBe(true);
      const padInBad = ti.files.filter((f) => f.pad && Math.floor(f.offset / PIECE) === bad).reduce((n, f) => n + f.length, 0);
      expect(st2.totalDone).toBe(dataBytes(ti) - (ti.pieceSize(bad) - padInBad));
      expect(st2.progress).toBeCloseTo(st2.totalDone / dataBytes(ti), 10);
      expect(counted.jobs()).toBe(ti.pieceCount);
      expect(history(s2).some((a) => a.type === 'torrent_finished')).toBe(false);
      await expect(h2.readPiece(bad)).rejects.toMatchObject({ code: 'invalid_argument' });
      await s2.close();
      await counted.pool.close();
    } finally {
      const fix = await open(join(srcDir, 'sub/mid.bin'), 'r+');
      await fix.write(orig, 0, 1, at);
      await fix.close();
    }
    await pool.close();
  });
});

describe('checking', () => {
  test('memory storage with the data written in place seeds; the default pool is closed by close()', async () => {
    const files = [{ path: 'm/one.bin', data: bytes(100_000, 7) }, { path: 'm/two.bin', data: bytes(33_333, 8) }];
    const ct = new CreateTorrent({ version: 'hybrid', pieceLength: 16384, creationDate: null });
    for (const f of files) ct.addFile(f);
    const ti = await ct.generateInfo();
    const storage = createMemoryStorage();
    await fillStorage(storage, ti, files);
    const s = new Session({ storage, settings: { alertMask: alertCategory.status } });
    const h = await s.addTorrent({ ti });
    await waitFor(s, 'torrent_finished');
    expect(h.status().state).toBe('seeding');
    await s.close();
  });

  test('pieces spanning a priority-0 file are still checked; that file is not created', async () => {
    const ti = await build('v1');
    const dest = join(root, 'partial');
    // Copy only big.bin and sub/mid.bin into a fresh save path; small.txt (priority 0) is absent.
    await mkdir(join(dest, 'payload', 'sub'), { recursive: true });
    await writeFile(join(dest, 'payload', 'big.bin'), await readFile(join(srcDir, 'big.bin')));
    await writeFile(join(dest, 'payload', 'sub/mid.bin'), await readFile(join(srcDir, 'sub/mid.bin')));
    const s = new Session({ settings: { alertMask: alertCategory.all } });
    const small = ti.files.findIndex((f) => f.path.join('/').endsWith('small.txt'));
    const prios = ti.files.map((_, i) => (i === small ? 0 : 4));
    const h = await s.addTorrent({ ti, savePath: dest, filePriorities: prios });
    await waitFor(s, 'torrent_checked');
    const f = ti.files[small]!;
    const first = Math.floor(f.offset / PIECE);
    const last = Math.floor((f.offset + f.length - 1) / PIECE);
    for (let i = 0; i < ti.pieceCount; i++) expect(h.havePiece(i), `piece ${i}`).toBe(i < first || i > last);
    // The pieces holding small.txt bytes are also wanted (they hold wanted bytes of neighbours), so: downloading.
    expect(h.status().state).toBe('downloading');
    await expect(access(join(dest, 'payload', 'small.txt'))).rejects.toThrow();
    await s.close();
  });

  test('removing a torrent cancels its check; the session keeps running others', async () => {
    const ti = await build('hybrid');
    const slowFs = slow(createFsStorage({ savePath: join(root, 'data') }), { latencyMs: 30 });
    const s = new Session({ settings: { alertMask: alertCategory.all, activeChecking: 2 } });
    let reads = 0;
    const counting = faulty(slowFs, { failReads: () => { reads++; return undefined; } });
    const h = await s.addTorrent({ ti, storage: counting });
    await new Promise((r) => setTimeout(r, 100));
    await s.removeTorrent(h, { deleteFiles: false });
    const atRemove = reads;
    expect(atRemove).toBeLessThan(ti.pieceCount);
    await new Promise((r) => setTimeout(r, 100));
    expect(reads).toBe(atRemove);
    await waitFor(s, 'torrent_removed');
    expect(history(s).some((a) => a.type === 'torrent_finished')).toBe(false);
    // Source data untouched (deleteFiles false).
    await access(join(srcDir, 'big.bin'));
    await s.close();
  });

  test('a storage read error puts one torrent in error (torrent_error, file_error); another still seeds', async () => {
    const tiBad = await build('v2');
    const tiGood = await build('v1');
    const s = new Session({ settings: { alertMask: alertCategory.all, activeChecking: 2 } });
    let fail = true;
    const broken = faulty(createFsStorage({ savePath: join(root, 'data') }), {
      failReads: (piece) => (fail && piece === 2 ? new TorrentError('storage_io_error', 'injected EIO') : undefined),
    });
    const hb = await s.addTorrent({ ti: tiBad, storage: broken });
    const hg = await s.addTorrent({ ti: tiGood, savePath: join(root, 'data') });
    const e = await waitFor(s, 'torrent_error');
    expect(e.infoHash).toBe(tiBad.id);
    expect(e.error).toEqual({ code: 'storage_io_error', message: 'injected EIO' });
    const fe = await waitFor(s, 'file_error');
    expect(fe.operation).toBe('read');
    expect(hb.status().errorCode).toBe('storage_io_error');
    expect(hb.status().state).toBe('checking_files');
    await waitFor(s, 'torrent_finished', (a) => a.infoHash === tiGood.id);
    expect(hg.status().state).toBe('seeding');
    // clearError retries; with the fault gone the check completes.
    fail = false;
    hb.clearError();
    await waitFor(s, 'torrent_finished', (a) => a.infoHash === tiBad.id);
    expect(hb.status().errorCode).toBeUndefined();
    expect(hb.status().state).toBe('seeding');
    await s.close();
  });

  test('moveStorage moves the files (storage_moved); forceRecheck verifies them there', async () => {
    const ti = await build('hybrid');
    const from = join(root, 'movesrc');
    await mkdir(join(from, 'payload', 'sub'), { recursive: true });
    for (const [p] of layout) await writeFile(join(from, 'payload', p), await readFile(join(srcDir, p)));
    const s = new Session({ settings: { alertMask: alertCategory.all } });
    const h = await s.addTorrent({ ti, savePath: from });
    await waitFor(s, 'torrent_finished');
    const to = join(root, 'moved');
    await h.moveStorage(to);
    const moved = await waitFor(s, 'storage_moved');
    expect(moved).toMatchObject({ storagePath: to, oldPath: from });
    expect(h.status().savePath).toBe(to);
    expect(await readFile(join(to, 'payload', 'big.bin'))).toEqual(await readFile(join(srcDir, 'big.bin')));
    await expect(access(join(from, 'payload', 'big.bin'))).rejects.toThrow();
    await h.forceRecheck();
    expect(h.status().state).toBe('checking_files');
    await waitFor(s, 'torrent_checked', (a) => a !== history(s).find((x) => x.type === 'torrent_checked'));
    expect(h.status().state).toBe('seeding');
    await h.flushCache();
    await waitFor(s, 'cache_flushed');
    // Moving onto an existing file fails without losing data.
    const blocker = join(root, 'blocked');
    await mkdir(join(blocker, 'payload'), { recursive: true });
    await writeFile(join(blocker, 'payload', 'big.bin'), 'x');
    await expect(h.moveStorage(blocker)).rejects.toBeInstanceOf(TorrentError);
    await waitFor(s, 'storage_moved_failed');
    expect(h.status().savePath).toBe(to);
    await s.removeTorrent(h, { deleteFiles: true });
    await waitFor(s, 'torrent_deleted');
    await expect(access(join(to, 'payload', 'big.bin'))).rejects.toThrow();
    await s.close();
  });
});
