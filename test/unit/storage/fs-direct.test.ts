/**
 * O_DIRECT writes of the fs adapter (storage-adapters/fs/direct-write.ts): which writes skip the page cache,
 * and that every mix of direct and cached writes leaves exactly the written bytes in the files.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFsStorage } from '../../../storage-adapters/fs/index.js';
import { sharedBytes } from '../../../src/platform/hash-shared.node.js';
import { fdsUnder } from './fds.js';
import { expectBytes, makeLayout, pattern } from './fixtures.js';

const MiB = 1024 * 1024;
const dirs: string[] = [];
async function tempDir(base = tmpdir()): Promise<string> {
  const d = await mkdtemp(join(base, 'swarmkit-direct-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A piece buffer as the piece store makes it (page-aligned shared memory), holding `bytes`. */
function aligned(bytes: Uint8Array): Uint8Array {
  const b = sharedBytes(bytes.length);
  b.set(bytes);
  return b;
}

describe('fs storage: O_DIRECT writes', () => {
  it('writes a whole aligned piece direct, and the file holds its bytes', async () => {
    const dir = await tempDir();
    const adapter = createFsStorage({ savePath: dir });
    const layout = makeLayout([4 * MiB], MiB);
    const s = await adapter.open(layout);
    const want = pattern(MiB, MiB);
    await s.write(1, 0, aligned(want));
    expect(adapter.directBytes).toBe(MiB);
    expectBytes(await s.read(1, 0, MiB), want, 'read back');
    const file = new Uint8Array(await readFile(join(dir, ...layout.files[0]!.path)));
    expectBytes(file.subarray(MiB, 2 * MiB), want, 'on disk');
    expect(file.length).toBe(4 * MiB);
    await s.close();
    expect(await fdsUnder(dir)).toBe(0); // the O_DIRECT handle closes with the file's entry
  });

  it('writes unaligned memory, short pieces, small writes and file-spanning pieces through the cache, correctly', async () => {
    const dir = await tempDir();
    const adapter = createFsStorage({ savePath: dir });
    // file 0 ends 100 bytes past 1.5 MiB, so piece 1 spans both files at an unaligned boundary; the last piece is 1000 bytes
    const lengths = [1.5 * MiB + 100, 1.5 * MiB - 100 + 1000];
    const layout = makeLayout(lengths, MiB);
    const s = await adapter.open(layout);
    const total = layout.totalLength;
    const piece = (i: number): Uint8Array => pattern(i * MiB, Math.min(MiB, total - i * MiB));
    await s.write(0, 0, new Uint8Array(piece(0))); // ordinary (malloc'd) memory: refused, then cached
    await s.write(1, 0, aligned(piece(1))); // spans the unaligned file boundary
    await s.write(2, 0, aligned(piece(2)).subarray(0, 64 * 1024)); // aligned block at an unaligned file offset
    await s.write(2, 64 * 1024, piece(2).subarray(64 * 1024)); // the rest of piece 2, ordinary memory
    await s.write(3, 0, piece(3)); // the short last piece
    expect(adapter.directBytes).toBe(0);
    const f0 = new Uint8Array(await readFile(join(dir, ...layout.files[0]!.path)));
    const f1 = new Uint8Array(await readFile(join(dir, ...layout.files[1]!.path)));
    expectBytes(f0, pattern(0, lengths[0]!), 'file 0');
    expectBytes(f1, pattern(lengths[0]!, lengths[1]!), 'file 1');
    await s.close();
  });

  it('a direct write replaces bytes written through the cache before, and reads see the new bytes', async () => {
    const dir = await tempDir();
    const adapter = createFsStorage({ savePath: dir });
    const s = await adapter.open(makeLayout([2 * MiB], MiB));
    await s.write(0, 0, new Uint8Array(MiB).fill(0xaa)); // cached (and still dirty in the page cache)
    expectBytes(await s.read(0, 0, MiB), new Uint8Array(MiB).fill(0xaa), 'first');
    const want = pattern(7, MiB);
    await s.write(0, 0, aligned(want)); // direct, over the cached pages
    expect(adapter.directBytes).toBe(MiB);
    expectBytes(await s.read(0, 0, MiB), want, 'after the direct write');
    await s.flush();
    await s.close();
  });

  it('directWrites: false writes everything through the cache', async () => {
    const dir = await tempDir();
    const adapter = createFsStorage({ savePath: dir, directWrites: false });
    const layout = makeLayout([2 * MiB], MiB);
    const s = await adapter.open(layout);
    const want = pattern(0, MiB);
    await s.write(0, 0, aligned(want));
    expect(adapter.directBytes).toBe(0);
    expectBytes(await s.read(0, 0, MiB), want, 'read back');
    await s.close();
  });

  // tmpfs refused O_DIRECT before Linux 6.6 and accepts it since: either way the bytes must be right
  it.skipIf(!existsSync('/dev/shm'))('on tmpfs (O_DIRECT refused or accepted, by kernel version) the bytes are right', async () => {
    const dir = await tempDir('/dev/shm');
    const adapter = createFsStorage({ savePath: dir });
    const layout = makeLayout([2 * MiB], MiB);
    const s = await adapter.open(layout);
    const want = pattern(3, MiB);
    await s.write(1, 0, aligned(want));
    await s.write(0, 0, aligned(pattern(0, MiB)));
    expect([0, 2 * MiB]).toContain(adapter.directBytes);
    expectBytes(new Uint8Array(await readFile(join(dir, ...layout.files[0]!.path))).subarray(MiB), want, 'on tmpfs');
    await s.close();
  });
});
