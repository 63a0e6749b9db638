/**
 * Node file sources for CreateTorrent: lists a file, or a directory walked recursively, the way
 * libtorrent's add_files() does, so the same tree gives the same file list:
 * - paths start with the basename of `path` (which becomes the torrent's name);
 * - directories are walked depth-first in the order the OS returns entries (readdir order, unsorted);
 *   v1 keeps that order unless canonical ordering is asked for, v2/hybrid always sort;
 * - symbolic links are followed (size and mtime from stat), and the executable flag comes from lstat's
 *   owner-execute bit, as libtorrent does (a followed symlink therefore counts as executable);
 * - only regular files are listed; a directory reached twice through links is walked once.
 */
import { lstat, opendir, realpath, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { TorrentError } from '../errors.js';
import type { ListedFile } from '../metainfo/create-files.js';

export type { ListedFile } from '../metainfo/create-files.js';

/** Whether this runtime can read files by path (true in Node). */
export const canListPaths = true;

function ioError(err: unknown, path: string): TorrentError {
  const code = (err as { code?: unknown }).code;
  return new TorrentError('create_io_error', `cannot read ${path}: ${(err as Error).message}`, {
    cause: err,
    details: { path, errno: typeof code === 'string' ? code : undefined },
  });
}

/** Lists the regular files under `path` (a file or a directory), with paths starting at its basename. */
export async function listFiles(path: string): Promise<ListedFile[]> {
  const root = resolve(path);
  const out: ListedFile[] = [];
  const seenDirs = new Set<string>();

  async function visit(abs: string, rel: string[]): Promise<void> {
    let st;
    let lst;
    try {
      [st, lst] = await Promise.all([stat(abs), lstat(abs)]);
    } catch (err) {
      if (rel.length === 1) throw ioError(err, abs);
      return; // like libtorrent: an entry that vanished or cannot be stat'ed is skipped
    }
    if (st.isDirectory()) {
      const real = await realpath(abs).catch(() => abs);
      if (seenDirs.has(real)) return;
      seenDirs.add(real);
      // opendir yields raw readdir order; fs.readdir would sort (libuv's scandir does)
      const names: string[] = [];
      try {
        for await (const entry of await opendir(abs)) names.push(entry.name);
      } catch (err) {
        throw ioError(err, abs);
      }
      for (const name of names) await visit(join(abs, name), [...rel, name]);
      return;
    }
    if (!st.isFile()) return;
    out.push({
      path: rel,
      length: st.size,
      mtime: Math.floor(st.mtimeMs / 1000),
      executable: (lst.mode & 0o100) !== 0,
      source: { kind: 'path', path: abs },
    });
  }

  await visit(root, [basename(root)]);
  return out;
}
