/**
 * Files on disk, laid out exactly as the torrent says: `savePath/<file path elements>`.
 *
 * - Sparse: nothing is preallocated. A file is created on its first write and `ftruncate`d to its full
 *   length then (no zeroes written); zero-length files that are not skipped are created at `open`.
 * - Pad files (BEP 47) are never created or written; their bytes read as zeroes, as do missing files and
 *   bytes past a file's end (ENOENT on read is not an error).
 * - Every path goes through safe-path.ts (no escape through `..` or planted symlinks).
 * - Handles come from one bounded LRU pool per adapter, shared by its torrents.
 * - Page-aligned writes of 64 KiB or more (whole pieces from the piece store's pooled buffers) go to the
 *   device with O_DIRECT, skipping the page cache; everything else is written through the cache
 *   (direct-write.ts says why and when). `directWrites: false` turns this off.
 * - `flush` fsyncs every file written since the last flush, reopening evicted ones.
 */
import { stat as fsStat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { TorrentError } from '../../src/errors.js';
import type { StorageAdapter, StorageOpenOptions, TorrentLayout, TorrentStorage } from '../../src/interfaces/storage.js';
import { OpGate } from '../common/gate.js';
import { checkAborted, checkRange, closedError, fileSpans, validateLayout } from '../common/layout.js';
import { errnoOf, mapFsError } from './errors.js';
import { FilePool } from './file-pool.js';
import { canWriteDirect, writeDirect } from './direct-write.js';
import { PathQueue } from './path-queue.js';
import { moveFiles } from './move.js';
import { realRoot, removeEmptyDirs, safePath } from './safe-path.js';

/** Options for {@link createFsStorage}. */
export interface FsStorageOptions {
  /** Directory the torrents' files are saved under (created if missing). */
  readonly savePath: string;
  /** Upper bound on open file handles across all torrents of this adapter (default 32). */
  readonly maxOpenFiles?: number;
  /**
   * Write page-aligned data of 64 KiB or more with O_DIRECT, skipping the page cache (default true; Linux
   * only, and only where the file system accepts it). See direct-write.ts.
   */
  readonly directWrites?: boolean;
}

/** An fs torrent storage: every optional member of {@link TorrentStorage} is present. */
export type FsTorrentStorage = TorrentStorage & Required<Pick<TorrentStorage, 'flush' | 'move' | 'stat'>>;

/** The fs {@link StorageAdapter}, with its handle pool's figures for tests and status displays. */
export interface FsStorageAdapter extends StorageAdapter {
  open(layout: TorrentLayout, opts?: StorageOpenOptions): Promise<FsTorrentStorage>;
  /** File handles open now. */
  readonly openFiles: number;
  /** The most file handles ever open at once. */
  readonly peakOpenFiles: number;
  /** Bytes written with O_DIRECT so far (the rest went through the page cache). */
  readonly directBytes: number;
}

/** What the adapter's torrents share besides the handle pool. */
interface AdapterState {
  readonly pool: FilePool;
  readonly direct: boolean;
  directBytes: number;
}

async function writeFully(fh: FileHandle, data: Uint8Array, position: number, path: string): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await fh.write(data, done, data.length - done, position + done).catch((e: unknown) => {
      throw mapFsError(e, 'write', path);
    });
    if (bytesWritten <= 0) throw new TorrentError('storage_io_error', 'write made no progress', { details: { path } });
    done += bytesWritten;
  }
}

/** Fills `out` from the file; bytes past the end of a short (sparse) file are zeroed. */
async function readFully(fh: FileHandle, out: Uint8Array, position: number, path: string): Promise<void> {
  let done = 0;
  while (done < out.length) {
    const { bytesRead } = await fh.read(out, done, out.length - done, position + done).catch((e: unknown) => {
      throw mapFsError(e, 'read', path);
    });
    if (bytesRead === 0) {
      out.fill(0, done);
      return;
    }
    done += bytesRead;
  }
}

/**
 * A buffer for a read, not zero-filled: every byte is then either read from a file or zeroed explicitly
 * (pads, missing files, short files). Zeroing 1 MiB per piece read was a measurable share of a seed's CPU.
 * A plain Uint8Array over its own ArrayBuffer (never node's shared Buffer pool).
 */
function readBuffer(length: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(length);
  return new Uint8Array(b.buffer, b.byteOffset, length);
}

/** Creates a {@link StorageAdapter} that stores torrents as files under `savePath` (Node only). */
export function createFsStorage(opts: FsStorageOptions): FsStorageAdapter {
  const max = opts.maxOpenFiles ?? 32;
  if (!Number.isSafeInteger(max) || max < 1) {
    throw new TorrentError('invalid_argument', 'maxOpenFiles must be a positive integer', { details: { maxOpenFiles: max } });
  }
  const pool = new FilePool(max);
  const state: AdapterState = { pool, direct: opts.directWrites !== false, directBytes: 0 };
  return {
    name: 'fs',
    get openFiles() {
      return pool.size;
    },
    get peakOpenFiles() {
      return pool.peak;
    },
    get directBytes() {
      return state.directBytes;
    },
    async open(layout, openOpts) {
      checkAborted(openOpts?.signal);
      validateLayout(layout);
      const root = await realRoot(opts.savePath);
      const s = new FsStorage(layout, root, state, openOpts ?? {});
      await s.createEmptyFiles();
      return s;
    },
  };
}

class FsStorage implements FsTorrentStorage {
  private readonly gate: OpGate;
  /** Absolute paths verified by safe-path, with parent directories created (cleared on move). */
  private verified = new Map<number, string>();
  /** Absolute paths verified for reading (parents may not exist). */
  private verifiedRead = new Map<number, string>();
  /** Files already sized to their length in this session. */
  private readonly sized = new Set<number>();
  private readonly dirty = new Set<string>();
  private readonly touched = new Set<string>();
  /** Writes of one file run one at a time (path-queue.ts). */
  private readonly writes = new PathQueue();

  constructor(
    private readonly layout: TorrentLayout,
    private root: string,
    private readonly state: AdapterState,
    private readonly opts: StorageOpenOptions,
  ) {
    this.gate = new OpGate(layout.id);
  }

  /** The adapter's handle pool, shared by its torrents. */
  private get pool(): FilePool {
    return this.state.pool;
  }

  private async pathOf(file: number, create: boolean): Promise<string> {
    const known = this.verified.get(file) ?? (create ? undefined : this.verifiedRead.get(file));
    if (known !== undefined) return known;
    const p = await safePath(this.root, (this.layout.files[file] as { path: readonly string[] }).path, create);
    (create ? this.verified : this.verifiedRead).set(file, p);
    this.touched.add(p);
    return p;
  }

  /** Creates the torrent's zero-length files that are neither pads nor skipped. */
  async createEmptyFiles(): Promise<void> {
    for (const [i, f] of this.layout.files.entries()) {
      if (f.length !== 0 || f.pad === true || this.opts.skipFiles?.has(i) === true) continue;
      const p = await this.pathOf(i, true);
      await this.pool.with(p, true, async () => undefined);
    }
  }

  write(piece: number, offset: number, data: Uint8Array): Promise<void> {
    return this.gate.run(async () => {
      const abs = checkRange(this.layout, piece, offset, data.length);
      for (const s of fileSpans(this.layout, abs, data.length)) {
        const f = this.layout.files[s.file];
        if (f === undefined || f.pad === true) continue;
        const p = await this.pathOf(s.file, true);
        await this.writes.run(p, () => this.pool.with(p, true, async (fh) => {
          if (!this.sized.has(s.file)) {
            const st = await fh.stat().catch((e: unknown) => { throw mapFsError(e, 'fstat', p); });
            if (st.size < f.length) await fh.truncate(f.length).catch((e: unknown) => { throw mapFsError(e, 'ftruncate', p); });
            this.sized.add(s.file);
          }
          const view = data.subarray(s.bufferOffset, s.bufferOffset + s.length);
          let done = 0;
          if (this.state.direct && canWriteDirect(view, s.fileOffset)) {
            const dfh = await this.pool.directHandle(p);
            if (dfh !== undefined) {
              done = await writeDirect(dfh, view, s.fileOffset).catch((e: unknown) => { throw mapFsError(e, 'write', p); });
              this.state.directBytes += done;
            }
          }
          if (done < view.length) await writeFully(fh, view.subarray(done), s.fileOffset + done, p);
        }));
        this.dirty.add(p);
      }
    });
  }

  read(piece: number, offset: number, length: number): Promise<Uint8Array> {
    return this.gate.run(async () => {
      const abs = checkRange(this.layout, piece, offset, length);
      const out = readBuffer(length);
      await this.fill(abs, out);
      return out;
    });
  }

  readInto(piece: number, offset: number, out: Uint8Array): Promise<void> {
    return this.gate.run(async () => {
      await this.fill(checkRange(this.layout, piece, offset, out.length), out);
    });
  }

  /** Fills `out` with the torrent's bytes from absolute offset `abs` (range already checked). */
  private async fill(abs: number, out: Uint8Array): Promise<void> {
    for (const s of fileSpans(this.layout, abs, out.length)) {
      const view = out.subarray(s.bufferOffset, s.bufferOffset + s.length);
      if (this.layout.files[s.file]?.pad === true) {
        view.fill(0);
        continue;
      }
      const p = await this.pathOf(s.file, false);
      const read = await this.pool.with(p, false, async (fh) => {
        await readFully(fh, view, s.fileOffset, p);
        return true;
      });
      if (read === undefined) view.fill(0); // missing file: zeroes
    }
  }

  flush(): Promise<void> {
    return this.gate.run(async () => {
      for (const p of [...this.dirty]) {
        await this.pool.with(p, false, (fh) => fh.sync().catch((e: unknown) => { throw mapFsError(e, 'fsync', p); }));
        this.dirty.delete(p);
      }
    });
  }

  stat(): Promise<ReadonlyArray<{ length: number; mtimeMs?: number } | undefined>> {
    return this.gate.run(async () => {
      const out: Array<{ length: number; mtimeMs: number } | undefined> = [];
      for (const [i, f] of this.layout.files.entries()) {
        if (f.pad === true) {
          out.push(undefined);
          continue;
        }
        const p = await this.pathOf(i, false);
        try {
          const st = await fsStat(p);
          out.push({ length: st.size, mtimeMs: st.mtimeMs });
        } catch (err) {
          if (errnoOf(err) !== 'ENOENT') throw mapFsError(err, 'stat', p);
          out.push(undefined);
        }
      }
      return out;
    });
  }

  move(to: string): Promise<void> {
    return this.gate.exclusive(async () => {
      await this.pool.closePaths(this.touched);
      const newRoot = await moveFiles(this.root, to, this.layout);
      this.root = newRoot;
      this.verified = new Map();
      this.verifiedRead = new Map();
      this.touched.clear();
      this.dirty.clear(); // moveFiles syncs what it copies; renames keep the inode's dirty pages
    });
  }

  async close(): Promise<void> {
    if (!(await this.gate.shutdown())) return;
    await this.pool.closePaths(this.touched);
  }

  async destroy(): Promise<void> {
    if (this.gate.isClosed) throw closedError(this.layout.id);
    await this.gate.shutdown();
    await this.pool.closePaths(this.touched);
    for (const [i, f] of this.layout.files.entries()) {
      if (f.pad === true) continue;
      let p: string;
      try {
        p = await safePath(this.root, f.path, false);
      } catch {
        continue; // a path that escapes the save directory is never deleted
      }
      await unlink(p).catch((err: unknown) => {
        if (errnoOf(err) !== 'ENOENT') throw mapFsError(err, 'unlink', p);
      });
    }
    await removeEmptyDirs(this.root, this.layout);
  }
}
