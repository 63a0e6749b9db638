/**
 * IndexedDB storage for the browser, on idb-keyval with its own database (`createStore`).
 *
 * Records, all in one object store so one torrent's records form one key range:
 * - `[torrentId, chunkIndex]` → Uint8Array: the bytes [chunkIndex * chunkSize, +chunkSize) of the torrent's
 *   byte space (the last chunk is clipped to the total length). A 16 KiB block write touches only the
 *   chunks it overlaps; a partial chunk is read-modified-written inside the same readwrite transaction, so
 *   concurrent writes to one chunk serialise in IndexedDB and never lose bytes.
 * - `[torrentId, 'meta']` → {@link Meta}: the chunk size the torrent was written with (kept on reopen) and
 *   which files exist (for `stat`; updated only when a file first comes into existence).
 * Unwritten chunks read as zeroes; pad-file bytes are never written. `destroy` deletes the key range
 * `[torrentId] .. [torrentId, []]` (arrays sort after numbers and strings in IndexedDB key order).
 */
import { createStore, promisifyRequest } from 'idb-keyval';
import type { UseStore } from 'idb-keyval';
import { TorrentError } from '../../src/errors.js';
import type { StorageAdapter, StorageOpenOptions, TorrentLayout, TorrentStorage } from '../../src/interfaces/storage.js';
import { OpGate } from '../common/gate.js';
import { checkAborted, checkRange, closedError, fileSpans, validateLayout } from '../common/layout.js';
import { mapIdbError } from './errors.js';

/** Options for {@link createIdbStorage}. */
export interface IdbStorageOptions {
  /** Database name (default `swarmkit-storage`). */
  readonly dbName?: string;
  /** Bytes per chunk record for newly created torrents (default 16 KiB, one block). */
  readonly chunkSize?: number;
}

interface Meta {
  chunkSize: number;
  /** Per file: whether it exists (has been written, or is a zero-length file that was wanted). */
  exists: boolean[];
}

const STORE = 'chunks';

/** Creates an IndexedDB-backed {@link StorageAdapter} (browser only). */
export function createIdbStorage(opts: IdbStorageOptions = {}): StorageAdapter {
  const chunkSize = opts.chunkSize ?? 16384;
  if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0) {
    throw new TorrentError('invalid_argument', 'chunkSize must be a positive integer', { details: { chunkSize } });
  }
  const store = createStore(opts.dbName ?? 'swarmkit-storage', STORE);
  return {
    name: 'idb',
    async open(layout, openOpts) {
      checkAborted(openOpts?.signal);
      validateLayout(layout);
      return openTorrent(store, layout, chunkSize, openOpts ?? {});
    },
  };
}

async function tx<T>(store: UseStore, mode: IDBTransactionMode, body: (os: IDBObjectStore) => () => T): Promise<T> {
  try {
    return await store(mode, async (os) => {
      const result = body(os);
      await promisifyRequest(os.transaction);
      return result();
    });
  } catch (err) {
    throw mapIdbError(err, mode === 'readonly' ? 'read' : 'write');
  }
}

async function openTorrent(store: UseStore, layout: TorrentLayout, defaultChunk: number, opts: StorageOpenOptions): Promise<TorrentStorage> {
  const id = layout.id;
  const metaKey: IDBValidKey = [id, 'meta'];
  const range = IDBKeyRange.bound([id], [id, []]);
  const wanted = (i: number): boolean => {
    const f = layout.files[i];
    return f !== undefined && f.length === 0 && f.pad !== true && opts.skipFiles?.has(i) !== true;
  };
  const meta = await tx(store, 'readwrite', (os) => {
    let m: Meta | undefined;
    const req = os.get(metaKey);
    req.onsuccess = () => {
      const old = req.result as Meta | undefined;
      const fresh = old === undefined || old.exists.length !== layout.files.length;
      m = fresh ? { chunkSize: old?.chunkSize ?? defaultChunk, exists: layout.files.map(() => false) } : old;
      const add = layout.files.map((_, i) => i).filter((i) => wanted(i) && m?.exists[i] !== true);
      for (const i of add) m.exists[i] = true;
      if (fresh || add.length > 0) os.put(m, metaKey);
    };
    return () => m as Meta;
  });
  const cs = meta.chunkSize;
  const gate = new OpGate(id);
  const chunkLen = (c: number): number => Math.min(cs, layout.totalLength - c * cs);

  const write = async (abs: number, data: Uint8Array): Promise<void> => {
    const newFiles: number[] = [];
    // Parts of one chunk are grouped: a chunk straddling two files must be updated by one get + put.
    const chunks = new Map<number, Array<{ within: number; src: Uint8Array }>>();
    for (const s of fileSpans(layout, abs, data.length)) {
      if (layout.files[s.file]?.pad === true) continue;
      if (meta.exists[s.file] !== true) newFiles.push(s.file);
      for (let pos = abs + s.bufferOffset, end = pos + s.length; pos < end;) {
        const c = Math.floor(pos / cs);
        const n = Math.min((c + 1) * cs, end) - pos;
        const list = chunks.get(c) ?? [];
        list.push({ within: pos - c * cs, src: data.subarray(pos - abs, pos - abs + n) });
        chunks.set(c, list);
        pos += n;
      }
    }
    await tx(store, 'readwrite', (os) => {
      for (const [c, parts] of chunks) {
        const key: IDBValidKey = [id, c];
        const only = parts[0];
        if (parts.length === 1 && only !== undefined && only.within === 0 && only.src.length === chunkLen(c)) {
          os.put(only.src.slice(), key); // slice: structured clone of a view would store its whole buffer
          continue;
        }
        const req = os.get(key);
        req.onsuccess = () => {
          const cur = req.result instanceof Uint8Array ? req.result : new Uint8Array(chunkLen(c));
          for (const p of parts) cur.set(p.src, p.within);
          os.put(cur, key);
        };
      }
      if (newFiles.length > 0) {
        const req = os.get(metaKey);
        req.onsuccess = () => {
          const m = (req.result as Meta | undefined) ?? meta;
          for (const i of newFiles) m.exists[i] = true;
          os.put(m, metaKey);
        };
      }
      return () => undefined;
    });
    for (const i of newFiles) meta.exists[i] = true;
  };

  const read = async (abs: number, length: number): Promise<Uint8Array> => {
    const out = new Uint8Array(length);
    if (length === 0) return out;
    const first = Math.floor(abs / cs);
    const last = Math.floor((abs + length - 1) / cs);
    await tx(store, 'readonly', (os) => {
      for (let c = first; c <= last; c++) {
        const req = os.get([id, c]);
        req.onsuccess = () => {
          if (!(req.result instanceof Uint8Array)) return;
          const from = Math.max(abs, c * cs);
          const to = Math.min(abs + length, c * cs + req.result.length);
          if (from < to) out.set(req.result.subarray(from - c * cs, to - c * cs), from - abs);
        };
      }
      return () => undefined;
    });
    return out;
  };

  return {
    write: (piece, offset, data) => gate.run(() => write(checkRange(layout, piece, offset, data.length), data)),
    read: (piece, offset, length) => gate.run(() => read(checkRange(layout, piece, offset, length), length)),
    // Every write is its own committed transaction, so there is nothing left to flush.
    flush: () => gate.run(async () => undefined),
    stat: () => gate.run(async () => layout.files.map((f, i) => (meta.exists[i] === true ? { length: f.length } : undefined))),
    close: async () => {
      await gate.shutdown();
    },
    destroy: async () => {
      if (gate.isClosed) throw closedError(id);
      await gate.shutdown();
      await tx(store, 'readwrite', (os) => {
        os.delete(range);
        return () => undefined;
      });
    },
  };
}
