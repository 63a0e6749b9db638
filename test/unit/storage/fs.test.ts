import { mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFsStorage } from '../../../storage-adapters/fs/index.js';
import { storageSuite } from '../../suites/storage.suite.js';
import { fdsUnder } from './fds.js';
import { expectBytes, expectCode, makeLayout, multiFile, pattern, sizeOf } from './fixtures.js';

const tempDir = () => mkdtemp(join(tmpdir(), 'swarmkit-fs-'));
const exists = (p: string) => stat(p).then(() => true, () => false);

storageSuite('fs', async () => {
  const dir = await tempDir();
  return {
    adapter: createFsStorage({ savePath: dir, maxOpenFiles: 3 }),
    persistent: true,
    reopenAdapter: () => createFsStorage({ savePath: dir }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

describe('fs storage', () => {
  it('lays files out as the torrent says, sparse, without pad files', async () => {
    const dir = await tempDir();
    const layout = multiFile();
    const s = await createFsStorage({ savePath: dir }).open(layout);
    for (let i = 0; i < layout.pieceCount; i++) await s.write(i, 0, pattern(i * layout.pieceLength, sizeOf(layout, i)));
    await s.flush();
    for (const f of layout.files) {
      const p = join(dir, ...f.path);
      if (f.pad === true) {
        expect(await exists(p)).toBe(false);
        continue;
      }
      const content = await readFile(p);
      expectBytes(new Uint8Array(content), pattern(f.offset, f.length), f.path.join('/'));
    }
    expect(await exists(join(dir, 'torrent', '.pad'))).toBe(false);
    expect(await exists(join(dir, 'torrent', 'sub', 'f2.bin'))).toBe(true);
    await s.close();
    const big = makeLayout([64 * 1024 * 1024], 1024 * 1024);
    const b = await createFsStorage({ savePath: dir }).open(big);
    await b.write(63, 1024 * 1024 - 4, new Uint8Array([1, 2, 3, 4]));
    await b.close();
    const st = await stat(join(dir, ...(big.files[0]?.path ?? [])));
    expect(st.size).toBe(64 * 1024 * 1024);
    expect(st.blocks * 512).toBeLessThan(1024 * 1024); // sparse: the 64 MiB were never written as zeroes
    await rm(dir, { recursive: true, force: true });
  });

  it('never holds more open files than the pool allows', async () => {
    const dir = await tempDir();
    const adapter = createFsStorage({ savePath: dir, maxOpenFiles: 3 });
    const layout = makeLayout(Array.from({ length: 20 }, (_, i) => 1000 + i * 37), 4096);
    const s = await adapter.open(layout);
    let maxSeen = 0;
    const jobs: Array<Promise<unknown>> = [];
    for (let i = 0; i < layout.pieceCount; i++) jobs.push(s.write(i, 0, pattern(i * 4096, sizeOf(layout, i))));
    const sampler = (async () => {
      while (maxSeen >= 0) {
        maxSeen = Math.max(maxSeen, await fdsUnder(dir));
        if (adapter.openFiles > 3) throw new Error('pool over its bound');
        await new Promise((r) => setTimeout(r, 1));
        if (jobs.length === 0) break;
      }
    })();
    await Promise.all(jobs);
    for (let i = 0; i < layout.pieceCount; i++) expectBytes(await s.read(i, 0, sizeOf(layout, i)), pattern(i * 4096, sizeOf(layout, i)));
    jobs.length = 0;
    await sampler;
    expect(adapter.peakOpenFiles).toBe(3);
    expect(maxSeen).toBeLessThanOrEqual(3);
    expect(await fdsUnder(dir)).toBeLessThanOrEqual(3);
    await s.close();
    expect(adapter.openFiles).toBe(0);
    expect(await fdsUnder(dir)).toBe(0);
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses symlinks leading out of the save directory and unsafe elements', async () => {
    const dir = await tempDir();
    const outside = await tempDir();
    await symlink(outside, join(dir, 'torrent'));
    const layout = makeLayout([5000, 3000], 4096);
    const s = await createFsStorage({ savePath: dir }).open(layout);
    await expectCode(s.write(0, 0, pattern(0, 4096)), 'storage_path_escape');
    await expectCode(s.read(0, 0, 10), 'storage_path_escape');
    await s.destroy();
    expect(await readdir(outside)).toEqual([]);
    // a final-element link to a file outside is refused too, and destroy never deletes through it
    await rm(join(dir, 'torrent'));
    await mkdir(join(dir, 'torrent'));
    await writeFile(join(outside, 'victim'), 'keep me');
    await symlink(join(outside, 'victim'), join(dir, 'torrent', 'f0.bin'));
    const t = await createFsStorage({ savePath: dir }).open(layout);
    await expectCode(t.write(0, 0, pattern(0, 10)), 'storage_path_escape');
    await t.destroy();
    expect(await readFile(join(outside, 'victim'), 'utf8')).toBe('keep me');
    // links that stay inside are fine
    await rm(join(dir, 'torrent'), { recursive: true });
    await mkdir(join(dir, 'real'));
    await symlink(join(dir, 'real'), join(dir, 'torrent'));
    const u = await createFsStorage({ savePath: dir }).open(layout);
    await u.write(0, 0, pattern(0, 4096));
    expect(await exists(join(dir, 'real', 'f0.bin'))).toBe(true);
    await u.close();
    const evil = { ...layout, files: layout.files.map((f, i) => (i === 1 ? { ...f, path: ['torrent', '..', '..', 'x'] } : f)) };
    const v = await createFsStorage({ savePath: dir }).open(evil);
    await expectCode(v.write(1, 0, pattern(4096, 3904)), 'storage_path_escape');
    await v.close();
    await rm(dir, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it('reports per-file size and mtime, and reads deleted files as zeroes', async () => {
    const dir = await tempDir();
    const layout = makeLayout([5000, 3000], 4096);
    const s = await createFsStorage({ savePath: dir, maxOpenFiles: 1 }).open(layout);
    const before = Date.now();
    await s.write(1, 0, pattern(4096, 3904));
    const st = await s.stat();
    expect(st[0]?.length).toBe(5000);
    expect(st[1]?.length).toBe(3000);
    expect(st[1]?.mtimeMs).toBeGreaterThanOrEqual(before - 2000);
    await s.read(0, 0, 10); // evicts file 1's handle (pool of one)
    await rm(join(dir, 'torrent', 'f1.bin'));
    expectBytes(await s.read(1, 904, 3000), new Uint8Array(3000));
    expect((await s.stat())[1]).toBeUndefined();
    await s.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('destroy deletes its files and the empty directories, nothing else', async () => {
    const dir = await tempDir();
    const layout = multiFile();
    await writeFile(join(dir, 'unrelated.txt'), 'x');
    const s = await createFsStorage({ savePath: dir }).open(layout);
    for (let i = 0; i < layout.pieceCount; i++) await s.write(i, 0, pattern(i * layout.pieceLength, sizeOf(layout, i)));
    await writeFile(join(dir, 'torrent', 'notes.txt'), 'mine');
    await s.destroy();
    expect((await readdir(dir)).sort()).toEqual(['torrent', 'unrelated.txt']);
    expect(await readdir(join(dir, 'torrent'))).toEqual(['notes.txt']);
    await rm(dir, { recursive: true, force: true });
  });
});
