// Mutation fuzzing of real torrents through TorrentInfo.fromBytes: every mutant either parses into
// a self-consistent TorrentInfo with safe paths, or is rejected with a TorrentError.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { TorrentInfo } from '../../src/metainfo/torrent-info.js';
import { isTorrentError } from '../../src/errors.js';
import { buildTorrent, bytesOf } from '../unit/metainfo/build-torrent.js';

const seeds: Uint8Array[] = [];

beforeAll(async () => {
  const files = [
    { path: ['dir', 'a.bin'], data: bytesOf(70_000, 1) },
    { path: ['b.txt'], data: bytesOf(300, 2), attr: 'x' },
    { path: ['link'], data: new Uint8Array(0), attr: 'l', symlink: ['dir', 'a.bin'] },
  ];
  for (const version of ['v1', 'v2', 'hybrid'] as const) {
    seeds.push((await buildTorrent({ name: 'fuzz', pieceLength: 16384, version, files, outer: { announce: 'http://t/a', 'url-list': ['http://w/'] } })).torrent);
  }
});

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.constantFrom('i-1e', '0:', 'le', 'de', '1:.', '2:..', 'e', '9', '4:attr1:l', 'i99999999999e') }),
  fc.record({ kind: fc.constant('digit' as const), at: fc.nat(), value: fc.integer({ min: 0x30, max: 0x39 }) }),
);

type Mutation = { kind: 'flip' | 'digit' | 'delete' | 'insert'; at: number; value?: number; len?: number; bytes?: string };

function mutate(seed: Uint8Array, muts: readonly Mutation[]): Uint8Array {
  let b = Array.from(seed);
  for (const m of muts) {
    const at = m.at % (b.length + 1);
    if (m.kind === 'flip' || m.kind === 'digit') b[Math.min(at, b.length - 1)] = m.value!;
    else if (m.kind === 'delete') b.splice(at, m.len!);
    else b = [...b.slice(0, at), ...new TextEncoder().encode(m.bytes!), ...b.slice(at)];
  }
  return Uint8Array.from(b);
}

describe('TorrentInfo mutation fuzzing', () => {
  it('mutants parse consistently or fail with a TorrentError', async () => {
    let parsed = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat(2), fc.array(mutation, { minLength: 1, maxLength: 3 }), async (which, muts) => {
        const bytes = mutate(seeds[which]!, muts);
        let t: TorrentInfo;
        try {
          t = await TorrentInfo.fromBytes(bytes);
        } catch (err) {
          if (!isTorrentError(err)) throw err;
          return;
        }
        parsed++;
        let offset = 0;
        const seen = new Set<string>();
        for (const f of t.files) {
          expect(f.offset).toBe(offset);
          offset += f.length;
          for (const e of f.path) expect(e === '' || e === '.' || e === '..' || /[\\/\0]/u.test(e)).toBe(false);
          if (!f.pad) {
            const key = f.path.join('/').toLowerCase();
            expect(seen.has(key)).toBe(false);
            seen.add(key);
          }
          if (f.symlink) expect(f.symlink.includes('..')).toBe(false);
        }
        expect(offset).toBe(t.totalLength);
        expect(t.pieceCount).toBe(Math.ceil(t.totalLength / t.pieceLength));
      }),
      { numRuns: 3000 },
    );
    // Sanity: the fuzzer is not only producing garbage.
    expect(parsed).toBeGreaterThan(10);
  });
});
