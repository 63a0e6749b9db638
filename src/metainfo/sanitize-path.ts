/**
 * File-path sanitising for untrusted torrents (HOSTILE-INPUTS.md cases 6–9, 12).
 *
 * Each path element is cleaned on its own, then the whole set of paths is made unique:
 * 1. `.`, `..` and empty elements are dropped (never interpreted).
 * 2. NUL, C0/C1 control characters and bidi overrides/isolates are removed.
 * 3. `\ / : * ? " < > |` (separators, drive-letter colons, Windows-invalid chars) become `_`.
 * 4. Trailing dots and spaces are trimmed (Windows would silently drop them).
 * 5. Elements over 255 UTF-8 bytes are truncated at a code-point boundary, keeping the extension.
 * 6. Reserved DOS device names (CON, PRN, AUX, NUL, COM1–9, LPT1–9), with or without extensions,
 *    get `_` appended to the part before the first dot: `nul.txt` → `nul_.txt`, `com1.tar.gz` → `com1_.tar.gz`.
 * Uniqueness is decided case-insensitively after NFC normalisation (case-insensitive file systems
 * would otherwise overwrite): a clashing file gets `.1`, `.2`, ... before its extension; a directory
 * that clashes with an earlier file is renamed the same way (consistently for all its files).
 * Finally every joined path is asserted relative and free of `..` elements.
 */
import { TorrentError } from '../errors.js';

/** Longest element in UTF-8 bytes (NTFS / ext4 limit). */
export const MAX_ELEMENT_BYTES = 255;

const STRIP = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const REPLACE = /[\\/:*?"<>|]/g;
const RESERVED = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])$/i;
const utf8 = new TextEncoder();

function utf8Length(s: string): number {
  return utf8.encode(s).length;
}

/** Cuts `s` to at most `max` UTF-8 bytes without splitting a code point. */
function truncateUtf8(s: string, max: number): string {
  let bytes = 0;
  let out = '';
  for (const ch of s) {
    const n = utf8Length(ch);
    if (bytes + n > max) break;
    bytes += n;
    out += ch;
  }
  return out;
}

/** Splits `name` into base and extension (with its dot); a leading dot is not an extension. */
export function splitExtension(name: string): [string, string] {
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return [name, ''];
  return [name.slice(0, dot), name.slice(dot)];
}

function trimTrailing(s: string): string {
  return s.replace(/[. ]+$/u, '');
}

/** Cleans one path element; returns undefined when the element must be dropped. */
export function sanitizeElement(raw: string): string | undefined {
  let s = raw.replace(STRIP, '').replace(REPLACE, '_');
  if (s === '.' || s === '..') return undefined;
  s = trimTrailing(s);
  if (s === '') return undefined;
  if (utf8Length(s) > MAX_ELEMENT_BYTES) {
    let [base, ext] = splitExtension(s);
    if (utf8Length(ext) > 32) {
      base = s;
      ext = '';
    }
    s = trimTrailing(truncateUtf8(base, MAX_ELEMENT_BYTES - utf8Length(ext))) + ext;
    if (trimTrailing(s) === '') return undefined;
  }
  // Windows reserves the device name whatever follows the first dot (com1.tar.gz is COM1).
  const dot = s.indexOf('.');
  const stem = dot < 0 ? s : s.slice(0, dot);
  if (RESERVED.test(stem.trimEnd())) s = `${stem}_${s.slice(stem.length)}`;
  return s;
}

/** Cleans each element of a path; dropped elements disappear. */
export function sanitizePath(elements: readonly string[]): string[] {
  const out: string[] = [];
  for (const e of elements) {
    const s = sanitizeElement(e);
    if (s !== undefined) out.push(s);
  }
  return out;
}

/** Inserts `.n` before the extension, keeping the element within {@link MAX_ELEMENT_BYTES}. */
function withSuffix(name: string, n: number): string {
  const [base, ext] = splitExtension(name);
  const suffix = `.${n}`;
  const room = MAX_ELEMENT_BYTES - utf8Length(ext) - suffix.length;
  return truncateUtf8(base, Math.max(1, room)) + suffix + ext;
}

function keyOf(path: readonly string[]): string {
  return path.join('/').normalize('NFC').toLowerCase();
}

/**
 * Makes paths unique among themselves (case-insensitively) and against directories implied by
 * other paths. Paths are processed in order; earlier paths keep their names.
 */
export class UniquePaths {
  private readonly files = new Set<string>();
  private readonly dirs = new Set<string>();
  /** Renamed directories: key of the original prefix → the elements it was renamed to. */
  private readonly renamedDirs = new Map<string, string[]>();

  /** Returns a unique version of `path` (already sanitised) and reserves it. */
  add(path: readonly string[]): string[] {
    const out: string[] = [];
    for (let i = 0; i < path.length - 1; i++) {
      const originalKey = keyOf(path.slice(0, i + 1));
      const renamed = this.renamedDirs.get(originalKey);
      if (renamed) {
        out.length = 0;
        out.push(...renamed);
        continue;
      }
      out.push(path[i]!);
      if (this.files.has(keyOf(out))) {
        const name = path[i]!;
        for (let n = 1; ; n++) {
          out[i] = withSuffix(name, n);
          const k = keyOf(out);
          if (!this.files.has(k) && !this.dirs.has(k)) break;
        }
        this.renamedDirs.set(originalKey, [...out]);
      }
      this.dirs.add(keyOf(out));
    }
    const name = path[path.length - 1]!;
    out.push(name);
    for (let n = 1; this.files.has(keyOf(out)) || this.dirs.has(keyOf(out)); n++) out[out.length - 1] = withSuffix(name, n);
    this.files.add(keyOf(out));
    assertSafeRelative(out);
    return out;
  }
}

/** Final guard: the joined path must be relative, non-empty and contain no `.`/`..`/empty element. */
export function assertSafeRelative(path: readonly string[]): void {
  const ok = path.length > 0 && path.every((e) => e !== '' && e !== '.' && e !== '..' && !/[\\/:]/u.test(e) && !e.includes('\0'));
  if (!ok) throw new TorrentError('torrent_invalid_file_path', 'sanitised path is not a safe relative path', { details: { path: path.join('/') } });
}
