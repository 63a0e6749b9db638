// CreateTorrent against python3-libtorrent 2.0: for the same files and options both must produce the
// same .torrent bytes (so the same info-hashes), and TorrentInfo must read libtorrent's output the way
// libtorrent does. Cases: single file, nested directories with an empty and an executable file, and a
// sparse file larger than 4 GiB; versions v1 (add order), v1 canonical, v2, hybrid.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateTorrent } from '../../src/metainfo/create-torrent.js';
import type { TorrentVersion } from '../../src/metainfo/create-torrent.js';
import { toHex } from '../../src/metainfo/info-hash.js';
import { TorrentInfo } from '../../src/metainfo/torrent-info.js';
import { ltCreate, ltDescribe } from './helpers/python.js';
import type { LtCreateOptions, LtTorrentDescription } from './helpers/python.js';

let dir: string;
let single: string;
let tree: string;
let sparse: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'swarmkit-create-interop-'));
  single = join(dir, 'single.bin');
  writeFileSync(single, randomBytes(1_234_567));
  chmodSync(single, 0o755);
  tree = join(dir, 'tree');
  for (const d of ['sub/deeper', 'B', 'a', 'empty-dir-is-skipped']) mkdirSync(join(tree, d), { recursive: true });
  const files: Record<string, number> = {
    'a.txt': 40_000, 'a b': 7_000, 'a.txt2': 3_000, 'B/q': 5_000, 'a/c': 1, 'empty': 0,
    'sub/x.bin': 300_000, 'sub/deeper/z': 100, 'sub/deeper/ünïcödé.dat': 65_536, 'big.bin': 2_500_000,
  };
  for (const [p, n] of Object.entries(files)) writeFileSync(join(tree, p), randomBytes(n));
  chmodSync(join(tree, 'sub/x.bin'), 0o755);
  // followed like libtorrent does: the link's target bytes, flagged executable from lstat's mode
  symlinkSync('../a.txt', join(tree, 'sub/link-to-a'));
  sparse = join(dir, 'sparse');
  mkdirSync(sparse);
  // 4 GiB + a bit: sizes and offsets beyond 32 bits; data is zeros (a hole) except a small tail file.
  execFileSync('truncate', ['-s', String(4 * 1024 ** 3 + 1_048_576 + 123), join(sparse, 'huge.img')]);
  writeFileSync(join(sparse, 'tail.txt'), randomBytes(777));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const extras = {
  creator: 'swarmkit interop',
  comment: 'made by both',
  creationDate: 1_700_000_000,
  trackers: [['http://t1.example/announce', 0], ['udp://t2.example:6969', 0], ['http://t3.example/announce', 1]] as Array<[string, number]>,
  webSeeds: ['http://seed.example/files/'],
};

async function ours(path: string, version: TorrentVersion, opts: { canonical?: boolean; pieceLength?: number; withExtras?: boolean; private?: boolean }): Promise<Uint8Array> {
  const ct = new CreateTorrent({ version, pieceLength: opts.pieceLength ?? 0, canonicalFiles: opts.canonical ?? false, creationDate: extras.creationDate, private: opts.private ?? false });
  if (opts.withExtras) {
    ct.setCreator(extras.creator).setComment(extras.comment);
    for (const [url, tier] of extras.trackers) ct.addTracker(url, tier);
    for (const u of extras.webSeeds) ct.addUrlSeed(u);
  }
  await ct.addPath(path);
  return ct.generate();
}

function expectSameAsLibtorrent(info: TorrentInfo, desc: LtTorrentDescription): void {
  expect(info.infoHashes.v1 ? toHex(info.infoHashes.v1) : null).toBe(desc.v1);
  expect(info.infoHashes.v2 ? toHex(info.infoHashes.v2) : null).toBe(desc.v2);
  expect(info.name).toBe(desc.name);
  expect(info.pieceLength).toBe(desc.pieceLength);
  expect(info.pieceCount).toBe(desc.numPieces);
  expect(info.isPrivate).toBe(desc.private);
  const ours = info.files.map((f) => ({ path: f.path.join('/'), size: f.length, offset: f.offset, pad: f.pad, executable: f.executable }));
  if (info.metaVersion === 'v2') {
    // A v2 info dict has no pad files; libtorrent synthesises them (including one after the last file)
    // in its file list, so compare the real files and their piece-aligned offsets.
    expect(ours.filter((f) => !f.pad)).toEqual(desc.files.filter((f) => !f.pad));
    const last = desc.files[desc.files.length - 1]!;
    expect(info.totalLength).toBe(last.pad ? desc.totalSize - last.size : desc.totalSize);
  } else {
    expect(ours).toEqual(desc.files);
    expect(info.totalLength).toBe(desc.totalSize);
  }
}

const cases: Array<{ name: string; path: () => string; pieceLength?: number; withExtras?: boolean; private?: boolean }> = [
  { name: 'single file (auto piece length, trackers, web seed, private)', path: () => single, withExtras: true, private: true },
  { name: 'nested directories with empty and executable files', path: () => tree, pieceLength: 32768 },
  { name: 'nested directories (auto piece length, extras)', path: () => tree, withExtras: true },
];
const versions: Array<{ v: LtCreateOptions['version']; ours: TorrentVersion; canonical: boolean }> = [
  { v: 'v1', ours: 'v1', canonical: false },
  { v: 'v1c', ours: 'v1', canonical: true },
  { v: 'v2', ours: 'v2', canonical: false },
  { v: 'hybrid', ours: 'hybrid', canonical: false },
];

describe('CreateTorrent vs python3-libtorrent', () => {
  for (const c of cases) {
    for (const ver of versions) {
      it(`${c.name}: ${ver.v} is byte-identical and parses the same`, async () => {
        const out = join(dir, `lt-${ver.v}-${Math.random().toString(36).slice(2)}.torrent`);
        const lt = await ltCreate({
          path: c.path(), version: ver.v, pieceLength: c.pieceLength ?? 0, creationDate: extras.creationDate, private: c.private ?? false,
          ...(c.withExtras ? { creator: extras.creator, comment: extras.comment, trackers: extras.trackers, webSeeds: extras.webSeeds } : {}),
        }, out);
        const mine = await ours(c.path(), ver.ours, { canonical: ver.canonical, pieceLength: c.pieceLength ?? 0, withExtras: c.withExtras ?? false, private: c.private ?? false });
        const mineInfo = await TorrentInfo.fromBytes(mine);
        const ltInfo = await TorrentInfo.fromBytes(lt.bytes);
        expect(toHex(mineInfo.infoBytes)).toBe(toHex(ltInfo.infoBytes));
        expect(Buffer.from(mine).equals(Buffer.from(lt.bytes))).toBe(true);
        expectSameAsLibtorrent(ltInfo, lt.desc);
        // and libtorrent reads ours the way it reads its own
        const oursFile = join(dir, `ours-${ver.v}-${Math.random().toString(36).slice(2)}.torrent`);
        await writeFile(oursFile, mine);
        expect(await ltDescribe(oursFile)).toEqual(lt.desc);
        if (c.withExtras) {
          expect(ltInfo.announce).toEqual([['http://t1.example/announce', 'udp://t2.example:6969'], ['http://t3.example/announce']]);
          expect(ltInfo.urlList).toEqual(extras.webSeeds);
          expect(ltInfo.comment).toBe(extras.comment);
          expect(ltInfo.createdBy).toBe(extras.creator);
          expect(ltInfo.creationDate).toBe(extras.creationDate);
        }
      });
    }
  }

  for (const ver of versions) {
    it(`modification times (libtorrent's modification_time flag): ${ver.v}`, async () => {
      for (const p of [tree, single]) {
        const out = join(dir, `lt-mtime-${ver.v}-${Math.random().toString(36).slice(2)}.torrent`);
        const lt = await ltCreate({ path: p, version: ver.v, pieceLength: 16384, creationDate: extras.creationDate, mtime: true }, out);
        const ct = new CreateTorrent({ version: ver.ours, canonicalFiles: ver.canonical, pieceLength: 16384, creationDate: extras.creationDate, includeMtime: true });
        await ct.addPath(p);
        expect(Buffer.from(await ct.generate()).equals(Buffer.from(lt.bytes))).toBe(true);
      }
    });
  }

  for (const ver of versions.filter((x) => x.v !== 'v1c')) {
    it(`sparse file larger than 4 GiB: ${ver.v}`, async () => {
      const out = join(dir, `lt-sparse-${ver.v}.torrent`);
      const pieceLength = 4 * 1024 * 1024;
      const [lt, mine] = [
        await ltCreate({ path: sparse, version: ver.v, pieceLength, creationDate: extras.creationDate }, out),
        await ours(sparse, ver.ours, { pieceLength }),
      ];
      expect(Buffer.from(mine).equals(Buffer.from(lt.bytes))).toBe(true);
      const info = await TorrentInfo.fromBytes(await readFile(out));
      expectSameAsLibtorrent(info, lt.desc);
      expect(info.totalLength).toBeGreaterThan(2 ** 32);
    }, 600_000);
  }
});
