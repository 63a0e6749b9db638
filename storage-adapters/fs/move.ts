/**
 * Moving a torrent's files to a new save directory so that, whatever fails, the data stays whole in one
 * place (HOSTILE-INPUTS case 33).
 *
 * 1. Pre-flight: resolve every source and destination path safely; refuse if a destination exists.
 * 2. Rename each file. If a rename fails, rename back the ones already moved; on EXDEV (another device)
 *    continue with step 3, otherwise report the error with the data back at the source.
 * 3. Copy every file (then fsync it); on failure delete the copies made so far — the source was never
 *    touched. Only when every copy is complete are the sources deleted.
 * Directories created at the destination are removed again (if empty) when a move fails; directories
 * emptied at the source are removed when it succeeds.
 */
import { constants } from 'node:fs';
import { copyFile, lstat, open, rename, unlink } from 'node:fs/promises';
import { TorrentError } from '../../src/errors.js';
import type { TorrentLayout } from '../../src/interfaces/storage.js';
import { errnoOf, mapFsError } from './errors.js';
import { realRoot, removeEmptyDirs, safePath } from './safe-path.js';

interface Pair {
  readonly from: string;
  readonly to: string;
}

const exists = async (p: string): Promise<boolean> => {
  try {
    await lstat(p);
    return true;
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return false;
    throw mapFsError(err, 'lstat', p);
  }
};

async function syncFile(p: string): Promise<void> {
  const fh = await open(p, constants.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Moves the layout's existing files from `fromRoot` to `to` (see module note); returns the new real root. */
export async function moveFiles(fromRoot: string, to: string, layout: TorrentLayout): Promise<string> {
  const toRoot = await realRoot(to);
  if (toRoot === fromRoot) return toRoot;
  const pairs: Pair[] = [];
  try {
    for (const f of layout.files) {
      if (f.pad === true) continue;
      const from = await safePath(fromRoot, f.path, false);
      if (!(await exists(from))) continue;
      const dest = await safePath(toRoot, f.path, true);
      if (await exists(dest)) {
        throw new TorrentError('storage_io_error', 'move destination already exists', { details: { path: dest, errno: 'EEXIST' } });
      }
      pairs.push({ from, to: dest });
    }
  } catch (err) {
    await removeEmptyDirs(toRoot, layout);
    throw err;
  }

  const renamed: Pair[] = [];
  let crossDevice = false;
  for (const pair of pairs) {
    try {
      await rename(pair.from, pair.to);
      renamed.push(pair);
    } catch (err) {
      await rollbackRenames(renamed);
      if (errnoOf(err) !== 'EXDEV') {
        await removeEmptyDirs(toRoot, layout);
        throw mapFsError(err, 'rename', pair.to);
      }
      crossDevice = true;
      break;
    }
  }
  if (crossDevice) await copyAll(pairs, toRoot, layout);
  await removeEmptyDirs(fromRoot, layout);
  return toRoot;
}

async function rollbackRenames(renamed: Pair[]): Promise<void> {
  for (const pair of renamed.reverse()) {
    try {
      await rename(pair.to, pair.from);
    } catch (err) {
      throw mapFsError(err, 'rename back after a failed move', pair.from);
    }
  }
}

async function copyAll(pairs: readonly Pair[], toRoot: string, layout: TorrentLayout): Promise<void> {
  const copied: string[] = [];
  try {
    for (const pair of pairs) {
      copied.push(pair.to);
      await copyFile(pair.from, pair.to, constants.COPYFILE_EXCL);
      await syncFile(pair.to);
    }
  } catch (err) {
    for (const p of copied) await unlink(p).catch(() => undefined);
    await removeEmptyDirs(toRoot, layout);
    throw mapFsError(err, 'copy', copied[copied.length - 1]);
  }
  // Every byte is now at the destination, which becomes the storage's home; a source file that cannot be
  // deleted is a leftover duplicate, not a reason to report the move as failed.
  for (const pair of pairs) await unlink(pair.from).catch(() => undefined);
}
