/**
 * In-memory storage for both runtimes. A torrent's byte space is kept in fixed-size chunks allocated on
 * first write (never one buffer the size of the torrent), keyed by chunk index, so unwritten ranges cost
 * nothing and read as zeroes. Data lives as long as the adapter: `close` keeps it (a later `open` of the
 * same layout id sees it again), `destroy` drops it.
 *
 * Pad-file bytes are never stored; zero-length files that are not skipped "exist" from `open` on, other
 * files from their first write — which is what `stat()` reports, mirroring the fs adapter.
 */
import { TorrentError } from '../../src/errors.js';
import type { StorageAdapter, StorageOpenOptions, TorrentLayout, TorrentStorage } from '../../src/interfaces/storage.js';
import { OpGate } from '../common/gate.js';
import { checkAborted, checkRange, closedError, fileSpans, validateLayout } from '../common/layout.js';

/** Options for {@link createMemoryStorage}. */
export interface MemoryStorageOptions {
  /** Bytes per chunk (default 64 KiB). */
  readonly chunkSize?: number;
}

/** A {@link StorageAdapter} keeping data in memory, with the number of bytes it holds. */
export interface MemoryStorageAdapter extends StorageAdapter {
  /** Bytes held in allocated chunks across all torrents (for tests and memory accounting). */
  readonly allocatedBytes: number;
}

interface TorrentData {
  readonly chunks: Map<number, Uint8Array>;
  /** Per file: modification time in ms, or undefined while the file does not exist. */
  readonly mtimes: Array<number | undefined>;
}

/** Creates an in-memory {@link StorageAdapter} (Node and browser). */
export function createMemoryStorage(opts: MemoryStorageOptions = {}): MemoryStorageAdapter {
  const chunkSize = opts.chunkSize ?? 65536;
  if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0) {
    throw new TorrentError('invalid_argument', 'chunkSize must be a positive integer', { details: { chunkSize } });
  }
  const torrents = new Map<string, TorrentData>();
  let allocated = 0;

  function openTorrent(layout: TorrentLayout, openOpts: StorageOpenOptions = {}): TorrentStorage {
    validateLayout(layout);
    const skip = openOpts.skipFiles ?? new Set<number>();
    let data = torrents.get(layout.id);
    if (data === undefined || data.mtimes.length !== layout.files.length) {
      data = { chunks: new Map(), mtimes: layout.files.map(() => undefined) };
      torrents.set(layout.id, data);
    }
    const d = data;
    const now = Date.now();
    layout.files.forEach((f, i) => {
      if (f.length === 0 && f.pad !== true && !skip.has(i) && d.mtimes[i] === undefined) d.mtimes[i] = now;
    });
    const gate = new OpGate(layout.id);

    const copyIn = (abs: number, src: Uint8Array): void => {
      let pos = 0;
      while (pos < src.length) {
        const at = abs + pos;
        const index = Math.floor(at / chunkSize);
        const within = at - index * chunkSize;
        const n = Math.min(chunkSize - within, src.length - pos);
        let chunk = d.chunks.get(index);
        if (chunk === undefined) {
          chunk = new Uint8Array(chunkSize);
          d.chunks.set(index, chunk);
          allocated += chunkSize;
        }
        chunk.set(src.subarray(pos, pos + n), within);
        pos += n;
      }
    };

    const copyOut = (abs: number, dst: Uint8Array): void => {
      let pos = 0;
      while (pos < dst.length) {
        const at = abs + pos;
        const index = Math.floor(at / chunkSize);
        const within = at - index * chunkSize;
        const n = Math.min(chunkSize - within, dst.length - pos);
        const chunk = d.chunks.get(index);
        if (chunk !== undefined) dst.set(chunk.subarray(within, within + n), pos);
        pos += n;
      }
    };

    const drop = (): void => {
      allocated -= d.chunks.size * chunkSize;
      d.chunks.clear();
      if (torrents.get(layout.id) === d) torrents.delete(layout.id);
    };

    return {
      write: (piece, offset, bytes) =>
        gate.run(async () => {
          const abs = checkRange(layout, piece, offset, bytes.length);
          const t = Date.now();
          for (const s of fileSpans(layout, abs, bytes.length)) {
            if (layout.files[s.file]?.pad === true) continue;
            copyIn(abs + s.bufferOffset, bytes.subarray(s.bufferOffset, s.bufferOffset + s.length));
            d.mtimes[s.file] = t;
          }
        }),
      read: (piece, offset, length) =>
        gate.run(async () => {
          const abs = checkRange(layout, piece, offset, length);
          const out = new Uint8Array(length);
          copyOut(abs, out);
          return out;
        }),
      readInto: (piece, offset, out) =>
        gate.run(async () => {
          const abs = checkRange(layout, piece, offset, out.length);
          out.fill(0); // copyOut skips chunks never written: those bytes read as zeroes
          copyOut(abs, out);
        }),
      flush: () => gate.run(async () => undefined),
      stat: () =>
        gate.run(async () => layout.files.map((f, i) => {
          const mtimeMs = d.mtimes[i];
          return mtimeMs === undefined ? undefined : { length: f.length, mtimeMs };
        })),
      close: async () => {
        await gate.shutdown();
      },
      destroy: async () => {
        if (gate.isClosed) throw closedError(layout.id);
        await gate.shutdown();
        drop();
      },
    };
  }

  return {
    name: 'memory',
    get allocatedBytes() {
      return allocated;
    },
    open: async (layout, openOpts) => {
      checkAborted(openOpts?.signal);
      return openTorrent(layout, openOpts);
    },
  };
}
