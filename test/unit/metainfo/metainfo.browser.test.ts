// Metainfo in real Chromium: torrents built in the test (bencoded by hand, hashed with WebCrypto via
// '#platform/sha') parse to the right info-hashes and file lists.
import { describe, expect, it } from 'vitest';
import { sha1, sha256 } from '#platform/sha';
import { bdecode } from '../../../src/metainfo/bencode.js';
import { toHex } from '../../../src/metainfo/info-hash.js';
import { parseMagnet } from '../../../src/metainfo/magnet.js';
import { TorrentInfo } from '../../../src/metainfo/torrent-info.js';
import { isTorrentError } from '../../../src/errors.js';
import { buildTorrent, bytesOf } from './build-torrent.js';

const files = [
  { path: ['docs', 'readme.txt'], data: bytesOf(1000, 1) },
  { path: ['video.bin'], data: bytesOf(3 * 16384 + 5, 2) },
];

describe('metainfo in the browser', () => {
  it('parses a v1 torrent', async () => {
    const built = await buildTorrent({ name: 'web', pieceLength: 16384, version: 'v1', files, outer: { announce: 'wss://tracker/' } });
    const t = await TorrentInfo.fromBytes(built.torrent);
    expect(toHex(t.infoHashes.v1!)).toBe(toHex(await sha1(built.info)));
    expect(t.files.map((f) => [f.path.join('/'), f.length, f.offset])).toEqual([
      ['web/docs/readme.txt', 1000, 0],
      ['web/video.bin', 3 * 16384 + 5, 1000],
    ]);
    expect(t.pieceHash(0)).toEqual(await sha1(built.content.subarray(0, 16384)));
    expect(parseMagnet(t.toMagnet()).infoHashes.v1).toEqual(t.infoHashes.v1);
  });

  it('parses a v2 torrent and verifies its piece layers', async () => {
    const built = await buildTorrent({ name: 'web2', pieceLength: 16384, version: 'v2', files });
    const t = await TorrentInfo.fromBytes(built.torrent);
    expect(t.metaVersion).toBe('v2');
    expect(toHex(t.infoHashes.v2!)).toBe(toHex(await sha256(built.info)));
    expect(t.id).toBe(toHex(t.infoHashes.v2!).slice(0, 40));
    expect(t.files.filter((f) => !f.pad).map((f) => [f.path.join('/'), f.length, f.offset])).toEqual([
      ['web2/docs/readme.txt', 1000, 0],
      ['web2/video.bin', 3 * 16384 + 5, 16384],
    ]);
    expect(t.pieceLayer(t.files.findIndex((f) => f.path.at(-1) === 'video.bin'))?.length).toBe(4 * 32);
  });

  it('rejects hostile input with typed errors', async () => {
    expect(() => bdecode(new TextEncoder().encode('l-3:e'))).toThrow(expect.objectContaining({ code: 'bdecode_invalid_token' }));
    const err = await TorrentInfo.fromBytes(new TextEncoder().encode('d4:infod4:name0:ee')).catch((e: unknown) => e);
    expect(isTorrentError(err)).toBe(true);
  });
});
