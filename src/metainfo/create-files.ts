/**
 * The file list of a torrent being created: sources, ordering, BEP 47 pad files and the automatic
 * piece length — each rule chosen to give the same layout as libtorrent 2.0's create_torrent.
 *
 * - Every path starts with the torrent's name. One file whose path is just the name makes a
 *   single-file torrent; anything else is multi-file (libtorrent's rule).
 * - Ordering: v1 keeps the order files were added unless canonical ordering is asked for; v2 and
 *   hybrid always sort. Sorting compares paths element by element, bytewise on UTF-8 (so "a/c" sorts
 *   before "a b", and "B" before "a").
 * - Pad files (canonical v1, v2, hybrid) follow every non-empty file whose end is not piece-aligned,
 *   including the last one, but only when the torrent has more than one file. A pad is named
 *   `<name>/.pad/<size>` and carries attr "p". Empty files get no pad.
 */
import { TorrentError } from '../errors.js';

/** Where a file's bytes come from. */
export type FileSource =
  | { readonly kind: 'path'; readonly path: string }
  | { readonly kind: 'blob'; readonly blob: Blob }
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array };

/** A file as listed by `#platform/files` or added by the user, before layout. */
export interface ListedFile {
  /** Path elements; the first is the torrent's name. */
  readonly path: readonly string[];
  readonly length: number;
  /** Modification time, unix seconds (written only when asked for). */
  readonly mtime?: number;
  readonly executable?: boolean;
  readonly source: FileSource;
}

/** A file placed in the torrent's byte space. */
export interface LaidOutFile {
  /** Path elements including the name. */
  readonly path: readonly string[];
  readonly length: number;
  readonly offset: number;
  readonly pad: boolean;
  readonly executable: boolean;
  readonly mtime?: number;
  /** Absent for pad files. */
  readonly source?: FileSource;
}

/** Bytes in a BEP 52 merkle leaf, and the smallest v2 piece. */
export const BLOCK_SIZE = 16384;

const utf8 = new TextEncoder();

/** Bytewise comparison of two UTF-8 strings (code point order, unlike `<` on UTF-16). */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/** libtorrent's canonical order: element by element, a path that is a prefix of another first. */
export function comparePaths(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareUtf8(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/**
 * libtorrent's automatic piece size: 16 KiB doubled once for every threshold below the total size,
 * from sqrt-proportional hash-list sizing (16 KiB up to 2.68 MB, ..., 16 MiB above 703.7 GB).
 */
export function autoPieceLength(totalLength: number): number {
  const table = [2684355, 10737418, 42949673, 171798692, 687194767, 2748779069, 10995116278, 43980465111, 175921860444, 703687441777];
  let i = 0;
  for (const s of table) {
    if (s >= totalLength) break;
    i++;
  }
  return BLOCK_SIZE * 2 ** i;
}

/** Splits "a/b/c" (or takes an array) into checked path elements. */
export function splitPath(path: string | readonly string[]): string[] {
  const parts = typeof path === 'string' ? path.split(/[\\/]+/).filter((p) => p.length > 0) : [...path];
  if (parts.length === 0) throw new TorrentError('torrent_invalid_file_path', 'a file needs a non-empty path');
  for (const p of parts) {
    if (p === '' || p === '.' || p === '..' || p.includes('/') || p.includes('\0')) {
      throw new TorrentError('torrent_invalid_file_path', `invalid path element ${JSON.stringify(p)}`, { details: { element: p } });
    }
  }
  return parts;
}

/** Checks that all files share one name and no path repeats or is both a file and a directory. */
export function checkFileList(files: readonly ListedFile[]): string {
  if (files.length === 0) throw new TorrentError('create_no_files', 'no files were added');
  const name = files[0]!.path[0]!;
  const seen = new Set<string>();
  const dirs = new Set<string>();
  for (const f of files) {
    if (f.path[0] !== name) {
      throw new TorrentError('create_invalid_option', `all files must share the torrent name ${JSON.stringify(name)}; got ${JSON.stringify(f.path.join('/'))}`);
    }
    if (files.length > 1 && f.path.length === 1) {
      throw new TorrentError('create_invalid_option', `${JSON.stringify(name)} is both a file and the torrent's directory`);
    }
    if (!Number.isSafeInteger(f.length) || f.length < 0) throw new TorrentError('torrent_invalid_length', 'file length must be a non-negative safe integer');
    const key = f.path.join('/');
    if (seen.has(key) || dirs.has(key)) throw new TorrentError('create_invalid_option', `duplicate path ${JSON.stringify(key)}`);
    seen.add(key);
    for (let i = 1; i < f.path.length; i++) dirs.add(f.path.slice(0, i).join('/'));
  }
  for (const d of dirs) if (seen.has(d)) throw new TorrentError('create_invalid_option', `${JSON.stringify(d)} is both a file and a directory`);
  return name;
}

/** Places `files` in the byte space: optionally sorted and padded so each file starts a piece. */
export function layoutFiles(
  files: readonly ListedFile[],
  pieceLength: number,
  opts: { sort: boolean; pad: boolean },
): { files: LaidOutFile[]; totalLength: number } {
  const name = checkFileList(files);
  const ordered = opts.sort ? [...files].sort((a, b) => comparePaths(a.path, b.path)) : files;
  const pad = opts.pad && files.length > 1;
  const out: LaidOutFile[] = [];
  let off = 0;
  for (const f of ordered) {
    out.push({
      path: f.path,
      length: f.length,
      offset: off,
      pad: false,
      executable: f.executable ?? false,
      ...(f.mtime !== undefined ? { mtime: f.mtime } : {}),
      source: f.source,
    });
    off += f.length;
    if (pad && f.length > 0 && off % pieceLength !== 0) {
      const size = pieceLength - (off % pieceLength);
      out.push({ path: [name, '.pad', String(size)], length: size, offset: off, pad: true, executable: false });
      off += size;
    }
  }
  return { files: out, totalLength: off };
}
