/**
 * Keeping every path inside the save directory (HOSTILE-INPUTS cases 6 and 12).
 *
 * 1. Each path element is checked on its own: no empty, `.`, `..`, separators or NUL (layouts are already
 *    sanitised by the metainfo layer; this is the last line of defence).
 * 2. The joined path must lie inside the save directory's real path.
 * 3. Every existing element below the root is `lstat`ed; a symlink is allowed only if its `realpath` is still
 *    inside the root, so a link planted in the save directory never leads writes (or deletes) out of it.
 * Missing directories are created one element at a time, so a link swapped in for a directory we just
 * checked is seen by the next element's check. A race between the check and the `open` remains possible for
 * an attacker who can write into the save directory while we run; Node offers no openat/O_BENEATH to close it.
 */
import { lstat, mkdir, realpath, rmdir } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { TorrentError } from '../../src/errors.js';
import type { TorrentLayout } from '../../src/interfaces/storage.js';
import { errnoOf, mapFsError } from './errors.js';

/** True when `p` is `root` or inside it (both absolute, normalised). */
export function isInside(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);
}

const escape = (why: string, path: string): TorrentError =>
  new TorrentError('storage_path_escape', `path escapes the save directory: ${why}`, { details: { path } });

/** Creates `savePath` if needed and returns its real (symlink-free) absolute path. */
export async function realRoot(savePath: string): Promise<string> {
  const abs = resolve(savePath);
  try {
    await mkdir(abs, { recursive: true });
    return await realpath(abs);
  } catch (err) {
    throw mapFsError(err, 'create save directory', abs);
  }
}

/** Joins `elements` under `root`, rejecting unsafe elements and results outside `root`. */
export function joinInside(root: string, elements: readonly string[]): string {
  if (elements.length === 0) throw escape('empty path', root);
  for (const e of elements) {
    if (e === '' || e === '.' || e === '..' || e.includes('/') || e.includes('\\') || e.includes('\0')) {
      throw escape(`unsafe element ${JSON.stringify(e)}`, elements.join('/'));
    }
  }
  const full = join(root, ...elements);
  if (!isInside(root, full) || full === root) throw escape('outside the root', full);
  return full;
}

/**
 * Resolves `elements` under `root` and checks each existing element as described in the module note.
 * With `create`, missing parent directories are made (the file itself is not). Returns the absolute path.
 */
export async function safePath(root: string, elements: readonly string[], create: boolean): Promise<string> {
  const full = joinInside(root, elements);
  let p = root;
  for (let i = 0; i < elements.length; i++) {
    p = join(p, elements[i] as string);
    const last = i === elements.length - 1;
    let st;
    try {
      st = await lstat(p);
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') throw mapFsError(err, 'lstat', p);
      if (last || !create) return full;
      try {
        await mkdir(p);
      } catch (mkErr) {
        if (errnoOf(mkErr) !== 'EEXIST') throw mapFsError(mkErr, 'mkdir', p);
      }
      st = await lstat(p).catch((e: unknown) => {
        throw mapFsError(e, 'lstat', p);
      });
    }
    if (st.isSymbolicLink()) {
      let target: string;
      try {
        target = await realpath(p);
      } catch (err) {
        // A dangling link: following it could create a file anywhere, so refuse it outright.
        throw escape(`unresolvable symlink (${errnoOf(err) ?? 'error'})`, p);
      }
      if (!isInside(root, target)) throw escape(`symlink to ${target}`, p);
    }
  }
  return full;
}

/** Removes now-empty directories on the torrent's file paths below `root`, deepest first (never `root`). */
export async function removeEmptyDirs(root: string, layout: TorrentLayout): Promise<void> {
  const dirs = new Set<string>();
  for (const f of layout.files) {
    for (let d = dirname(join(root, ...f.path)); d !== root && isInside(root, d); d = dirname(d)) dirs.add(d);
  }
  const deepestFirst = [...dirs].sort((a, b) => b.length - a.length);
  for (const d of deepestFirst) {
    const st = await lstat(d).catch(() => undefined);
    if (st?.isDirectory() === true) await rmdir(d).catch(() => undefined); // ENOTEMPTY: not ours to remove
  }
}
