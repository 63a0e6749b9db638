import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHashPool } from '#platform/hash-pool';
import type { HashPool } from '#platform/hash-pool';
import { isTorrentError } from '../../../src/errors.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const sha = (algo: string, b: Uint8Array): string => createHash(algo).update(b).digest('hex');
const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? new Uint8Array(0)).toString('hex');

/** Independent BEP 52 piece root: SHA-256 leaves of 16 KiB blocks, zero-padded to `leaves`, pairwise up. */
function pieceRoot(data: Uint8Array, leaves: number): string {
  let layer: Buffer[] = [];
  for (let i = 0; i < leaves; i++) {
    layer.push(i * 16384 < data.length ? createHash('sha256').update(data.subarray(i * 16384, (i + 1) * 16384)).digest() : Buffer.alloc(32));
  }
  while (layer.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < layer.length; i += 2) next.push(createHash('sha256').update(Buffer.concat([layer[i]!, layer[i + 1]!])).digest());
    layer = next;
  }
  return layer[0]!.toString('hex');
}

let pool: HashPool;
let dir: string;

beforeAll(() => {
  pool = createHashPool();
  dir = mkdtempSync(join(tmpdir(), 'swarmkit-pool-'));
});
afterAll(async () => {
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Node hash pool', () => {
  it('uses every core by default', () => {
    expect(pool.size).toBe(availableParallelism());
    expect(createHashPool({ threads: 3 }).size).toBe(3);
    expect(() => createHashPool({ threads: 0 })).toThrow();
  });

  it('hashes like node:crypto, many calls in parallel', async () => {
    const inputs = Array.from({ length: 200 }, (_, i) => randomBytes(i * 997));
    const want1 = inputs.map((b) => sha('sha1', b));
    const want256 = inputs.map((b) => sha('sha256', b));
    const got1 = await Promise.all(inputs.map((b) => pool.sha1(new Uint8Array(b))));
    const got256 = await Promise.all(inputs.map((b) => pool.sha256(new Uint8Array(b))));
    expect(got1.map(hex)).toEqual(want1);
    expect(got256.map(hex)).toEqual(want256);
  });

  it('transfers whole buffers and copies views', async () => {
    const whole = new Uint8Array(randomBytes(100_000));
    const want = sha('sha1', whole);
    expect(hex(await pool.sha1(whole))).toBe(want);
    expect(whole.byteLength).toBe(0); // detached: moved to the worker, not copied

    const backing = new Uint8Array(randomBytes(50_000));
    const view = backing.subarray(1000, 40_000);
    expect(hex(await pool.sha256(view))).toBe(sha('sha256', view));
    expect(backing.byteLength).toBe(50_000); // a view into a larger buffer is copied, the buffer survives
  });

  it('hashes 16 KiB blocks', async () => {
    const data = randomBytes(16384 * 3 + 5);
    const got = await pool.sha256Blocks(new Uint8Array(data));
    const want = [0, 1, 2, 3].map((i) => sha('sha256', data.subarray(i * 16384, (i + 1) * 16384))).join('');
    expect(hex(got)).toBe(want);
    expect((await pool.sha256Blocks(new Uint8Array(0))).length).toBe(0);
  });

  it('runs piece jobs whose workers read files themselves', async () => {
    const file = join(dir, 'f.bin');
    const data = randomBytes(200_000);
    writeFileSync(file, data);
    const pl = 65536;
    const extra = randomBytes(10_000);
    // v1 over a file range, a byte array and zeros
    const r1 = await pool.hashPieces({
      pieceLength: pl,
      segments: [{ kind: 'path', path: file, offset: 1000, length: 150_000 }, { kind: 'bytes', bytes: extra }, { kind: 'zeros', length: 3000 }],
      v1: true, v2Length: 0, v2Leaves: 0,
    });
    const all = Buffer.concat([data.subarray(1000, 151_000), extra, Buffer.alloc(3000)]);
    const want1 = [0, 1, 2].map((i) => sha('sha1', all.subarray(i * pl, (i + 1) * pl))).join('');
    expect(hex(r1.v1)).toBe(want1);
    expect(r1.v2).toBeUndefined();
    // hybrid: v2 roots over the file bytes, v1 over file bytes + pad zeros
    const padded = Buffer.concat([data, Buffer.alloc(4 * pl - data.length)]);
    const r2 = await pool.hashPieces({
      pieceLength: pl,
      segments: [{ kind: 'path', path: file, offset: 0, length: data.length }, { kind: 'zeros', length: 4 * pl - data.length }],
      v1: true, v2Length: data.length, v2Leaves: pl / 16384,
    });
    expect(hex(r2.v1)).toBe([0, 1, 2, 3].map((i) => sha('sha1', padded.subarray(i * pl, (i + 1) * pl))).join(''));
    expect(hex(r2.v2)).toBe([0, 1, 2, 3].map((i) => pieceRoot(data.subarray(i * pl, (i + 1) * pl), pl / 16384)).join(''));
  });

  it('shares large file jobs among threads piece by piece (v1 and hybrid, claims across segments)', async () => {
    const a = join(dir, 'split-a.bin');
    const b = join(dir, 'split-b.bin');
    const da = randomBytes(1_000_000);
    const db = randomBytes(700_000);
    writeFileSync(a, da);
    writeFileSync(b, db);
    const p3 = createHashPool({ threads: 3 });
    try {
      for (const pl of [16384, 65536, 262144]) {
        // v1: two file ranges (starting mid-file) and zeros; claims start mid-segment and cross segments
        const bytes = Buffer.concat([da.subarray(123, 1_000_000), Buffer.alloc(5000), db]);
        const n = Math.ceil(bytes.length / pl);
        const r1 = await p3.hashPieces({
          pieceLength: pl,
          segments: [{ kind: 'path', path: a, offset: 123, length: 1_000_000 - 123 }, { kind: 'zeros', length: 5000 }, { kind: 'path', path: b, offset: 0, length: db.length }],
          v1: true, v2Length: 0, v2Leaves: 0,
        });
        expect(hex(r1.v1)).toBe(Array.from({ length: n }, (_, i) => sha('sha1', bytes.subarray(i * pl, (i + 1) * pl))).join(''));
        expect(r1.v1!.buffer).toBeInstanceOf(ArrayBuffer); // copied out of shared memory
        // hybrid: v2 roots over one file, v1 over the file and its pad zeros
        const pieces = Math.ceil(db.length / pl);
        const padded = Buffer.concat([db, Buffer.alloc(pieces * pl - db.length)]);
        const r2 = await p3.hashPieces({
          pieceLength: pl,
          segments: [{ kind: 'path', path: b, offset: 0, length: db.length }, { kind: 'zeros', length: pieces * pl - db.length }],
          v1: true, v2Length: db.length, v2Leaves: pl / 16384,
        });
        expect(hex(r2.v1)).toBe(Array.from({ length: pieces }, (_, i) => sha('sha1', padded.subarray(i * pl, (i + 1) * pl))).join(''));
        expect(hex(r2.v2)).toBe(Array.from({ length: pieces }, (_, i) => pieceRoot(db.subarray(i * pl, (i + 1) * pl), pl / 16384)).join(''));
      }
      // many shared jobs at once, as CreateTorrent keeps a window of them in flight
      const pl = 16384;
      const jobs = Array.from({ length: 8 }, (_, k) => ({ offset: k * 100_000, length: 90_000 + k * 1000 }));
      const got = await Promise.all(
        jobs.map((j) => p3.hashPieces({ pieceLength: pl, segments: [{ kind: 'path', path: a, ...j }], v1: true, v2Length: 0, v2Leaves: 0 })),
      );
      got.forEach((r, k) => {
        const d = da.subarray(jobs[k]!.offset, jobs[k]!.offset + jobs[k]!.length);
        expect(hex(r.v1)).toBe(Array.from({ length: Math.ceil(d.length / pl) }, (_, i) => sha('sha1', d.subarray(i * pl, (i + 1) * pl))).join(''));
      });
      // a shared job over a file that is shorter than claimed fails as a whole; the pool stays usable
      const err = await p3
        .hashPieces({ pieceLength: pl, segments: [{ kind: 'path', path: b, offset: 0, length: 2_000_000 }], v1: true, v2Length: 0, v2Leaves: 0 })
        .catch((e: unknown) => e);
      expect(isTorrentError(err, 'create_io_error')).toBe(true);
      expect(hex(await p3.sha1(new Uint8Array([7])))).toBe(sha('sha1', new Uint8Array([7])));
    } finally {
      await p3.close();
    }
  });

  it('starts workers without the parent process preload flags (--require / --import)', async () => {
    const preload = join(dir, 'preload.cjs');
    const marks = join(dir, 'preload-marks.txt');
    writeFileSync(preload, `require('node:fs').appendFileSync(${JSON.stringify(marks)}, require('node:worker_threads').isMainThread ? 'main\\n' : 'worker\\n');`);
    const script = join(dir, 'preload.mts');
    writeFileSync(
      script,
      `import { createHashPool } from ${JSON.stringify(join(root, 'src/platform/hash-pool.node.ts'))};
       if (process.argv[2] === 'pool') {
         const p = createHashPool({ threads: 2 });
         await Promise.all([p.sha1(new Uint8Array([1])), p.sha1(new Uint8Array([2]))]);
         await p.close();
       }
       console.log('ok');`,
    );
    // Threads that ran the preload in a child started with it (Node's own loader-hooks thread, started for
    // `--import tsx`, runs it too), without and with two hashing workers.
    const threadsRunningPreload = async (arg: string): Promise<string[]> => {
      rmSync(marks, { force: true });
      const out = await new Promise<string>((resolve, reject) =>
        execFile(process.execPath, ['--require', preload, '--import', 'tsx', script, arg], { cwd: root, timeout: 20_000 }, (err, stdout, stderr) =>
          err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
        ),
      );
      expect(out.trim()).toBe('ok');
      return readFileSync(marks, 'utf8').trim().split('\n');
    };
    const without = await threadsRunningPreload('none');
    expect(without).toContain('main');
    // the hashing workers did not load the preload (nor tsx): no more threads ran it than without them
    expect(await threadsRunningPreload('pool')).toEqual(without);
  });

  it('copies job bytes unless asked to transfer them', async () => {
    const data = new Uint8Array(randomBytes(40_000));
    const job = { pieceLength: 16384, v1: true, v2Length: 0, v2Leaves: 0 } as const;
    const want = [0, 1, 2].map((i) => sha('sha1', data.subarray(i * 16384, (i + 1) * 16384))).join('');
    expect(hex((await pool.hashPieces({ ...job, segments: [{ kind: 'bytes', bytes: data }] })).v1)).toBe(want);
    expect(data.byteLength).toBe(40_000);
    expect(hex((await pool.hashPieces({ ...job, segments: [{ kind: 'bytes', bytes: data, transfer: true }] })).v1)).toBe(want);
    expect(data.byteLength).toBe(0);
  });

  it('reports unreadable files as create_io_error', async () => {
    const err = await pool
      .hashPieces({ pieceLength: 16384, segments: [{ kind: 'path', path: join(dir, 'missing'), offset: 0, length: 10 }], v1: true, v2Length: 0, v2Leaves: 0 })
      .catch((e: unknown) => e);
    expect(isTorrentError(err, 'create_io_error')).toBe(true);
    const short = join(dir, 'short');
    writeFileSync(short, 'abc');
    const err2 = await pool
      .hashPieces({ pieceLength: 16384, segments: [{ kind: 'path', path: short, offset: 0, length: 10 }], v1: true, v2Length: 0, v2Leaves: 0 })
      .catch((e: unknown) => e);
    expect(isTorrentError(err2, 'create_io_error')).toBe(true);
    expect(hex(await pool.sha1(new Uint8Array([1])))).toBe(sha('sha1', new Uint8Array([1]))); // still healthy
  });

  it('keeps the event loop free while hashing', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 16 }, () => pool.sha1(new Uint8Array(16 * 1024 * 1024))));
    const elapsed = performance.now() - t0;
    clearInterval(timer);
    // the timer kept firing during ~256 MiB of hashing (it would not fire once if hashing blocked the loop)
    expect(ticks).toBeGreaterThan(Math.min(20, elapsed / 10));
  });

  it('rejects calls after close() and leaves no workers behind', async () => {
    const p = createHashPool({ threads: 2 });
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Worker' || r === 'MessagePort').length;
    await p.sha1(new Uint8Array(10));
    const pending = p.sha1(new Uint8Array(1 << 24)).catch((e: unknown) => e);
    await p.close();
    const late = await p.sha1(new Uint8Array(1)).catch((e: unknown) => e);
    expect(isTorrentError(late, 'aborted')).toBe(true);
    const r = await pending;
    expect(r instanceof Uint8Array || isTorrentError(r, 'aborted')).toBe(true);
    const after = process.getActiveResourcesInfo().filter((r) => r === 'Worker' || r === 'MessagePort').length;
    expect(after).toBeLessThanOrEqual(before);
  });

  it('never keeps the process alive when idle (unclosed pool, real child process)', async () => {
    const script = join(dir, 'idle.mts');
    writeFileSync(
      script,
      `import { createHashPool } from ${JSON.stringify(join(root, 'src/platform/hash-pool.node.ts'))};
       const p = createHashPool();
       const h = await p.sha1(new Uint8Array([1, 2, 3]));
       console.log(Buffer.from(h).toString('hex'));`,
    );
    const t0 = Date.now();
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--import', 'tsx', script], { cwd: root, timeout: 20_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    expect(out.trim()).toBe(sha('sha1', new Uint8Array([1, 2, 3])));
    expect(Date.now() - t0).toBeLessThan(20_000);
  });
});

describe('Node hash pool queue bound', () => {
  it('rejects calls beyond maxQueue with hash_queue_full and serves the rest', async () => {
    const p = createHashPool({ threads: 1, maxQueue: 3 });
    const data = Array.from({ length: 8 }, (_, i) => new Uint8Array(1_000_000).fill(i));
    const want = data.map((d) => sha('sha1', d));
    // 2 are posted to the worker, 3 wait, the remaining 3 overflow
    const results = await Promise.allSettled(data.map((d) => p.sha1(d)));
    const ok = results.filter((r) => r.status === 'fulfilled');
    const full = results.filter((r) => r.status === 'rejected' && isTorrentError(r.reason, 'hash_queue_full'));
    expect(ok.length).toBe(5);
    expect(full.length).toBe(3);
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') expect(hex(r.value)).toBe(want[i]);
    });
    await p.close();
  });
});
