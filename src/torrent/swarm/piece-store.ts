/**
 * Where downloaded blocks go until their piece is verified, and where uploads read from.
 *
 * Download path (chosen for speed with bounded memory; see SWARM.md):
 * - A piece's blocks are copied (views are only valid during the receive callback) into one buffer of
 *   the piece's size, allocated on its first block, while the bytes held in such buffers stay under
 *   `bufferBudget`. Once the piece is complete it is written with ONE storage write and hashed from the
 *   same buffer at the same time; it is verified only when both succeeded. So a piece is hashed from
 *   exactly the bytes we wrote, once.
 * - Over budget, a new piece is written block by block as the blocks arrive (each block copied once),
 *   and read back from storage when complete, then hashed: memory stays bounded whatever the piece size.
 * - A partial piece that stops being wanted (a stream seeked away, its file was deselected) is spilled:
 *   the blocks it has are written, its buffer goes back to the pool and it continues write-through, so
 *   pieces nobody wants do not hold the budget.
 * - `pending` counts bytes of writes in flight; with the pieces being hashed, the swarm pauses reading from its peers
 *   above `highWater` and resumes below half of it (backpressure from storage and hashing).
 * - Piece buffers are recycled: the downloader hands a completed piece's buffer back with `release` once
 *   its write has settled and its hash job is done, and the next piece reuses it. Fresh 1 MiB buffers cost
 *   page faults and munmaps (kernel time that showed up as the leech's largest cost); a reused one is
 *   already resident. With `shared` (the hash pool hashes SharedArrayBuffer views in place) buffers are
 *   SharedArrayBuffer-backed, so a piece is hashed while it is being written, without a copy or a
 *   transfer. At most `bufferBudget / pieceLength` idle buffers are kept. A buffer that was transferred
 *   away (detached) or is not one of ours is simply not taken back.
 *
 * Time-critical pieces (with a deadline) are verified and announced as soon as their hash passes, before
 * their write lands (see downloader.ts); `serveUntilWritten` makes every read of such a piece (uploads, the
 * torrent's readPiece) come from its buffer until then, so no read ever sees storage without the bytes.
 *
 * Upload path: whole verified pieces are read once and kept in a small LRU (`cacheBytes`), so serving
 * 16 KiB requests does not cost one storage read each; its buffers are recycled once every block view
 * handed out of them was released (upload-cache.ts).
 */
import type { TorrentStorage } from '../../interfaces/storage.js';
import { copyInto, sharedBytes } from '#platform/hash-shared';
import { UploadCache } from './upload-cache.js';

interface Building {
  /** The piece's bytes as they arrive (a view of a pooled buffer), or undefined in write-through mode. */
  buf: Uint8Array | undefined;
  /** Write-through writes in flight. */
  writes: Promise<void>[];
}

/** Collects blocks, writes pieces, reads pieces back; see the file comment. */
export class PieceStore {
  readonly #building = new Map<number, Building>();
  readonly #uploads: UploadCache;
  /** Verified pieces whose write is still in flight: reads are served from these bytes (see serveUntilWritten). */
  readonly #unwritten = new Map<number, Uint8Array>();
  /** Starters of writes deferred by `complete(piece, true)` that have not started yet. */
  readonly #deferred = new Set<() => void>();
  #buffered = 0;
  #inflight = 0;
  /** Idle piece buffers, each exactly `pieceLength` bytes over its whole (Shared)ArrayBuffer. */
  readonly #free: Uint8Array[] = [];
  readonly #maxFree: number;
  #cleared = false;
  /** First write error seen (the swarm turns it into a torrent error). */
  writeError: unknown;
  onWriteError: ((err: unknown) => void) | undefined;

  constructor(
    private readonly storage: TorrentStorage,
    private readonly pieceSize: (i: number) => number,
    private readonly bufferBudget: number,
    cacheBytes: number,
    private readonly pieceLength: number = pieceSize(0),
    private readonly shared = false,
  ) {
    this.#maxFree = Math.max(1, Math.floor(bufferBudget / Math.max(1, pieceLength)));
    this.#uploads = new UploadCache(storage, pieceSize, cacheBytes, pieceLength);
  }

  /** A buffer for a piece of `size` bytes: a pooled one (or a view of one, for the short last piece). */
  #alloc(size: number): Uint8Array {
    if (size > this.pieceLength) return new Uint8Array(size);
    const b = this.#free.pop() ?? (this.shared ? sharedBytes(this.pieceLength) : new Uint8Array(this.pieceLength));
    return size === b.length ? b : b.subarray(0, size);
  }

  /**
   * Takes back a completed piece's buffer (from {@link PieceStore.complete}) for reuse. Call only once
   * its write has settled and nothing reads it any more (its hash job is done). Detached or foreign
   * buffers are ignored.
   */
  release(data: Uint8Array): void {
    const ab = data.buffer;
    if (this.#cleared || this.#free.length >= this.#maxFree || data.byteOffset !== 0) return;
    if (ab.byteLength !== this.pieceLength || (typeof SharedArrayBuffer === 'function' && ab instanceof SharedArrayBuffer) !== this.shared) return;
    // A whole shared buffer is kept as the view sharedBytes made (a short one is not rewrapped: one buffer).
    if (data.length === ab.byteLength) this.#free.push(data);
    else if (!this.shared) this.#free.push(new Uint8Array(ab));
  }

  /** The buffer piece `piece`'s blocks are put into while it is incomplete (buffered mode), else undefined. */
  buffer(piece: number): Uint8Array | undefined {
    return this.#building.get(piece)?.buf;
  }

  /** Bytes of writes in flight (completed pieces and write-through blocks). */
  get pending(): number {
    return this.#inflight;
  }

  /** Stores a block (copied; `block` may be a transient view). */
  put(piece: number, begin: number, block: Uint8Array): void {
    let b = this.#building.get(piece);
    if (b === undefined) {
      const size = this.pieceSize(piece);
      const buffered = this.#buffered + size <= this.bufferBudget || this.#buffered === 0;
      b = { buf: buffered ? this.#alloc(size) : undefined, writes: [] };
      if (buffered) this.#buffered += size;
      this.#building.set(piece, b);
    }
    if (b.buf) {
      // a new buffer starts zeroed; a reused one holds old bytes, but every block is written before completion.
      // Shared buffers: copyInto is one memcpy where `set` would take V8's slow relaxed-atomic loop.
      if (this.shared) copyInto(b.buf, block, begin);
      else b.buf.set(block, begin);
      return;
    }
    this.#writeThrough(b, piece, begin, new Uint8Array(block)); // a real copy: blocks may be Buffers, whose slice() is a view
  }

  #writeThrough(b: Building, piece: number, begin: number, copy: Uint8Array): void {
    this.#inflight += copy.length;
    b.writes.push(
      this.storage.write(piece, begin, copy).then(
        () => { this.#inflight -= copy.length; },
        (err: unknown) => { this.#inflight -= copy.length; this.#fail(err); throw err; },
      ),
    );
  }

  /**
   * Moves a partial piece out of memory (it is no longer wanted, and its buffer would hold budget until it
   * is wanted again): the byte ranges received so far are written to storage, the buffer is recycled, and
   * the piece continues in write-through mode (later blocks are written as they come; `complete` reads it
   * back). Ranges must be blocks that were put; nothing else of the buffer is written.
   */
  spill(piece: number, ranges: readonly (readonly [begin: number, length: number])[]): void {
    const b = this.#building.get(piece);
    if (b?.buf === undefined) return;
    const buf = b.buf;
    b.buf = undefined;
    this.#buffered -= buf.length;
    for (const [begin, length] of ranges) this.#writeThrough(b, piece, begin, new Uint8Array(buf.subarray(begin, begin + length)));
    this.release(buf);
  }

  #fail(err: unknown): void {
    if (this.writeError === undefined) {
      this.writeError = err;
      this.onWriteError?.(err);
    }
  }

  /**
   * The piece is complete: returns its bytes (and a promise that the bytes are in storage). In buffered
   * mode the write starts now; in write-through mode the data is read back once the writes settled.
   * `buffered` tells which: true when `data` is the buffer the blocks were put into.
   * `deferWrite`: start the buffered write in a later task, not now. For a piece a reader is blocked on:
   * the reader's wake-up runs in microtasks, and a write started now would dispatch in the same turn,
   * ahead of it (the bytes stay readable from the buffer meanwhile, see serveUntilWritten).
   */
  async complete(piece: number, deferWrite = false): Promise<{ data: Uint8Array; written: Promise<void>; buffered: boolean }> {
    const b = this.#building.get(piece);
    this.#building.delete(piece);
    if (b?.buf) {
      const buf = b.buf;
      this.#inflight += buf.length;
      this.#buffered -= buf.length;
      const write = (): Promise<void> => this.storage.write(piece, 0, buf);
      const started = deferWrite ? this.#later(write) : write();
      const written = started.then(
        () => { this.#inflight -= buf.length; },
        (err: unknown) => { this.#inflight -= buf.length; this.#fail(err); throw err; },
      );
      written.catch(() => undefined);
      return { data: buf, written, buffered: true };
    }
    await Promise.all(b?.writes ?? []);
    const data = await this.storage.read(piece, 0, this.pieceSize(piece));
    return { data, written: Promise.resolve(), buffered: false };
  }

  /**
   * Piece `piece` was verified (and announced) before its write landed: until `written` settles, reads of
   * it are served from `data` (copies), never from storage, which may not hold the bytes yet. The caller
   * keeps `data` unchanged and does not release it before `written` settles.
   */
  serveUntilWritten(piece: number, data: Uint8Array, written: Promise<void>): void {
    this.#unwritten.set(piece, data);
    const done = (): void => {
      if (this.#unwritten.get(piece) === data) this.#unwritten.delete(piece);
    };
    written.then(done, done);
  }

  /** A copy of bytes [begin, begin + length) of a piece whose write is in flight, or undefined. */
  unwritten(piece: number, begin = 0, length?: number): Uint8Array | undefined {
    const d = this.#unwritten.get(piece);
    if (d === undefined) return undefined;
    const end = length === undefined ? d.length : Math.min(d.length, begin + length);
    const out = new Uint8Array(Math.max(0, end - begin));
    out.set(d.subarray(begin, end));
    return out;
  }

  /** Drops a piece's partial data (its blocks will be downloaded again). */
  drop(piece: number): void {
    const b = this.#building.get(piece);
    if (!b) return;
    this.#building.delete(piece);
    if (b.buf) {
      this.#buffered -= b.buf.length;
      this.release(b.buf);
    }
  }

  /** Whether a piece has a partial buffer or write-through writes. */
  building(piece: number): boolean {
    return this.#building.has(piece);
  }

  /**
   * A block of a verified piece for upload, through the piece cache. The result may be a view of a pooled
   * buffer carrying a release handle (src/interfaces/block-release.ts, upload-cache.ts): release it once it will
   * never be read again, or never (then its buffer is not reused).
   */
  readBlock(piece: number, begin: number, length: number): Promise<Uint8Array> {
    const fresh = this.unwritten(piece, begin, length);
    if (fresh !== undefined) return Promise.resolve(fresh);
    return this.#uploads.read(piece, begin, length);
  }

  /**
   * Runs `write` in a later task (a zero-delay timer), or at once when the store is cleared first: the
   * swarm is stopping, and the storage must see the write before it closes (it waits only for calls that
   * have started), or a verified piece would never reach it.
   */
  #later(write: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const start = (): void => {
        if (!this.#deferred.delete(start)) return;
        clearTimeout(timer);
        let started: Promise<void>;
        try {
          started = write();
        } catch (err) {
          started = Promise.reject(err instanceof Error ? err : new Error(String(err))); // an adapter that throws
        }
        started.then(resolve, reject);
      };
      const timer = setTimeout(start, 0);
      this.#deferred.add(start);
    });
  }

  /** Forgets cached pieces and partial data; deferred writes start now. */
  clear(): void {
    for (const start of [...this.#deferred]) start();
    this.#uploads.clear();
    this.#building.clear();
    this.#unwritten.clear();
    this.#buffered = 0;
    this.#free.length = 0;
    this.#cleared = true;
  }
}
