// Real faults for the fs adapter: a full tmpfs (ENOSPC), a read-only mount (EROFS), immutable directories
// (EPERM, since root bypasses permission bits), and moves that fail midway. Needs root for mount/chattr;
// those tests are skipped with the reason when the system refuses.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TorrentError } from '../../../src/errors.js';
import { codeForErrno, createFsStorage, mapFsError } from '../../../storage-adapters/fs/index.js';
import { expectBytes, expectCode, makeLayout, pattern, sizeOf } from './fixtures.js';
import type { TorrentLayout, TorrentStorage } from '../../../src/interfaces/storage.js';

const tempDir = () => mkdtemp(join(tmpdir(), 'swarmkit-fault-'));
const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: 'pipe' });
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function probe(cmd: string, args: (dir: string) => string[], undo: (dir: string) => string[]): string | undefined {
  const dir = execFileSync('mktemp', ['-d']).toString().trim();
  try {
    run(cmd, args(dir));
    run(undo(dir)[0] as string, undo(dir).slice(1));
    return undefined;
  } catch (err) {
    return `${cmd} refused here: ${(err as Error).message.split('\n')[0]}`;
  } finally {
    execFileSync('rmdir', [dir]);
  }
}
const noMount = probe('mount', (d) => ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', d], (d) => ['umount', d]);
const noChattr = probe('chattr', (d) => ['+i', d], (d) => ['chattr', '-i', d]);

async function tmpfs(size: string): Promise<string> {
  const dir = await tempDir();
  run('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  cleanups.push(async () => {
    run('umount', ['-l', dir]);
    await rm(dir, { recursive: true, force: true });
  });
  return dir;
}
async function scratch(): Promise<string> {
  const dir = await tempDir();
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
function immutable(p: string): void {
  run('chattr', ['+i', p]);
  cleanups.push(() => void run('chattr', ['-i', p]));
}
async function fill(s: TorrentStorage, layout: TorrentLayout, seed = 1): Promise<void> {
  for (let i = 0; i < layout.pieceCount; i++) await s.write(i, 0, pattern(i * layout.pieceLength, sizeOf(layout, i), seed));
}
async function verify(s: TorrentStorage, layout: TorrentLayout, seed = 1): Promise<void> {
  for (let i = 0; i < layout.pieceCount; i++) {
    expectBytes(await s.read(i, 0, sizeOf(layout, i)), pattern(i * layout.pieceLength, sizeOf(layout, i), seed), `piece ${i}`);
  }
}

describe('fs errno mapping', () => {
  it('maps errno codes and keeps the cause', () => {
    expect(codeForErrno('ENOSPC')).toBe('storage_no_space');
    expect(codeForErrno('EDQUOT')).toBe('storage_no_space');
    for (const e of ['EACCES', 'EPERM', 'EROFS']) expect(codeForErrno(e)).toBe('storage_access_denied');
    for (const e of ['EIO', 'EISDIR', undefined]) expect(codeForErrno(e)).toBe('storage_io_error');
    const cause = Object.assign(new Error('boom'), { code: 'EIO' });
    const mapped = mapFsError(cause, 'write', '/x');
    expect(mapped).toBeInstanceOf(TorrentError);
    expect(mapped.cause).toBe(cause);
    expect(mapped.details).toMatchObject({ op: 'write', path: '/x', errno: 'EIO' });
  });
  it('maps a real ENOSPC from /dev/full', async () => {
    const fh = await open('/dev/full', 'w');
    const err = await fh.write(new Uint8Array(10)).then(() => undefined, (e: unknown) => e);
    await fh.close();
    expect(mapFsError(err, 'write').code).toBe('storage_no_space');
  });
});

describe.skipIf(noMount !== undefined)(`fs on small and read-only mounts${noMount ? ` (skipped: ${noMount})` : ''}`, () => {
  it('a full disk rejects with storage_no_space and keeps what was written', async () => {
    const dir = await tmpfs('1m');
    const layout = makeLayout([3 * 1024 * 1024], 256 * 1024);
    const s = await createFsStorage({ savePath: dir }).open(layout);
    let failedAt = -1;
    for (let i = 0; i < layout.pieceCount && failedAt < 0; i++) {
      try {
        await s.write(i, 0, pattern(i * layout.pieceLength, layout.pieceLength));
      } catch (err) {
        expect(err).toMatchObject({ code: 'storage_no_space' });
        expect((err as Error & { cause: { code: string } }).cause.code).toBe('ENOSPC');
        failedAt = i;
      }
    }
    expect(failedAt).toBeGreaterThan(0);
    expectBytes(await s.read(0, 0, layout.pieceLength), pattern(0, layout.pieceLength));
    await s.close();
  });

  it('a read-only mount rejects writes with storage_access_denied but still serves reads', async () => {
    const dir = await tmpfs('4m');
    const layout = makeLayout([5000, 7000], 4096);
    const s = await createFsStorage({ savePath: dir }).open(layout);
    await fill(s, layout);
    await s.close();
    run('mount', ['-o', 'remount,ro', dir]);
    const ro = await createFsStorage({ savePath: dir }).open(layout);
    await verify(ro, layout);
    await expectCode(ro.write(0, 0, pattern(0, 10)), 'storage_access_denied');
    await ro.close();
    const fresh = await createFsStorage({ savePath: dir }).open(makeLayout([100], 4096));
    await expectCode(fresh.write(0, 0, pattern(0, 100)), 'storage_access_denied');
    await fresh.close();
  });

  it('a cross-device move copies, and a move failing midway leaves the data whole at the source', async () => {
    const src = await scratch();
    const layout = makeLayout([600000, 600000, 600000], 262144);
    const adapter = createFsStorage({ savePath: src });
    const s = await adapter.open(layout);
    await fill(s, layout);
    const small = await tmpfs('1m');
    await expectCode(s.move(join(small, 'dest')), 'storage_no_space');
    await verify(s, layout);
    expect(await readdir(join(small, 'dest'))).toEqual([]);
    const big = await tmpfs('8m');
    await s.move(big);
    await verify(s, layout);
    expect((await stat(join(big, 'torrent', 'sub', 'f2.bin'))).size).toBe(600000);
    expect(await readdir(src)).toEqual([]);
    await s.write(0, 0, pattern(0, 100, 9));
    expectBytes(await s.read(0, 0, 100), pattern(0, 100, 9));
    await s.close();
  });
});

describe.skipIf(noChattr !== undefined)(`fs with immutable directories${noChattr ? ` (skipped: ${noChattr})` : ''}`, () => {
  it('EPERM on an immutable save directory maps to storage_access_denied', async () => {
    const dir = await scratch();
    immutable(dir);
    const s = await createFsStorage({ savePath: dir }).open(makeLayout([100], 4096));
    await expectCode(s.write(0, 0, pattern(0, 100)), 'storage_access_denied');
    expectBytes(await s.read(0, 0, 100), new Uint8Array(100));
    await s.close();
  });

  it('a same-device move failing midway renames back what it moved', async () => {
    const src = await scratch();
    const dest = await scratch();
    const layout = makeLayout([3000, 4000, 5000], 4096);
    const s = await createFsStorage({ savePath: src }).open(layout);
    await fill(s, layout);
    await mkdir(join(dest, 'torrent', 'sub'), { recursive: true });
    immutable(join(dest, 'torrent', 'sub'));
    await expectCode(s.move(dest), 'storage_access_denied');
    await verify(s, layout);
    expect((await readdir(join(src, 'torrent'))).sort()).toEqual(['f0.bin', 'f1.bin', 'sub']);
    expect(await readdir(join(dest, 'torrent'))).toEqual(['sub']);
    run('chattr', ['-i', join(dest, 'torrent', 'sub')]);
    await s.move(dest);
    await verify(s, layout);
    expect(await readdir(src)).toEqual([]);
    await s.close();
  });
});
