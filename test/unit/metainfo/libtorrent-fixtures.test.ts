// Parses .torrent files made by python3-libtorrent 2.0 (test/fixtures/metainfo/generate.py) and
// compares with what libtorrent itself reads from them (the .json beside each file).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../src/metainfo/info-hash.js';
import { TorrentInfo } from '../../../src/metainfo/torrent-info.js';

const dir = fileURLToPath(new URL('../../fixtures/metainfo/', import.meta.url));

interface Expected {
  v1: string | null;
  v2: string | null;
  name: string;
  pieceLength: number;
  pieceCount: number;
  totalLength: number;
  files: Array<{ path: string; length: number; offset: number; pad: boolean }>;
  pieceHash0: string | null;
}

describe.each(['lt-v1', 'lt-v2', 'lt-hybrid', 'lt-single-hybrid'])('libtorrent fixture %s', (name) => {
  it('matches libtorrent’s own reading', async () => {
    const expected = JSON.parse(readFileSync(`${dir}${name}.json`, 'utf8')) as Expected;
    const t = await TorrentInfo.fromBytes(new Uint8Array(readFileSync(`${dir}${name}.torrent`)));
    expect(t.infoHashes.v1 ? toHex(t.infoHashes.v1) : null).toBe(expected.v1);
    expect(t.infoHashes.v2 ? toHex(t.infoHashes.v2) : null).toBe(expected.v2);
    expect(t.name).toBe(expected.name);
    expect(t.pieceLength).toBe(expected.pieceLength);
    expect(t.pieceCount).toBe(expected.pieceCount);
    expect(t.totalLength).toBe(expected.totalLength);
    expect(t.files.map((f) => ({ path: f.path.join('/'), length: f.length, offset: f.offset, pad: f.pad }))).toEqual(expected.files);
    expect(t.pieceHash(0) ? toHex(t.pieceHash(0)!) : null).toBe(expected.pieceHash0);
    expect(t.announce).toEqual([['http://tracker.example/announce']]);
    expect(t.createdBy).toBe('libtorrent fixture');
    // Re-serialising keeps the info dict verbatim, so the hashes survive.
    expect((await TorrentInfo.fromBytes(t.toBytes())).infoHashes).toEqual(t.infoHashes);
  });
});
