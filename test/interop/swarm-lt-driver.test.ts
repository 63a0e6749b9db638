// Validates the libtorrent driver (py/lt_peer.py + helpers/libtorrent.ts) on its own: libtorrent seeds,
// libtorrent downloads, over TCP on loopback, for a v1 multi-file torrent and a hybrid single file. The
// leech's copy must equal the source byte for byte; the JSON-lines events must have their documented shapes.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnLtPeer } from './helpers/libtorrent.js';
import type { LtPeer } from './helpers/libtorrent.js';
import { ltCreate } from './helpers/python.js';

let dir: string;
const running: LtPeer[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'swarmkit-lt-driver-'));
  mkdirSync(join(dir, 'seed', 'multi', 'sub'), { recursive: true });
  writeFileSync(join(dir, 'seed', 'multi', 'a.bin'), randomBytes(700_001));
  writeFileSync(join(dir, 'seed', 'multi', 'sub', 'b.bin'), randomBytes(90_000));
  writeFileSync(join(dir, 'seed', 'single.bin'), randomBytes(3 * 262_144 + 1234));
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function start(...args: Parameters<typeof spawnLtPeer>): LtPeer {
  const p = spawnLtPeer(...args);
  running.push(p);
  return p;
}

describe('lt_peer.py: libtorrent seeds → libtorrent downloads (TCP, loopback)', () => {
  const cases = [
    { name: 'v1 multi-file', path: 'multi', version: 'v1' as const, files: ['a.bin', 'sub/b.bin'] },
    { name: 'hybrid single file', path: 'single.bin', version: 'hybrid' as const, files: [''] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const torrent = join(dir, `${c.version}.torrent`);
      const { desc } = await ltCreate({ path: join(dir, 'seed', c.path), version: c.version, pieceLength: 65_536 }, torrent);
      const seed = start({ torrent, save: join(dir, 'seed'), mode: 'seed', intervalSeconds: 0.5 });
      const ready = await seed.ready();
      expect(ready.port).toBeGreaterThan(0);
      expect(ready.state).toBe('seeding');
      expect(ready.progress).toBe(1);
      expect(ready.infoHash).toBe(desc.v1 ?? desc.v2!.slice(0, 40));
      expect(ready.infoHashes).toEqual({ v1: desc.v1, v2: desc.v2 });

      const save = join(dir, `leech-${c.version}`);
      mkdirSync(save);
      const leech = start({ torrent, save, mode: 'download', peers: [{ host: '127.0.0.1', port: ready.port }], intervalSeconds: 0.5 });
      const lready = await leech.ready();
      expect(lready.state).toBe('downloading');
      expect(lready.port).not.toBe(ready.port);
      const done = await leech.done(60_000);
      expect(done.bytes).toBe(desc.files.filter((f) => !f.pad).reduce((n, f) => n + f.size, 0));
      expect(done.hashFailures).toBe(0);
      expect(done.cpuSeconds).toBeGreaterThan(0);
      expect(done.maxRSS).toBeGreaterThan(1024 * 1024);
      expect(done.seconds).toBeGreaterThan(0);

      for (const f of c.files) {
        const rel = f === '' ? c.path : join(c.path, f);
        expect(Buffer.compare(await readFile(join(save, rel)), await readFile(join(dir, 'seed', rel)))).toBe(0);
      }
      // The seed saw the upload in its progress events and exits cleanly on stdin close.
      await seed.waitFor('progress', 10_000, (e) => typeof e.totalUpload === 'number' && e.totalUpload >= done.bytes);
      expect(await seed.stop()).toBe(0);
      const exit = seed.events.at(-1)!;
      expect(exit.event).toBe('exit');
      expect(exit.totalUpload as number).toBeGreaterThanOrEqual(done.bytes);
    });
  }

  it('reports a missing torrent file as an error event and a non-zero exit', async () => {
    const p = start({ torrent: join(dir, 'nope.torrent'), save: dir, mode: 'seed' });
    const e = await p.waitFor('error', 30_000);
    expect(e.code).toBe('torrent_invalid');
    expect(await p.stop()).toBe(1);
  });
});
