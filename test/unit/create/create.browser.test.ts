// CreateTorrent in real Chromium: WebCrypto hashing over Uint8Array and Blob/File sources, checked
// against info-hashes computed independently here (pieces hashed in the test, info dict encoded by
// the `bencode` package).
import bencodeOracle from 'bencode';
import { describe, expect, it } from 'vitest';
import { createHashPool } from '#platform/hash-pool';
import { CreateTorrent } from '../../../src/metainfo/create-torrent.js';
import { toHex } from '../../../src/metainfo/info-hash.js';

async function digest(algo: 'SHA-1' | 'SHA-256', data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest(algo, data as Uint8Array<ArrayBuffer>));
}

function randomData(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let o = 0; o < n; o += 65536) crypto.getRandomValues(out.subarray(o, Math.min(n, o + 65536)));
  return out;
}

async function v1Pieces(data: Uint8Array, pl: number): Promise<Uint8Array> {
  const n = Math.ceil(data.length / pl);
  const out = new Uint8Array(n * 20);
  for (let i = 0; i < n; i++) out.set(await digest('SHA-1', data.subarray(i * pl, (i + 1) * pl)), i * 20);
  return out;
}

/** BEP 52 root of a file no larger than one piece: 16 KiB leaves padded to a power of two. */
async function smallFileRoot(data: Uint8Array): Promise<Uint8Array> {
  let layer: Uint8Array[] = [];
  for (let o = 0; o < data.length; o += 16384) layer.push(await digest('SHA-256', data.subarray(o, o + 16384)));
  while ((layer.length & (layer.length - 1)) !== 0) layer.push(new Uint8Array(32));
  while (layer.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < layer.length; i += 2) {
      const pair = new Uint8Array(64);
      pair.set(layer[i]!, 0);
      pair.set(layer[i + 1]!, 32);
      next.push(await digest('SHA-256', pair));
    }
    layer = next;
  }
  return layer[0]!;
}

describe('CreateTorrent in the browser', () => {
  it('v1 from a Uint8Array matches an independently computed info-hash', async () => {
    const data = randomData(300_000);
    const ct = new CreateTorrent({ version: 'v1', pieceLength: 65536 });
    ct.addFile({ data, path: 'data.bin' });
    const ti = await ct.generateInfo();
    const info = { length: data.length, name: 'data.bin', 'piece length': 65536, pieces: await v1Pieces(data, 65536) };
    expect(toHex(ti.infoHashes.v1!)).toBe(toHex(await digest('SHA-1', bencodeOracle.encode(info))));
  });

  it('multi-file v1 from File objects (webkitRelativePath-less names under one folder)', async () => {
    const x = randomData(70_000);
    const y = randomData(5);
    const ct = new CreateTorrent({ version: 'v1', pieceLength: 16384, creationDate: 42 });
    ct.addFile({ data: new File([x as Uint8Array<ArrayBuffer>], 'x.bin'), path: 'folder/x.bin' });
    ct.addFile({ data: new Blob([y as Uint8Array<ArrayBuffer>]), path: ['folder', 'sub', 'y'] });
    const ti = await ct.generateInfo();
    const all = new Uint8Array(x.length + y.length);
    all.set(x);
    all.set(y, x.length);
    const info = {
      files: [{ length: x.length, path: ['x.bin'] }, { length: 5, path: ['sub', 'y'] }],
      name: 'folder', 'piece length': 16384, pieces: await v1Pieces(all, 16384),
    };
    expect(toHex(ti.infoHashes.v1!)).toBe(toHex(await digest('SHA-1', bencodeOracle.encode(info))));
    expect(ti.creationDate).toBe(42);
  });

  it('hybrid from a Blob: v1 and v2 info-hashes match', async () => {
    const data = randomData(40_000);
    const ct = new CreateTorrent({ version: 'hybrid', pieceLength: 65536 });
    ct.addFile({ data: new Blob([data as Uint8Array<ArrayBuffer>]), path: 'blob.bin' });
    const ti = await ct.generateInfo();
    const info = {
      'file tree': { 'blob.bin': { '': { length: data.length, 'pieces root': await smallFileRoot(data) } } },
      length: data.length, 'meta version': 2, name: 'blob.bin', 'piece length': 65536, pieces: await v1Pieces(data, 65536),
    };
    const encoded = bencodeOracle.encode(info);
    expect(toHex(ti.infoHashes.v1!)).toBe(toHex(await digest('SHA-1', encoded)));
    expect(toHex(ti.infoHashes.v2!)).toBe(toHex(await digest('SHA-256', encoded)));
  });

  it('the WebCrypto pool hashes and refuses file paths', async () => {
    const pool = createHashPool();
    const d = randomData(1000);
    expect(toHex(await pool.sha1(d))).toBe(toHex(await digest('SHA-1', d)));
    await expect(pool.hashPieces({ pieceLength: 16384, segments: [{ kind: 'path', path: '/x', offset: 0, length: 1 }], v1: true, v2Length: 0, v2Leaves: 0 })).rejects.toMatchObject({ code: 'not_supported' });
    await expect(new CreateTorrent().addPath('/tmp')).rejects.toMatchObject({ code: 'not_supported' });
    await pool.close();
    await expect(pool.sha1(d)).rejects.toMatchObject({ code: 'aborted' });
  });

  it('the WebCrypto pool hashes a one-segment job from the caller\'s bytes as they were when called', async () => {
    const pool = createHashPool();
    const pl = 65536;
    const data = randomData(3 * pl + 100);
    const want = await v1Pieces(data, pl);
    const wantRoot = await smallFileRoot(data.subarray(0, 16384 * 3));
    const original = data.slice();
    const v1 = pool.hashPieces({ pieceLength: pl, segments: [{ kind: 'bytes', bytes: data }], v1: true, v2Length: 0, v2Leaves: 0 });
    const v2 = pool.hashPieces({ pieceLength: pl, segments: [{ kind: 'bytes', bytes: data.subarray(0, 16384 * 3) }], v1: false, v2Length: 16384 * 3, v2Leaves: 4 });
    data.fill(0xee); // the caller reuses its buffer: the hashes are of the bytes at call time
    expect(toHex((await v1).v1!)).toBe(toHex(want));
    expect(toHex((await v2).v2!)).toBe(toHex(wantRoot));
    // several segments are joined into one array first
    const two = await pool.hashPieces({ pieceLength: pl, segments: [{ kind: 'bytes', bytes: original.subarray(0, 1000) }, { kind: 'zeros', length: pl - 1000 }], v1: true, v2Length: 0, v2Leaves: 0 });
    const joined = new Uint8Array(pl);
    joined.set(original.subarray(0, 1000));
    expect(toHex(two.v1!)).toBe(toHex(await v1Pieces(joined, pl)));
    await pool.close();
  });
});
