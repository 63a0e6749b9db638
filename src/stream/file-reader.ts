/**
 * FileReader: reads a byte range of a torrent file in order, as Uint8Array chunks, pulling one piece at
 * a time from a {@link StreamSource}.
 *
 * Invariants:
 * - Pull-based: nothing is read until next() is called, and next() reads at most one piece ahead of
 *   what the caller has taken; so memory is one piece (plus the caller's chunks), whatever the window.
 * - A piece is read from the source only once verified; while it is not, the reader waits
 *   (waitForPiece) with deadlines set on the read-ahead window (./read-ahead.ts).
 * - Chunks are views (subarray) into the piece just read, never copies.
 * - seek() and close (return(), the signal, the end of the range) reset the window's deadlines.
 * - After a seek (or on a new reader) the window starts with the reader's piece only; once that piece is
 *   in, the full window is planned in a later task (a timer), so the first chunk is handed out before
 *   any read-ahead request is picked and written (see ./read-ahead.ts, slow start).
 * - Ranges are inclusive, like HTTP ranges and Node's fs.createReadStream: { start: 0, end: 9 } is 10 bytes.
 */
import { TorrentError, isTorrentError } from '../errors.js';
import { DeadlineWindow } from './read-ahead.js';
import type { ReadAheadOptions } from './read-ahead.js';
import { pieceAt } from './source.js';
import type { StreamSource } from './source.js';

/** Options of {@link createFileReader}. */
export interface FileReaderOptions {
  /** First byte (default 0). */
  start?: number;
  /** Last byte, inclusive (default the file's last byte). */
  end?: number;
  /** Largest chunk yielded, bytes (default 64 KiB). */
  chunkSize?: number;
  /** Read-ahead window tuning. */
  readAhead?: ReadAheadOptions;
  /** Aborting closes the reader; a pending or later next() rejects with TorrentError('aborted'). */
  signal?: AbortSignal;
}

const DEFAULT_CHUNK = 64 * 1024;

function checkByte(name: string, v: unknown, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) {
    throw new TorrentError('invalid_argument', `${name} must be an integer in [0, ${max}], got ${String(v)}`, { details: { [name]: String(v) } });
  }
  return v;
}

/** Reads bytes [start, end] of a file in order; an async iterator of chunks. */
export class FileReader implements AsyncIterableIterator<Uint8Array> {
  readonly #source: StreamSource;
  readonly #start: number;
  readonly #end: number;
  readonly #chunk: number;
  readonly #window: DeadlineWindow;
  readonly #abort = new AbortController();
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = (): void => this.#close();
  #pos: number;
  #piece: { index: number; data: Uint8Array } | undefined;
  #generation = 0;
  #closed = false;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(source: StreamSource, opts: FileReaderOptions = {}) {
    this.#source = source;
    const size = source.fileLength;
    this.#start = checkByte('start', opts.start ?? 0, size);
    this.#end = opts.end === undefined ? size - 1 : checkByte('end', opts.end, size - 1);
    if (this.#end < this.#start - 1) throw new TorrentError('invalid_argument', `end ${this.#end} is before start ${this.#start}`);
    const chunk = opts.chunkSize ?? DEFAULT_CHUNK;
    if (!Number.isSafeInteger(chunk) || chunk < 1) throw new TorrentError('invalid_argument', `chunkSize must be a positive integer, got ${String(chunk)}`);
    this.#chunk = chunk;
    this.#pos = this.#start;
    this.#window = new DeadlineWindow(source, opts.readAhead);
    this.#signal = opts.signal;
    if (opts.signal?.aborted) this.#close();
    else opts.signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** The next byte next() will yield. */
  get position(): number {
    return this.#pos;
  }

  /** Bytes left to yield. */
  get remaining(): number {
    return this.#closed ? 0 : Math.max(0, this.#end - this.#pos + 1);
  }

  /** Whether the reader is closed (ended, returned or aborted). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Pieces the reader's window currently holds deadlines for (for inspection). */
  get deadlinePieces(): number[] {
    return this.#window.pieces;
  }

  /**
   * Moves to byte `pos` of the file (within [start, end + 1]); deadlines of the old window are reset and
   * the next read plans a new one. A read pending across a seek continues from the new position.
   */
  seek(pos: number): void {
    if (this.#closed) throw new TorrentError('invalid_argument', 'the reader is closed');
    checkByte('position', pos, this.#end + 1);
    if (pos < this.#start) throw new TorrentError('invalid_argument', `position ${pos} is before the range start ${this.#start}`);
    this.#generation++;
    this.#pos = pos;
    this.#window.clear();
  }

  /** Yields the next chunk; calls are served one after another. */
  next(): Promise<IteratorResult<Uint8Array, undefined>> {
    const p = this.#queue.then(() => this.#next());
    this.#queue = p.catch(() => undefined);
    return p;
  }

  /** Closes the reader: resets its deadlines, drops the piece it holds, ends pending waits. */
  return(): Promise<IteratorResult<Uint8Array, undefined>> {
    this.#close();
    return Promise.resolve({ done: true, value: undefined });
  }

  /** Same as {@link FileReader.return}. */
  close(): void {
    this.#close();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async #next(): Promise<IteratorResult<Uint8Array, undefined>> {
    for (;;) {
      if (this.#closed) return this.#doneOrAborted();
      if (this.#pos > this.#end) {
        this.#close();
        return { done: true, value: undefined };
      }
      const gen = this.#generation;
      const pos = this.#pos;
      const src = this.#source;
      const index = pieceAt(src, pos);
      let piece = this.#piece;
      if (piece?.index !== index) {
        this.#piece = undefined;
        const cut = this.#window.advance(index, pieceAt(src, this.#end));
        try {
          piece = { index, data: await this.#load(index) };
        } catch (err) {
          if (this.#closed) return this.#doneOrAborted();
          throw err;
        }
        if (this.#closed) return this.#doneOrAborted();
        if (gen !== this.#generation) continue; // seeked while loading: start over at the new position
        this.#piece = piece;
        if (cut) this.#widenLater(index);
      }
      const within = src.fileOffset + pos - index * src.pieceLength;
      const n = Math.min(this.#chunk, piece.data.length - within, this.#end - pos + 1);
      if (n <= 0) {
        throw new TorrentError('storage_out_of_range', `piece ${index} is ${piece.data.length} bytes, too short for byte ${pos} of the file`, { details: { piece: index } });
      }
      this.#pos = pos + n;
      if (this.#pos > this.#end) this.#close();
      return { done: false, value: piece.data.subarray(within, within + n) };
    }
  }

  /** Plans the full read-ahead window in a later task, if the reader is still in piece `index` then. */
  #widenLater(index: number): void {
    const gen = this.#generation;
    setTimeout(() => {
      if (this.#closed || gen !== this.#generation || this.#piece?.index !== index) return;
      this.#window.advance(index, pieceAt(this.#source, this.#end));
    }, 0);
  }

  async #load(index: number): Promise<Uint8Array> {
    for (;;) {
      if (!this.#source.havePiece(index)) await this.#source.waitForPiece(index, this.#abort.signal);
      try {
        return await this.#source.readPiece(index);
      } catch (err) {
        // A piece can lose its verified state between the check and the read (recheck): wait again.
        if (this.#source.havePiece(index) || !isTorrentError(err, 'invalid_argument')) throw err;
      }
    }
  }

  #doneOrAborted(): IteratorResult<Uint8Array, undefined> {
    if (this.#signal?.aborted) throw new TorrentError('aborted', 'the read was aborted', { cause: this.#signal.reason });
    return { done: true, value: undefined };
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#piece = undefined;
    this.#window.clear();
    this.#abort.abort();
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }
}

/** A reader of bytes [start, end] (inclusive) of the source's file; see {@link FileReader}. */
export function createFileReader(source: StreamSource, opts: FileReaderOptions = {}): FileReader {
  return new FileReader(source, opts);
}
