// HOSTILE-INPUTS.md cases 1–13 (bencode, metainfo, magnet links), one describe per case.
import { describe, expect, it } from 'vitest';
import { sha1 } from '#platform/sha';
import { bdecode, bencode } from '../../../src/metainfo/bencode.js';
import type { BDict, BEncodable } from '../../../src/metainfo/bencode.js';
import { parseMagnet } from '../../../src/metainfo/magnet.js';
import { TorrentInfo } from '../../../src/metainfo/torrent-info.js';
import { isTorrentError } from '../../../src/errors.js';
import { buildTorrent, bytesOf } from './build-torrent.js';
import type { BuildOptions } from './build-torrent.js';

const te = new TextEncoder();

async function codeOf(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn();
  } catch (err) {
    if (isTorrentError(err)) return err.code;
    throw err;
  }
  return undefined;
}

/** A multi-file v1 torrent whose `files` list is replaced by `files`. */
async function withFiles(files: BEncodable[], extra: Partial<BuildOptions> = {}): Promise<TorrentInfo> {
  // Content for the piece hashes; lengths that are not sane numbers get 1 byte (the parser must reject them).
  const total = (files as Array<{ length: unknown }>).reduce<number>((n, f) => n + (typeof f.length === 'number' && f.length >= 0 && f.length < 1e7 ? f.length : 1), 0);
  const built = await buildTorrent({
    name: 'root',
    pieceLength: 16384,
    version: 'v1',
    files: [{ path: ['x'], data: new Uint8Array(total) }],
    info: { files },
    ...extra,
  });
  return TorrentInfo.fromBytes(built.torrent);
}

const paths = (t: TorrentInfo): string[] => t.files.map((f) => f.path.join('/'));

describe('case 1: negative or oversized string lengths', () => {
  it.each(['l-3:e', '-1:', '999999999:ab', 'd4:info999999999999999999:x'])('rejects %j quickly, without allocating', async (s) => {
    const t0 = performance.now();
    expect(await codeOf(() => bdecode(te.encode(s)))).toMatch(/^bdecode_/);
    expect(await codeOf(() => TorrentInfo.fromBytes(te.encode(s)))).toMatch(/^bdecode_/);
    expect(performance.now() - t0).toBeLessThan(2000); // a no-hang guard, not a speed target
  });
});

describe('case 2: deep nesting and token floods', () => {
  it('rejects nesting deeper than 100 without a stack overflow', async () => {
    const deep = te.encode('d4:info' + 'l'.repeat(200_000) + 'e'.repeat(200_000) + 'e');
    expect(await codeOf(() => TorrentInfo.fromBytes(deep))).toBe('bdecode_depth_exceeded');
  });
  it('rejects more than 2 million tokens', async () => {
    const flood = te.encode('d4:infoli' + '0ei'.repeat(2_000_001) + '0eee');
    expect(await codeOf(() => TorrentInfo.fromBytes(flood))).toBe('bdecode_token_limit_exceeded');
  });
});

describe('case 3: non-canonical and huge integers', () => {
  it.each(['i-0e', 'i03e', 'i1.5e', `i${'1'.repeat(70)}e`])('rejects %s', async (s) => {
    expect(await codeOf(() => bdecode(te.encode(s)))).toBe('bdecode_invalid_integer');
  });
  it('a piece length beyond 2^53 is rejected, not rounded', async () => {
    const built = await buildTorrent({ name: 'n', pieceLength: 16384, version: 'v1', single: true, files: [{ path: [], data: bytesOf(10) }], info: { 'piece length': 2n ** 60n } });
    expect(await codeOf(() => TorrentInfo.fromBytes(built.torrent))).toBe('torrent_invalid_piece_length');
  });
});

describe('case 4: __proto__ keys, unsorted and duplicate keys', () => {
  it('stores __proto__ / constructor as data', async () => {
    const built = await buildTorrent({ name: 'n', pieceLength: 16384, version: 'v1', single: true, files: [{ path: [], data: bytesOf(10) }], outer: { __proto__: 'x', constructor: 1 } as Record<string, BEncodable> });
    const root = bdecode(built.torrent) as BDict;
    expect(root.has('__proto__') || root.has('constructor')).toBe(true);
    const t = await TorrentInfo.fromBytes(built.torrent);
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'x')).toBe(false);
    expect(t.name).toBe('n');
  });
  it('rejects unsorted or duplicate keys inside the info dict, accepts unsorted outer keys', async () => {
    const built = await buildTorrent({ name: 'n', pieceLength: 16384, version: 'v1', single: true, files: [{ path: [], data: bytesOf(10) }] });
    const info = new TextDecoder('latin1').decode(built.info);
    const swapped = info.replace('6:lengthi10e4:name1:n', '4:name1:n6:lengthi10e');
    expect(swapped).not.toBe(info);
    const unsorted = Uint8Array.from(`d4:info${swapped}e`, (c) => c.charCodeAt(0));
    expect(await codeOf(() => TorrentInfo.fromBytes(unsorted))).toBe('bdecode_unsorted_keys');
    const dup = Uint8Array.from(`d4:info${info.replace('4:name1:n', '4:name1:n4:name1:m')}e`, (c) => c.charCodeAt(0));
    expect(await codeOf(() => TorrentInfo.fromBytes(dup))).toBe('bdecode_duplicate_key');
    const twoInfos = Uint8Array.from(`d4:info${info}4:info${info}e`, (c) => c.charCodeAt(0));
    expect(await codeOf(() => TorrentInfo.fromBytes(twoInfos))).toBe('bdecode_duplicate_key');
    const outerUnsorted = Uint8Array.from(`d4:info${info}8:announce1:ue`, (c) => c.charCodeAt(0));
    expect((await TorrentInfo.fromBytes(outerUnsorted)).announce).toEqual([['u']]);
  });
});

describe('case 5: info-hash over the raw info bytes', () => {
  it('hashes the info dict exactly as received (no re-encoding)', async () => {
    const built = await buildTorrent({ name: 'n', pieceLength: 16384, version: 'v1', single: true, files: [{ path: [], data: bytesOf(10) }], info: { 'x-unknown': [{ z: 1, a: [2n ** 62n] }] } });
    const t = await TorrentInfo.fromBytes(built.torrent);
    expect(t.infoHashes.v1).toEqual(await sha1(built.info));
    expect(t.infoBytes).toEqual(built.info);
  });
});

describe('case 6: hostile path elements', () => {
  it('sanitises .., ., empty, absolute, drive letters, backslashes, NUL, control and bidi chars', async () => {
    const t = await withFiles([
      { length: 1, path: ['..', '..', 'etc', 'passwd'] },
      { length: 1, path: ['.', '', 'a'] },
      { length: 1, path: ['/abs'] },
      { length: 1, path: ['C:', 'win.ini'] },
      { length: 1, path: ['..\\..\\evil.txt'] },
      { length: 1, path: ['nul\0byte\x07\u202egnp.exe'] },
    ]);
    expect(paths(t)).toEqual(['root/etc/passwd', 'root/a', 'root/_abs', 'root/C_/win.ini', 'root/.._.._evil.txt', 'root/nulbytegnp.exe']);
    for (const f of t.files) for (const e of f.path) expect(e === '..' || e === '.' || e === '' || /[\\/:\0]/u.test(e)).toBe(false);
  });
});

describe('case 7: reserved names, trailing dots/spaces, long elements', () => {
  it('renames them, keeping the extension', async () => {
    const long = 'é'.repeat(200) + '.mkv';
    const t = await withFiles([
      { length: 1, path: ['CON'] },
      { length: 1, path: ['nul.txt'] },
      { length: 1, path: ['dir', 'com1.tar.gz'] },
      { length: 1, path: ['trailing. . '] },
      { length: 1, path: [long] },
    ]);
    const p = paths(t);
    expect(p.slice(0, 4)).toEqual(['root/CON_', 'root/nul_.txt', 'root/dir/com1_.tar.gz', 'root/trailing']);
    const last = t.files[4]!.path[1]!;
    expect(te.encode(last).length).toBeLessThanOrEqual(255);
    expect(last.endsWith('.mkv')).toBe(true);
  });
});

describe('case 8: duplicate paths and file/directory clashes', () => {
  it('disambiguates instead of overwriting', async () => {
    const t = await withFiles([
      { length: 1, path: ['a.txt'] },
      { length: 1, path: ['a.txt'] },
      { length: 1, path: ['A.TXT'] },
      { length: 1, path: ['d'] },
      { length: 1, path: ['d', 'inner'] },
      { length: 1, path: ['d', 'inner2'] },
      { length: 1, path: ['x', 'y'] },
      { length: 1, path: ['x'] },
    ]);
    expect(paths(t)).toEqual(['root/a.txt', 'root/a.1.txt', 'root/A.2.TXT', 'root/d', 'root/d.1/inner', 'root/d.1/inner2', 'root/x/y', 'root/x.1']);
    expect(new Set(paths(t).map((s) => s.toLowerCase())).size).toBe(t.files.length);
  });
});

describe('case 9: empty, . and .. torrent names', () => {
  it.each(['', '.', '..', '/', '\0'])('replaces name %j with a safe one', async (name) => {
    const built = await buildTorrent({ name, pieceLength: 16384, version: 'v1', files: [{ path: ['f'], data: bytesOf(10) }] });
    const t = await TorrentInfo.fromBytes(built.torrent);
    expect(['', '.', '..']).not.toContain(t.name);
    expect(t.files[0]!.path[0]).toBe(t.name);
    expect(t.files[0]!.path).toHaveLength(2);
  });
});

describe('case 10: bad lengths and zero-length torrents', () => {
  it.each<[string, BEncodable]>([
    ['negative', -1],
    ['non-integer', '12'],
    ['absurd', 2 ** 52],
    ['bigint', 2n ** 62n],
  ])('rejects a %s file length', async (_label, length) => {
    expect(await codeOf(() => withFiles([{ length, path: ['a'] }]))).toBe('torrent_invalid_length');
  });
  it('rejects a zero-length torrent', async () => {
    expect(await codeOf(() => withFiles([{ length: 0, path: ['a'] }, { length: 0, path: ['b'] }]))).toBe('torrent_empty');
    expect(await codeOf(() => withFiles([]))).toBe('torrent_empty');
  });
});

describe('case 11: piece length and piece count limits', () => {
  const single = (info: Record<string, BEncodable | undefined>, version: 'v1' | 'v2' = 'v1'): Promise<Uint8Array> =>
    buildTorrent({ name: 'n', pieceLength: 16384, version, single: true, files: [{ path: [], data: bytesOf(40_000) }], info }).then((b) => b.torrent);
  it.each<[string, number]>([
    ['zero', 0],
    ['negative', -16384],
    ['over 512 MiB', 2 ** 29 + 2 ** 14],
  ])('rejects a %s piece length', async (_l, pl) => {
    expect(await codeOf(async () => TorrentInfo.fromBytes(await single({ 'piece length': pl })))).toBe('torrent_invalid_piece_length');
  });
  it('requires a power of two ≥ 16 KiB for v2, but not for v1', async () => {
    expect(await codeOf(async () => TorrentInfo.fromBytes(await single({ 'piece length': 3 * 16384 }, 'v2')))).toBe('torrent_invalid_piece_length');
    expect(await codeOf(async () => TorrentInfo.fromBytes(await single({ 'piece length': 8192 }, 'v2')))).toBe('torrent_invalid_piece_length');
    const v1 = await buildTorrent({ name: 'n', pieceLength: 30000, version: 'v1', single: true, files: [{ path: [], data: bytesOf(40_000) }] });
    expect((await TorrentInfo.fromBytes(v1.torrent)).pieceCount).toBe(2);
  });
  it('rejects pieces not a multiple of 20 and a piece-count mismatch', async () => {
    expect(await codeOf(async () => TorrentInfo.fromBytes(await single({ pieces: new Uint8Array(59) })))).toBe('torrent_invalid_pieces');
    expect(await codeOf(async () => TorrentInfo.fromBytes(await single({ pieces: new Uint8Array(40) })))).toBe('torrent_invalid_pieces');
    expect(await codeOf(async () => TorrentInfo.fromBytes(await single({ pieces: undefined })))).toBe('torrent_invalid_pieces');
  });
  it('rejects more than 2,097,152 pieces before building anything per piece', async () => {
    // 1 PiB in 16 KiB pieces claims 2^36 pieces while the file holds a 20-byte `pieces`.
    const t0 = performance.now();
    expect(await codeOf(async () => TorrentInfo.fromBytes(await single({ length: 2 ** 50, pieces: new Uint8Array(20) })))).toBe('torrent_too_many_pieces');
    expect(await codeOf(async () => TorrentInfo.fromBytes(await single({}), { maxPieces: 2 }))).toBe('torrent_too_many_pieces');
    expect(performance.now() - t0).toBeLessThan(2000); // a no-hang guard, not a speed target
  });
});

describe('case 12: symlinks pointing outside the torrent', () => {
  it('keeps targets inside the torrent and neutralises escaping ones', async () => {
    const t = await withFiles([
      { length: 1, path: ['data'] },
      { length: 0, path: ['ok-link'], attr: 'l', 'symlink path': ['sub', '..', 'data'] },
      { length: 0, path: ['up'], attr: 'l', 'symlink path': ['..', '..', 'etc', 'passwd'] },
      { length: 0, path: ['sneaky'], attr: 'l', 'symlink path': ['a', '..', '..', 'x'] },
      { length: 0, path: ['abs'], attr: 'l', 'symlink path': ['/etc', 'passwd'] },
      { length: 0, path: ['drive'], attr: 'l', 'symlink path': ['C:', 'Windows'] },
      { length: 0, path: ['self'], attr: 'l', 'symlink path': ['.'] },
    ]);
    const byName = new Map(t.files.map((f) => [f.path.at(-1)!, f]));
    expect(byName.get('ok-link')!.symlink).toEqual(['root', 'data']);
    for (const n of ['up', 'sneaky', 'abs', 'drive', 'self']) expect(byName.get(n)!.symlink).toBeUndefined();
  });
});

describe('case 13: malformed magnet links', () => {
  it.each<[string, string]>([
    ['magnet:?xt=urn:btih:zz' + '0'.repeat(38), 'magnet_invalid_info_hash'],
    ['magnet:?xt=urn:btih:' + '0'.repeat(39), 'magnet_invalid_info_hash'],
    ['magnet:?xt=urn:btih:' + '1'.repeat(32), 'magnet_invalid_info_hash'],
    ['magnet:?xt=urn:btmh:1114' + '0'.repeat(64), 'magnet_invalid_info_hash'],
    ['magnet:?xt=urn:btmh:1220' + '0'.repeat(63), 'magnet_invalid_info_hash'],
    ['magnet:?dn=nothing', 'magnet_invalid_info_hash'],
    ['http://example.com/?xt=urn:btih:' + '0'.repeat(40), 'magnet_invalid'],
    ['magnet:?xt=urn:btih:' + '0'.repeat(40) + '&dn=%E0%A4%A', 'magnet_invalid'],
    ['magnet:?xt=urn:btih:' + '0'.repeat(40) + '&x.pe=1.2.3.4:99999', 'magnet_invalid'],
    ['magnet:?xt=urn:btih:' + '0'.repeat(40) + '&so=5-2', 'magnet_invalid'],
    ['magnet:?xt=urn:btih:' + '0'.repeat(40) + '&so=0-999999999', 'magnet_parameter_too_long'],
    ['magnet:?xt=urn:btih:' + '0'.repeat(40) + '&tr=' + 'a'.repeat(10_000), 'magnet_parameter_too_long'],
    ['magnet:?xt=urn:btih:' + '0'.repeat(40) + '&tr=x'.repeat(600), 'magnet_parameter_too_long'],
    ['magnet:?xt=urn:btih:' + 'a'.repeat(100_000), 'magnet_parameter_too_long'],
  ])('rejects %#', (uri, code) => {
    let caught: unknown;
    try {
      parseMagnet(uri);
    } catch (err) {
      caught = err;
    }
    expect(isTorrentError(caught) && caught.code).toBe(code);
    expect((caught as Error).message.length).toBeGreaterThan(10);
  });
});

describe('bencode input sanity for builders', () => {
  it('our test torrents are canonical', async () => {
    const b = await buildTorrent({ name: 'n', pieceLength: 16384, version: 'v1', single: true, files: [{ path: [], data: bytesOf(10) }] });
    expect(bencode(bdecode(b.torrent))).toEqual(b.torrent);
  });
});
