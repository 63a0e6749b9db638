// CreateTorrent in Node, checked against hashes and dicts computed independently in the test
// (node:crypto and the `bencode` npm package as oracles), plus layout rules, options and errors.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bencodeOracle from 'bencode';
import { afterAll, describe, expect, it } from 'vitest';
import { isTorrentError } from '../../../src/errors.js';
import { autoPieceLength, comparePaths, layoutFiles } from '../../../src/metainfo/create-files.js';
import { CreateTorrent } from '../../../src/metainfo/create-torrent.js';
import { toHex } from '../../../src/metainfo/info-hash.js';
import { TorrentInfo } from '../../../src/metainfo/torrent-info.js';

const sha1 = (b: Uint8Array): Buffer => createHash('sha1').update(b).digest();
const sha256 = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();
const dir = mkdtempSync(join(tmpdir(), 'swarmkit-create-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** BEP 52 root over `leaves` (padded with zero hashes to a power of two `width`). */
function root(leaves: Buffer[], width: number): Buffer {
  let layer = [...leaves];
  while (layer.length < width) layer.push(Buffer.alloc(32));
  while (layer.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < layer.length; i += 2) next.push(sha256(Buffer.concat([layer[i]!, layer[i + 1]!])));
    layer = next;
  }
  return layer[0]!;
}
const pow2 = (n: number): number => 2 ** Math.ceil(Math.log2(Math.max(1, n)));

/** Independent v2 file root and piece layer. */
function v2File(data: Buffer, pl: number): { root: Buffer; layer: Buffer } {
  const blocks: Buffer[] = [];
  for (let o = 0; o < data.length; o += 16384) blocks.push(sha256(data.subarray(o, o + 16384)));
  if (data.length <= pl) return { root: root(blocks, pow2(blocks.length)), layer: Buffer.alloc(0) };
  const per = pl / 16384;
  const pieces: Buffer[] = [];
  for (let i = 0; i < blocks.length; i += per) pieces.push(root(blocks.slice(i, i + per), per));
  const padLeaf = root([], per); // root of an all-zero piece subtree
  const padded = [...pieces];
  while (padded.length < pow2(pieces.length)) padded.push(padLeaf);
  return { root: root(padded, padded.length), layer: Buffer.concat(pieces) };
}

function piecesOf(data: Buffer, pl: number): Buffer {
  const out: Buffer[] = [];
  for (let o = 0; o < data.length; o += pl) out.push(sha1(data.subarray(o, o + pl)));
  return Buffer.concat(out);
}

describe('layout rules (libtorrent compatible)', () => {
  it('picks libtorrent piece sizes automatically', () => {
    // thresholds from libtorrent 2.0 create_torrent.cpp (sqrt-proportional hash list)
    expect(autoPieceLength(1)).toBe(16384);
    expect(autoPieceLength(2684355)).toBe(16384);
    expect(autoPieceLength(2684356)).toBe(32768);
    expect(autoPieceLength(1 << 30)).toBe(512 * 1024);
    expect(autoPieceLength(4 * 2 ** 30)).toBe(1 << 20);
    expect(autoPieceLength(2 ** 40)).toBe(16 << 20);
  });

  it('sorts paths element-wise and bytewise', () => {
    const paths = [['d', 'a b'], ['d', 'a', 'c'], ['d', 'B', 'q'], ['d', 'a.txt'], ['d', 'é'], ['d', 'z']];
    const sorted = [...paths].sort(comparePaths).map((p) => p.slice(1).join('/'));
    expect(sorted).toEqual(['B/q', 'a/c', 'a b', 'a.txt', 'z', 'é']);
  });

  it('pads after every unaligned non-empty file, never for one file', () => {
    const src = { kind: 'bytes', bytes: new Uint8Array(0) } as const;
    const files = [
      { path: ['n', 'b'], length: 100, source: src },
      { path: ['n', 'a'], length: 0, source: src },
      { path: ['n', 'c'], length: 16384, source: src },
    ];
    const { files: laid, totalLength } = layoutFiles(files, 16384, { sort: true, pad: true });
    expect(laid.map((f) => [f.path.join('/'), f.offset, f.length, f.pad])).toEqual([
      ['n/a', 0, 0, false], ['n/b', 0, 100, false], ['n/.pad/16284', 100, 16284, true], ['n/c', 16384, 16384, false],
    ]);
    expect(totalLength).toBe(32768);
    expect(layoutFiles([files[0]!], 16384, { sort: true, pad: true }).totalLength).toBe(100);
  });
});

describe('CreateTorrent', () => {
  const a = randomBytes(100_000);
  const b = randomBytes(16384 * 4);
  const c = randomBytes(3);

  it('single file v1 from bytes equals an independently built torrent', async () => {
    const ct = new CreateTorrent({ version: 'v1', pieceLength: 32768, creationDate: 1234, creator: 'me', comment: 'hi' });
    ct.addFile({ data: a, path: 'file.bin' });
    const bytes = await ct.generate();
    const info = { length: a.length, name: 'file.bin', 'piece length': 32768, pieces: piecesOf(a, 32768) };
    const want = bencodeOracle.encode({ comment: 'hi', 'created by': 'me', 'creation date': 1234, info });
    expect(Buffer.from(bytes).equals(Buffer.from(want))).toBe(true);
    const ti = await TorrentInfo.fromBytes(bytes);
    expect(toHex(ti.infoHashes.v1!)).toBe(sha1(bencodeOracle.encode(info)).toString('hex'));
    expect(ti.pieceCount).toBe(4);
  });

  it('multi-file v2 from bytes and Blobs: roots, piece layers, file tree', async () => {
    const pl = 32768;
    const ct = new CreateTorrent({ version: 'v2', pieceLength: pl, creationDate: null });
    ct.addFile({ data: new Blob([a]), path: 'top/x/a' }).addFile({ data: b, path: ['top', 'b'], executable: true }).addFile({ data: c, path: 'top/c' });
    ct.addFile({ data: new Uint8Array(0), path: 'top/x/empty' });
    const bytes = await ct.generate();
    const fa = v2File(a, pl);
    const fb = v2File(b, pl);
    const fc = v2File(c, pl);
    const info = {
      'file tree': {
        b: { '': { attr: 'x', length: b.length, 'pieces root': fb.root } },
        c: { '': { length: 3, 'pieces root': fc.root } },
        x: { a: { '': { length: a.length, 'pieces root': fa.root } }, empty: { '': { length: 0 } } },
      },
      'meta version': 2,
      name: 'top',
      'piece length': pl,
    };
    const ti = await TorrentInfo.fromBytes(bytes);
    expect(toHex(ti.infoHashes.v2!)).toBe(sha256(bencodeOracle.encode(info)).toString('hex'));
    expect(ti.metaVersion).toBe('v2');
    expect(ti.files.filter((f) => !f.pad).map((f) => f.path.join('/'))).toEqual(['top/b', 'top/c', 'top/x/a', 'top/x/empty']);
    const at = (p: string): number => ti.files.findIndex((f) => f.path.join('/') === p);
    expect(toHex(ti.pieceLayer(at('top/b'))!)).toBe(fb.layer.toString('hex'));
    expect(toHex(ti.pieceLayer(at('top/x/a'))!)).toBe(fa.layer.toString('hex'));
    expect(ti.pieceLayer(at('top/c'))).toBeUndefined();
    expect(ti.files[at('top/b')]!.executable).toBe(true);
  });

  it('hybrid: v1 pieces cover pad zeros, v2 roots cover the files', async () => {
    const pl = 16384;
    const ct = new CreateTorrent({ version: 'hybrid', pieceLength: pl });
    ct.addFile({ data: a, path: 'h/a' }).addFile({ data: c, path: 'h/c' });
    const ti = await ct.generateInfo();
    const padA = pl - (a.length % pl);
    const padC = pl - c.length;
    const stream = Buffer.concat([a, Buffer.alloc(padA), c, Buffer.alloc(padC)]);
    expect(ti.pieceCount).toBe(stream.length / pl);
    for (let i = 0; i < ti.pieceCount; i++) expect(toHex(ti.pieceHash(i)!)).toBe(sha1(stream.subarray(i * pl, (i + 1) * pl)).toString('hex'));
    expect(ti.files.map((f) => [f.path.join('/'), f.pad])).toEqual([['h/a', false], [`h/.pad/${padA}`, true], ['h/c', false], [`h/.pad/${padC}`, true]]);
    expect(toHex(ti.files[0]!.piecesRoot!)).toBe(v2File(a, pl).root.toString('hex'));
    expect(ti.metaVersion).toBe('hybrid');
  });

  it('walks directories from disk, reports progress, writes trackers, seeds, private, mtime', async () => {
    const root = join(dir, 'tree');
    mkdirSync(join(root, 'sub', 'deeper'), { recursive: true });
    writeFileSync(join(root, 'one'), a);
    writeFileSync(join(root, 'sub', 'two'), b);
    writeFileSync(join(root, 'sub', 'deeper', 'three'), c);
    const progress: Array<[number, number]> = [];
    const ct = new CreateTorrent({ version: 'v1', canonicalFiles: true, pieceLength: 16384, private: true, includeMtime: true, trackers: ['http://a/ann', ['http://b/ann', 'http://c/ann']], webSeeds: ['http://w/'] });
    await ct.addPath(root);
    const ti = await ct.generateInfo({ onProgress: (d, t) => progress.push([d, t]) });
    expect(ti.name).toBe('tree');
    expect(ti.isPrivate).toBe(true);
    expect(ti.announce).toEqual([['http://a/ann'], ['http://b/ann', 'http://c/ann']]);
    expect(ti.urlList).toEqual(['http://w/']);
    expect(ti.files.filter((f) => !f.pad).map((f) => f.path.join('/'))).toEqual(['tree/one', 'tree/sub/deeper/three', 'tree/sub/two']);
    expect(ti.files.filter((f) => !f.pad).every((f) => typeof f.mtime === 'number' && f.mtime > 1e9)).toBe(true);
    expect(progress.at(-1)).toEqual([ti.pieceCount, ti.pieceCount]);
    expect(progress.every(([d], i) => i === 0 || d > progress[i - 1]![0])).toBe(true);
  });

  it('is deterministic across versions with the same creation date and fast enough in parallel', async () => {
    const make = (): CreateTorrent => new CreateTorrent({ version: 'hybrid', creationDate: 5 }).addFile({ data: randomBytesFixed, path: 'd/x' }).addFile({ data: c, path: 'd/y' });
    const [x, y] = await Promise.all([make().generate(), make().generate()]);
    expect(Buffer.from(x).equals(Buffer.from(y))).toBe(true);
  });

  it('rejects bad input with typed errors', async () => {
    const code = async (fn: () => unknown): Promise<string | undefined> => {
      try {
        await fn();
      } catch (e) {
        return isTorrentError(e) ? e.code : String(e);
      }
      return undefined;
    };
    expect(await code(() => new CreateTorrent().generate())).toBe('create_no_files');
    expect(await code(() => new CreateTorrent().addFile({ data: new Uint8Array(0), path: 'e' }).generate())).toBe('create_no_files');
    expect(await code(() => new CreateTorrent({ pieceLength: 20000 }).addFile({ data: a, path: 'x' }).generate())).toBe('create_invalid_piece_length');
    expect(await code(() => new CreateTorrent({ version: 'v1', pieceLength: 20000 }).addFile({ data: a, path: 'x' }).generate())).toBe('create_invalid_piece_length');
    expect(await code(() => new CreateTorrent().addFile({ data: a, path: 'x/a' }).addFile({ data: a, path: 'y/b' }).generate())).toBe('create_invalid_option');
    expect(await code(() => new CreateTorrent().addFile({ data: a, path: 'x/a' }).addFile({ data: a, path: 'x/a' }).generate())).toBe('create_invalid_option');
    expect(await code(() => new CreateTorrent().addFile({ data: a, path: 'x/../a' }))).toBe('torrent_invalid_file_path');
    expect(await code(() => new CreateTorrent().addPath(join(dir, 'does-not-exist')))).toBe('create_io_error');
    const ac = new AbortController();
    const big = new CreateTorrent({ version: 'v1', pieceLength: 16384 }).addFile({ data: new Uint8Array(64 * 1024 * 1024), path: 'big' });
    const p = big.generate({ signal: ac.signal, onProgress: () => ac.abort() });
    expect(await code(() => p)).toBe('aborted');
  });
});

const randomBytesFixed = randomBytes(200_000);
