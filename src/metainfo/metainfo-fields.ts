/**
 * Field extraction for .torrent metainfo: the v1 file list (BEP 3 / BEP 47 attributes), trackers
 * (BEP 12 announce-list), web seeds (BEP 19 url-list) and the text fields. Everything here reads
 * decoded-but-untrusted dicts: wrong types in structural fields are typed errors, while entries in
 * tracker and web-seed lists that are not strings are skipped (as libtorrent does).
 */
import { TorrentError } from '../errors.js';
import { decodeUtf8Lossy, getBytes, getList, isDict } from './bencode.js';
import type { BDict, BValue } from './bencode.js';

/** Largest accepted single file length (2^50 bytes = 1 PiB); anything bigger is absurd. */
export const MAX_FILE_LENGTH = 2 ** 50;

/** A file as listed in the metainfo, before path sanitising. */
export interface RawFile {
  /** Decoded path elements below the torrent's directory (single-file: empty). */
  readonly path: string[];
  readonly length: number;
  readonly pad: boolean;
  readonly executable: boolean;
  readonly hidden: boolean;
  /** Raw `symlink path` elements when `attr` has `l`. */
  readonly symlink?: string[];
  readonly piecesRoot?: Uint8Array;
  readonly mtime?: number;
}

/** BEP 47 attribute flags of a file dict. */
export interface FileAttrs {
  pad: boolean;
  executable: boolean;
  hidden: boolean;
  symlink?: string[];
  mtime?: number;
}

/** A text field, preferring its `.utf-8` twin, decoded lossily. */
export function textField(d: BDict, key: string): string | undefined {
  const v = d.get(`${key}.utf-8`) ?? d.get(key);
  return v instanceof Uint8Array ? decodeUtf8Lossy(v) : undefined;
}

/** Validates a file length: a safe integer in [0, MAX_FILE_LENGTH]. */
export function fileLength(d: BDict, where: string): number {
  const v = d.get('length');
  if (typeof v !== 'number' || v < 0 || v > MAX_FILE_LENGTH) {
    throw new TorrentError('torrent_invalid_length', `${where}: length must be an integer in [0, 2^50]`, {
      details: { where, length: v === undefined ? 'missing' : String(v instanceof Uint8Array ? 'bytes' : v) },
    });
  }
  return v;
}

function pathList(v: BValue | undefined, where: string): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw new TorrentError('torrent_invalid_file_path', `${where}: path is not a list`, { details: { where } });
  return v.map((e) => {
    if (!(e instanceof Uint8Array)) throw new TorrentError('torrent_invalid_file_path', `${where}: path element is not a string`, { details: { where } });
    return decodeUtf8Lossy(e);
  });
}

/** BEP 47 `attr`, `symlink path` and `mtime` of a file dict. */
export function fileAttrs(d: BDict, where: string): FileAttrs {
  const attr = getBytes(d, 'attr', { code: 'torrent_invalid' });
  const has = (c: string): boolean => attr !== undefined && attr.includes(c.charCodeAt(0));
  const out: FileAttrs = { pad: has('p'), executable: has('x'), hidden: has('h') };
  if (has('l')) {
    const target = pathList(d.get('symlink path.utf-8') ?? d.get('symlink path'), `${where} symlink`);
    if (target !== undefined) out.symlink = target;
  }
  const mtime = d.get('mtime');
  if (typeof mtime === 'number' && mtime >= 0) out.mtime = mtime;
  return out;
}

/** Builds a {@link RawFile}. */
export function rawFile(path: string[], length: number, a: FileAttrs, piecesRoot?: Uint8Array): RawFile {
  return {
    path,
    length,
    pad: a.pad,
    executable: a.executable,
    hidden: a.hidden,
    ...(a.symlink ? { symlink: a.symlink } : {}),
    ...(piecesRoot ? { piecesRoot } : {}),
    ...(a.mtime !== undefined ? { mtime: a.mtime } : {}),
  };
}

/**
 * The v1 file list: `files` (multi-file) or `length` (single file).
 * @returns the files and whether the torrent is multi-file, or undefined when neither key exists.
 */
export function v1Files(info: BDict): { files: RawFile[]; multi: boolean } | undefined {
  const list = getList(info, 'files', { code: 'torrent_invalid' });
  if (list !== undefined) {
    const files = list.map((entry, i) => {
      const where = `files[${i}]`;
      if (!isDict(entry)) throw new TorrentError('torrent_invalid', `${where} is not a dictionary`, { details: { index: i } });
      const path = pathList(entry.get('path.utf-8') ?? entry.get('path'), where);
      if (path === undefined) throw new TorrentError('torrent_invalid_file_path', `${where} has no path`, { details: { index: i } });
      return rawFile(path, fileLength(entry, where), fileAttrs(entry, where));
    });
    return { files, multi: true };
  }
  if (!info.has('length')) return undefined;
  return { files: [rawFile([], fileLength(info, 'info'), fileAttrs(info, 'info'))], multi: false };
}

function strings(v: BValue | undefined): string[] {
  if (v instanceof Uint8Array) return [decodeUtf8Lossy(v)];
  if (!Array.isArray(v)) return [];
  const out: string[] = [];
  for (const e of v) if (e instanceof Uint8Array && e.length > 0) out.push(decodeUtf8Lossy(e));
  return out;
}

/** Tracker tiers: `announce-list` (BEP 12) when it has any URL, else `announce`. URLs de-duplicated. */
export function announceTiers(root: BDict): string[][] {
  const seen = new Set<string>();
  const tiers: string[][] = [];
  const list = root.get('announce-list');
  if (Array.isArray(list)) {
    for (const tier of list) {
      const urls = strings(Array.isArray(tier) ? tier : undefined).map((u) => u.trim()).filter((u) => u !== '' && !seen.has(u));
      for (const u of urls) seen.add(u);
      if (urls.length > 0) tiers.push(urls);
    }
  }
  if (tiers.length === 0) {
    const a = root.get('announce');
    const url = a instanceof Uint8Array ? decodeUtf8Lossy(a).trim() : '';
    if (url !== '') tiers.push([url]);
  }
  return tiers;
}

/** BEP 19 web seeds: `url-list` as a string or a list; non-strings skipped, duplicates removed. */
export function webSeeds(root: BDict): string[] {
  return [...new Set(strings(root.get('url-list')).map((u) => u.trim()).filter((u) => u !== ''))];
}

/** `creation date` as unix seconds, when it is a non-negative safe integer. */
export function creationDate(root: BDict): number | undefined {
  const v = root.get('creation date');
  return typeof v === 'number' && v >= 0 ? v : undefined;
}

/** `private` flag of the info dict. */
export function isPrivate(info: BDict): boolean {
  return info.get('private') === 1;
}
