/**
 * A bounded pool of open file handles, least recently used first out (libtorrent's file_pool).
 *
 * Invariants:
 * - Handles open + being opened + being closed never exceed `max` (the peak is recorded for tests).
 * - A handle in use (refs > 0) is never closed; callers hold at most one handle at a time, so waiting
 *   for a free slot cannot deadlock as long as `max >= 1`.
 * - One handle per path. A read-only handle (opened read-only because the file is not writable) is
 *   replaced by a read-write one when a write needs it.
 * - A path may also hold a second, write-only O_DIRECT handle for page-aligned writes (direct-write.ts),
 *   opened on first use while the path's entry is held and closed with it; so up to 2 × `max`
 *   descriptors are open. A file system that refuses O_DIRECT (tmpfs) is remembered per entry.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { codeForErrno, errnoOf, mapFsError } from './errors.js';

interface Entry {
  fh?: FileHandle;
  /** The O_DIRECT write handle: undefined until asked for, null when the file system refused it. */
  direct?: FileHandle | null;
  writable: boolean;
  refs: number;
  /** Set while the handle is being opened. */
  opening?: Promise<void>;
}

/** See the module note. */
export class FilePool {
  private readonly entries = new Map<string, Entry>();
  private closing = 0;
  private waiters: Array<() => void> = [];
  private peakCount = 0;

  constructor(readonly max: number) {}

  /** Handles currently open, opening or closing. */
  get size(): number {
    return this.entries.size + this.closing;
  }

  /** The largest {@link size} seen. */
  get peak(): number {
    return this.peakCount;
  }

  /**
   * Runs `fn` with a handle on `path`. For writes the file is created if missing; for reads a missing file
   * yields `undefined` without calling `fn` (sparse semantics: the caller reads zeroes).
   */
  async with<T>(path: string, write: boolean, fn: (fh: FileHandle) => Promise<T>): Promise<T | undefined> {
    const entry = await this.acquire(path, write);
    if (entry === undefined) return undefined;
    try {
      return await fn(entry.fh as FileHandle);
    } finally {
      entry.refs--;
      this.wake();
    }
  }

  /**
   * The O_DIRECT write-only handle of `path`, opened on first use; undefined where O_DIRECT is not
   * available (no such flag on this OS, or the file system refused it). Call only inside {@link with} for
   * the same path with `write` (the entry is held, so neither handle is closed meanwhile).
   */
  async directHandle(path: string): Promise<FileHandle | undefined> {
    const e = this.entries.get(path);
    if (e === undefined || !e.writable || constants.O_DIRECT === undefined) return undefined;
    if (e.direct === undefined) {
      try {
        e.direct = await open(path, constants.O_WRONLY | constants.O_DIRECT);
      } catch {
        e.direct = null; // EINVAL on tmpfs and the like: buffered writes only
      }
    }
    return e.direct ?? undefined;
  }

  /** Closes the idle handles of `paths` (waiting for busy ones to be released). */
  async closePaths(paths: Iterable<string>): Promise<void> {
    for (const p of paths) {
      for (;;) {
        const e = this.entries.get(p);
        if (e === undefined) break;
        if (e.opening !== undefined) await e.opening.catch(() => undefined);
        else if (e.refs > 0) await this.waitForRelease();
        else await this.evict(p, e);
      }
    }
  }

  private async acquire(path: string, write: boolean): Promise<Entry | undefined> {
    for (;;) {
      const e = this.entries.get(path);
      if (e !== undefined) {
        if (e.opening !== undefined) {
          await e.opening.catch(() => undefined);
          continue;
        }
        if (write && !e.writable) {
          if (e.refs === 0) await this.evict(path, e);
          else await this.waitForRelease();
          continue;
        }
        e.refs++;
        this.entries.delete(path);
        this.entries.set(path, e);
        return e;
      }
      if (this.size >= this.max) {
        const idle = [...this.entries].find(([, x]) => x.refs === 0 && x.opening === undefined);
        if (idle !== undefined) await this.evict(idle[0], idle[1]);
        else await this.waitForRelease();
        continue;
      }
      return this.openEntry(path, write);
    }
  }

  private async openEntry(path: string, write: boolean): Promise<Entry | undefined> {
    const entry: Entry = { writable: true, refs: 1 };
    let done!: () => void;
    entry.opening = new Promise<void>((resolve) => (done = resolve));
    this.entries.set(path, entry);
    this.peakCount = Math.max(this.peakCount, this.size);
    try {
      entry.fh = await open(path, constants.O_RDWR | (write ? constants.O_CREAT : 0), 0o644);
    } catch (err) {
      const errno = errnoOf(err);
      try {
        if (!write && errno === 'ENOENT') {
          this.entries.delete(path);
          return undefined;
        }
        if (write || codeForErrno(errno) !== 'storage_access_denied') throw mapFsError(err, 'open', path);
        // Not writable (read-only media, permissions): reads still work through a read-only handle.
        entry.fh = await open(path, constants.O_RDONLY).catch((e: unknown) => {
          throw mapFsError(e, 'open', path);
        });
        entry.writable = false;
      } catch (e) {
        this.entries.delete(path);
        if (errnoOf((e as { cause?: unknown }).cause) === 'ENOENT' && !write) return undefined;
        throw e;
      } finally {
        this.wake();
      }
    } finally {
      entry.opening = undefined;
      done();
    }
    return entry;
  }

  private async evict(path: string, e: Entry): Promise<void> {
    if (this.entries.get(path) !== e) return;
    this.entries.delete(path);
    this.closing++;
    try {
      await Promise.all([e.fh?.close(), e.direct?.close()]);
    } catch {
      // A failed close of a handle we no longer use loses nothing that flush did not already persist.
    } finally {
      this.closing--;
      this.wake();
    }
  }

  private waitForRelease(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}
