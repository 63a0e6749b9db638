/**
 * Layouts and byte patterns for the shared storage suite (test/suites/storage.suite.ts) and the adapter tests.
 * Runtime-neutral: used by Node and Chromium test files alike.
 */
import { expect } from 'vitest';
import type { LayoutFile, TorrentLayout } from '../../../src/interfaces/storage.js';
import type { ErrorCode } from '../../../src/errors.js';

/** A file of a test layout: a length, or a length with the BEP 47 pad flag. */
export type FileSpec = number | { length: number; pad: true };

/** 40 random lowercase hex characters, like an info-hash id. */
export function randomId(): string {
  const b = crypto.getRandomValues(new Uint8Array(20));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** Builds a layout whose files live under `torrent/` (every third in `torrent/sub/`, pads in `torrent/.pad/`). */
export function makeLayout(files: readonly FileSpec[], pieceLength: number, id = randomId()): TorrentLayout {
  let offset = 0;
  const out: LayoutFile[] = files.map((spec, i) => {
    const length = typeof spec === 'number' ? spec : spec.length;
    const pad = typeof spec !== 'number';
    const path = pad ? ['torrent', '.pad', String(i)] : i % 3 === 2 ? ['torrent', 'sub', `f${i}.bin`] : ['torrent', `f${i}.bin`];
    const f: LayoutFile = { path, length, offset, pad };
    offset += length;
    return f;
  });
  return { id, pieceLength, totalLength: offset, pieceCount: Math.ceil(offset / pieceLength), files: out };
}

/** One file of 100000 bytes in 32 KiB pieces: three full pieces and a short last piece of 1696 bytes. */
export const singleFile = (): TorrentLayout => makeLayout([100000], 32768);

/**
 * Ten files in 16 KiB pieces (82768 bytes, 6 pieces, last one 848 bytes): zero-length files at the start,
 * middle and end, a file ending exactly on a piece boundary, a pad file aligning the next file to a piece,
 * a one-byte file, and pieces spanning up to four files.
 */
export const multiFile = (): TorrentLayout =>
  makeLayout([5000, 0, 11384, 3000, { length: 13384, pad: true }, 0, 40000, 1, 0, 9999], 16384);

/** A small version of {@link multiFile} (17970 bytes in 4 KiB pieces) for property tests. */
export const smallMultiFile = (): TorrentLayout =>
  makeLayout([500, 0, 3596, 300, { length: 3796, pad: true }, 0, 9000, 1, 0, 777], 4096);

/** Deterministic non-zero-heavy bytes for absolute offsets [abs, abs + n). */
export function pattern(abs: number, n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (Math.imul(abs + i + seed * 7919, 2654435761) >>> 24) ^ seed;
  return out;
}

/** Zeroes the bytes of `buf` (covering absolute [abs, abs + buf.length)) that fall in pad files. */
export function maskPads(layout: TorrentLayout, abs: number, buf: Uint8Array): Uint8Array {
  for (const f of layout.files) {
    if (f.pad !== true) continue;
    const from = Math.max(abs, f.offset);
    const to = Math.min(abs + buf.length, f.offset + f.length);
    if (from < to) buf.fill(0, from - abs, to - abs);
  }
  return buf;
}

/** Size of piece `i` of `layout`. */
export const sizeOf = (layout: TorrentLayout, i: number): number =>
  i === layout.pieceCount - 1 ? layout.totalLength - i * layout.pieceLength : layout.pieceLength;

/** Asserts that `p` rejects with a TorrentError carrying `code`. */
export async function expectCode(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  await expect(p).rejects.toMatchObject({ name: 'TorrentError', code });
}

/** Compares two byte arrays, reporting the first differing index rather than dumping both. */
export function expectBytes(actual: Uint8Array, expected: Uint8Array, what = 'bytes'): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let i = 0;
  while (i < actual.length && actual[i] === expected[i]) i++;
  expect(i === actual.length ? -1 : i, `${what}: first differing index`).toBe(-1);
}

/** Deletes an IndexedDB database (browser). idb-keyval keeps its connection open, so a blocked delete
 * resolves at once and completes when that connection closes with the page. */
export function dropDb(name: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const req = indexedDB.deleteDatabase(name);
    req.onsuccess = () => resolve();
    req.onerror = () => reject(req.error);
    req.onblocked = () => resolve();
  });
}
