import { describe, expect, it } from 'vitest';
import { sha1, sha256 } from '#platform/sha';
import { bdecode, bencode, binaryKey } from '../../../src/metainfo/bencode.js';
import type { BDict } from '../../../src/metainfo/bencode.js';
import { toHex } from '../../../src/metainfo/info-hash.js';
import { parseMagnet } from '../../../src/metainfo/magnet.js';
import { TorrentInfo } from '../../../src/metainfo/torrent-info.js';
import { isTorrentError } from '../../../src/errors.js';
import { buildTorrent, bytesOf } from './build-torrent.js';

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    if (isTorrentError(err)) return err.code;
    throw err;
  }
  return undefined;
}

const PL = 32768;

describe('TorrentInfo v1', () => {
  it('parses a multi-file torrent with trackers, web seeds and text fields', async () => {
    const built = await buildTorrent({
      name: 'album',
      pieceLength: PL,
      version: 'v1',
      files: [
        { path: ['cd1', 'a.flac'], data: bytesOf(50_000, 1) },
        { path: ['b.txt'], data: bytesOf(10, 2), attr: 'xh' },
        { path: ['empty'], data: new Uint8Array(0) },
      ],
      info: { private: 1 },
      outer: {
        announce: 'http://a/announce',
        'announce-list': [['http://a/announce', 'http://b/announce'], [], [7, 'udp://c:80']],
        'url-list': ['http://seed/', 5, 'http://seed/'],
        comment: 'hello',
        'created by': 'test',
        'creation date': 1700000000,
      },
    });
    const t = await TorrentInfo.fromBytes(built.torrent);
    expect(t.metaVersion).toBe('v1');
    expect(t.infoHashes.v1).toEqual(built.v1);
    expect(t.infoHashes.v2).toBeUndefined();
    expect(t.id).toBe(toHex(built.v1!));
    expect(t.name).toBe('album');
    expect(t.totalLength).toBe(50_010);
    expect(t.pieceCount).toBe(2);
    expect(t.pieceSize(1)).toBe(50_010 - PL);
    expect(t.files.map((f) => f.path.join('/'))).toEqual(['album/cd1/a.flac', 'album/b.txt', 'album/empty']);
    expect(t.files.map((f) => f.offset)).toEqual([0, 50_000, 50_010]);
    expect(t.files[1]).toMatchObject({ executable: true, hidden: true, pad: false });
    expect(t.isPrivate).toBe(true);
    expect(t.announce).toEqual([['http://a/announce', 'http://b/announce'], ['udp://c:80']]);
    expect(t.urlList).toEqual(['http://seed/']);
    expect(t.comment).toBe('hello');
    expect(t.createdBy).toBe('test');
    expect(t.creationDate).toBe(1700000000);
    expect(t.infoBytes).toEqual(built.info);
    expect(t.pieceHash(0)).toEqual(await sha1(built.content.subarray(0, PL)));
    expect(t.pieceHash(1)).toEqual(await sha1(built.content.subarray(PL)));
    expect(() => t.pieceHash(2)).toThrow();
    const layout = t.layout();
    expect(layout).toMatchObject({ id: t.id, pieceLength: PL, totalLength: 50_010, pieceCount: 2 });
    expect(layout.files[0]).toEqual({ path: ['album', 'cd1', 'a.flac'], length: 50_000, offset: 0 });
  });

  it('parses a single-file torrent and round-trips through toBytes and toMagnet', async () => {
    const built = await buildTorrent({ name: 'movie.mkv', pieceLength: 16384, version: 'v1', single: true, files: [{ path: [], data: bytesOf(40_000) }], outer: { announce: 'http://t/a' } });
    const t = await TorrentInfo.fromBytes(built.torrent);
    expect(t.files).toHaveLength(1);
    expect(t.files[0]!.path).toEqual(['movie.mkv']);
    const again = await TorrentInfo.fromBytes(t.toBytes());
    expect(again.infoHashes).toEqual(t.infoHashes);
    expect(again.announce).toEqual([['http://t/a']]);
    const m = parseMagnet(t.toMagnet());
    expect(m.infoHashes.v1).toEqual(built.v1);
    expect(m.name).toBe('movie.mkv');
    expect(m.trackers).toEqual(['http://t/a']);
  });

  it('accepts an unsorted outer dict but hashes the info bytes as received', async () => {
    const built = await buildTorrent({ name: 'x', pieceLength: 16384, version: 'v1', single: true, files: [{ path: [], data: bytesOf(100) }] });
    const te = new TextEncoder();
    const torrent = new Uint8Array([...te.encode('d8:url-listl9:http://w/e4:info'), ...built.info, ...te.encode('8:announce3:urle')]);
    const t = await TorrentInfo.fromBytes(torrent);
    expect(t.infoHashes.v1).toEqual(await sha1(built.info));
    expect(t.urlList).toEqual(['http://w/']);
    expect(t.announce).toEqual([['url']]);
  });

  it('builds from a bare info dict (magnet metadata)', async () => {
    const built = await buildTorrent({ name: 'x', pieceLength: 16384, version: 'v1', single: true, files: [{ path: [], data: bytesOf(100) }] });
    const t = await TorrentInfo.fromInfoDict(built.info, { announce: [['http://t']], urlList: ['http://w/'] });
    expect(t.infoHashes.v1).toEqual(built.v1);
    expect(t.announce).toEqual([['http://t']]);
  });

  it('prefers name.utf-8 / path.utf-8 and decodes non-UTF-8 bytes lossily', async () => {
    const latin1 = new Uint8Array([0x63, 0x61, 0x66, 0xe9]); // "café" in Latin-1: invalid UTF-8
    const built = await buildTorrent({
      name: 'ignored',
      pieceLength: 16384,
      version: 'v1',
      files: [{ path: ['p'], data: bytesOf(10) }],
      info: { 'name.utf-8': 'Nämé', files: [{ length: 10, path: [latin1] }] },
    });
    const t = await TorrentInfo.fromBytes(built.torrent);
    expect(t.name).toBe('Nämé');
    expect(t.files[0]!.path).toEqual(['Nämé', 'caf\ufffd']);
  });
});

describe('TorrentInfo v2 and hybrid', () => {
  const files = [
    { path: ['dir', 'big.bin'], data: bytesOf(5 * PL + 1000, 3) },
    { path: ['dir', 'small.txt'], data: bytesOf(1000, 4) },
    { path: ['z.bin'], data: bytesOf(2 * PL, 5) },
  ];

  it('parses a v2 torrent: sha256 info-hash, aligned layout, verified piece layers', async () => {
    const built = await buildTorrent({ name: 'v2t', pieceLength: PL, version: 'v2', files });
    const t = await TorrentInfo.fromBytes(built.torrent);
    expect(t.metaVersion).toBe('v2');
    expect(t.infoHashes.v1).toBeUndefined();
    expect(t.infoHashes.v2).toEqual(await sha256(built.info));
    expect(t.id).toBe(toHex(built.v2!.subarray(0, 20)));
    const real = t.files.filter((f) => !f.pad);
    expect(real.map((f) => f.path.join('/'))).toEqual(['v2t/dir/big.bin', 'v2t/dir/small.txt', 'v2t/z.bin']);
    for (const f of real) expect(f.offset % PL).toBe(0);
    expect(t.totalLength).toBe(built.content.length);
    expect(t.pieceCount).toBe(6 + 1 + 2);
    expect(t.pieceHash(0)).toBeUndefined();
    const big = t.files.findIndex((f) => f.path.at(-1) === 'big.bin');
    expect(t.pieceLayer(big)).toEqual(built.layers.get(binaryKey(t.files[big]!.piecesRoot!)));
    expect(t.pieceLayer(t.files.findIndex((f) => f.path.at(-1) === 'small.txt'))).toBeUndefined();
    const again = await TorrentInfo.fromBytes(t.toBytes());
    expect(again.infoHashes).toEqual(t.infoHashes);
    const m = parseMagnet(t.toMagnet());
    expect(m.infoHashes.v2).toEqual(built.v2);
  });

  it('rejects a piece layer that does not hash to its pieces root', async () => {
    const built = await buildTorrent({ name: 'v2t', pieceLength: PL, version: 'v2', files });
    const root = bdecode(built.torrent, { strict: false }) as BDict;
    const layers = root.get('piece layers') as BDict;
    const [key, layer] = [...layers][0]!;
    const bad = (layer as Uint8Array).slice();
    bad[0]! ^= 1;
    layers.set(key, bad);
    expect(await codeOf(TorrentInfo.fromBytes(bencode(root)))).toBe('torrent_invalid_piece_layers');
    layers.set(key, (layer as Uint8Array).subarray(32));
    expect(await codeOf(TorrentInfo.fromBytes(bencode(root)))).toBe('torrent_invalid_piece_layers');
    root.delete('piece layers');
    expect(await codeOf(TorrentInfo.fromBytes(bencode(root)))).toBe('torrent_invalid_piece_layers');
    // From magnet metadata there are no layers to check yet.
    expect((await TorrentInfo.fromInfoDict(built.info)).metaVersion).toBe('v2');
  });

  it('parses a hybrid torrent: both hashes, v1 pad files, pieces roots attached', async () => {
    const built = await buildTorrent({ name: 'hy', pieceLength: PL, version: 'hybrid', files });
    const t = await TorrentInfo.fromBytes(built.torrent);
    expect(t.metaVersion).toBe('hybrid');
    expect(t.infoHashes.v1).toEqual(built.v1);
    expect(t.infoHashes.v2).toEqual(built.v2);
    expect(t.files.filter((f) => f.pad).length).toBe(2);
    expect(t.files.filter((f) => !f.pad).every((f) => f.piecesRoot?.length === 32)).toBe(true);
    expect(t.pieceHash(0)).toEqual(await sha1(built.content.subarray(0, PL)));
    const m = parseMagnet(t.toMagnet());
    expect(m.infoHashes).toEqual({ v1: built.v1, v2: built.v2 });
  });

  it('rejects a hybrid whose v1 list and v2 tree disagree', async () => {
    const built = await buildTorrent({
      name: 'hy',
      pieceLength: PL,
      version: 'hybrid',
      files,
      info: { files: [{ length: 5 * PL + 1000, path: ['dir', 'big.bin'] }, { length: 1000, path: ['dir', 'other.txt'] }] },
    });
    expect(await codeOf(TorrentInfo.fromBytes(built.torrent))).toBe('torrent_invalid_file_tree');
  });

  it('v2 single-file torrent uses the file name directly', async () => {
    const built = await buildTorrent({ name: 'one.bin', pieceLength: PL, version: 'v2', single: true, files: [{ path: [], data: bytesOf(3 * PL) }] });
    const t = await TorrentInfo.fromBytes(built.torrent);
    expect(t.files.map((f) => f.path)).toEqual([['one.bin']]);
  });

  it('applies BEP 47 attributes from the v2 file tree', async () => {
    const built = await buildTorrent({ name: 'a', pieceLength: PL, version: 'v2', files: [{ path: ['run.sh'], data: bytesOf(10), attr: 'x' }, { path: ['b'], data: bytesOf(10) }] });
    const t = await TorrentInfo.fromBytes(built.torrent);
    expect(t.files.find((f) => f.path.at(-1) === 'run.sh')?.executable).toBe(true);
  });
});

describe('TorrentInfo at scale (speed: test/bench/metainfo.bench.ts)', () => {
  it('parses a 2 MB v1 torrent (100k pieces)', async () => {
    const pieceLength = 16384;
    const count = 100_000;
    const torrent = bencode({
      announce: 'http://t/a',
      info: { length: count * pieceLength, name: 'big', 'piece length': pieceLength, pieces: bytesOf(count * 20) },
    });
    expect(torrent.length).toBeGreaterThan(2_000_000);
    const t = await TorrentInfo.fromBytes(torrent);
    expect(t.pieceCount).toBe(count);
    expect(t.pieceHash(count - 1)?.length).toBe(20);
  });
});
