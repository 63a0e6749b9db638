/**
 * The upload side's piece cache: whole verified pieces read once and kept in a small LRU (`cacheBytes`), so
 * serving 16 KiB requests does not cost one storage read each, with the piece buffers recycled.
 *
 * Why recycle: a fresh buffer per piece read (or a fresh 16 KiB copy per block served) made a seed allocate
 * its whole upload volume as external memory that outlives a scavenge (it waits in the cache or in the
 * socket's queue), which V8 then frees only with full mark-compact collections: ~80 of them per GiB
 * served, a quarter of the seed's main thread. With recycling a seed allocates nothing per block.
 *
 * Safety (no peer ever receives bytes of another piece):
 * - {@link UploadCache.read} resolves with a VIEW of a cache buffer that carries a release handle
 *   (src/interfaces/block-release.ts). Whoever holds the view last releases it when it will never read it again:
 *   the uploader when it drops the block, the TCP transport after the socket's write callback. A consumer
 *   that does not know the handle never releases: that buffer is then never reused (GC frees it later).
 * - A cache entry counts its pins: one for the storage read filling its buffer (until it settles), one per
 *   read waiting for that fill and then per view handed out until the view is released. A buffer goes back
 *   to the idle pool only when its entry has left the cache (evicted or cleared: no new pins) AND its pins
 *   dropped to zero. Only then may `readInto` refill it for another piece.
 * - Buffers are filled only through the storage's optional `readInto`. Without it (adapters that only have
 *   `read`), entries keep the buffer `read` returned and nothing is pooled: GC frees them as before.
 * - A buffer whose fill failed is never pooled, and nothing is pooled after `clear`. At most
 *   `cacheBytes / pieceLength` idle buffers are kept.
 */
import type { TorrentStorage } from '../../interfaces/storage.js';
import { withRelease } from '../../interfaces/block-release.js';

interface Entry {
  /** The piece's bytes once `ready` resolved: a pooled buffer (or its prefix, for a short last piece). */
  buf: Uint8Array;
  readonly size: number;
  /** Settles when the storage read filling `buf` settled. */
  ready: Promise<void>;
  /** The fill in flight (1 until `ready` settles), reads waiting for it, and views not yet released. */
  pins: number;
  /** Out of the cache map: no new pins. */
  evicted: boolean;
  /** `buf` came from the pool and may go back to it. */
  readonly pooled: boolean;
  failed: boolean;
}

const EMPTY = new Uint8Array(0);

/** LRU of whole pieces for uploads, with pinned, recycled buffers; see the file comment. */
export class UploadCache {
  readonly #entries = new Map<number, Entry>();
  #bytes = 0;
  readonly #idle: Uint8Array[] = [];
  readonly #maxIdle: number;
  #cleared = false;
  /** Buffers recycled so far (for tests and diagnostics). */
  recycled = 0;

  constructor(
    private readonly storage: TorrentStorage,
    private readonly pieceSize: (i: number) => number,
    private readonly cacheBytes: number,
    private readonly pieceLength: number,
  ) {
    this.#maxIdle = Math.max(1, Math.floor(cacheBytes / Math.max(1, pieceLength)));
  }

  /**
   * Bytes [begin, begin + length) of verified piece `piece`, read through the cache: a view carrying a
   * release handle (see the file comment); release it once it will never be read again.
   */
  read(piece: number, begin: number, length: number): Promise<Uint8Array> {
    const size = this.pieceSize(piece);
    if (size > this.cacheBytes) return this.storage.read(piece, begin, length);
    const e = this.#entry(piece, size);
    e.pins++;
    return e.ready.then(
      () => withRelease(e.buf.subarray(begin, begin + length), () => this.#unpin(e)),
      (err: unknown) => {
        this.#unpin(e);
        throw err;
      },
    );
  }

  /** Forgets every cached piece; buffers still pinned are left to GC, and nothing is pooled any more. */
  clear(): void {
    for (const e of this.#entries.values()) e.evicted = true;
    this.#entries.clear();
    this.#bytes = 0;
    this.#idle.length = 0;
    this.#cleared = true;
  }

  #entry(piece: number, size: number): Entry {
    const hit = this.#entries.get(piece);
    if (hit !== undefined) {
      this.#entries.delete(piece); // LRU: move to the back
      this.#entries.set(piece, hit);
      return hit;
    }
    while (this.#bytes + size > this.cacheBytes && this.#entries.size > 0) {
      const [oldest, old] = this.#entries.entries().next().value as [number, Entry];
      this.#evict(oldest, old);
    }
    const readInto = this.storage.readInto;
    const pooled = readInto !== undefined && size <= this.pieceLength;
    const e: Entry = { buf: pooled ? this.#take(size) : EMPTY, size, ready: Promise.resolve(), pins: 1, evicted: false, pooled, failed: false };
    let fill: Promise<void>;
    try {
      fill = pooled
        ? readInto.call(this.storage, piece, 0, e.buf)
        : this.storage.read(piece, 0, size).then((d) => { e.buf = d; });
    } catch (err) {
      fill = Promise.reject(err);
    }
    e.ready = fill;
    this.#entries.set(piece, e);
    this.#bytes += size;
    fill.then(
      () => this.#unpin(e),
      () => {
        e.failed = true;
        if (this.#entries.get(piece) === e) this.#evict(piece, e); // the next read retries
        this.#unpin(e);
      },
    );
    return e;
  }

  #evict(piece: number, e: Entry): void {
    this.#entries.delete(piece);
    this.#bytes -= e.size;
    e.evicted = true;
    if (e.pins === 0) this.#recycle(e);
  }

  #unpin(e: Entry): void {
    if (--e.pins === 0 && e.evicted) this.#recycle(e);
  }

  /** `e` is out of the cache and unpinned: nothing can read its buffer any more. */
  #recycle(e: Entry): void {
    const buf = e.buf;
    e.buf = EMPTY;
    if (!e.pooled || e.failed || this.#cleared || this.#idle.length >= this.#maxIdle) return;
    this.#idle.push(buf.length === this.pieceLength ? buf : new Uint8Array(buf.buffer, 0, this.pieceLength));
    this.recycled++;
  }

  /** An idle buffer (or a prefix of one) of `size` bytes, or a new one. */
  #take(size: number): Uint8Array {
    const b = this.#idle.pop() ?? new Uint8Array(this.pieceLength);
    return size === b.length ? b : b.subarray(0, size);
  }
}
