/**
 * Copies of just-verified pieces that a reader is waiting for, so the reader gets its bytes from memory
 * instead of reading them back from storage (issue 6: seek-to-first-byte).
 *
 * The torrent puts a piece here only when it passes its hash check with a deadline that has already
 * fallen due (a stream reader blocks on it); `take` hands the copy out once and forgets it, and a piece's
 * entry is dropped when its deadline is reset. Bounded: at most `maxPieces` entries and `maxBytes`
 * bytes (one entry is always allowed), oldest evicted first — a lost entry only costs a storage read.
 *
 * The copy is on the reader's critical path. Allocating a fresh piece-sized buffer there costs most of a
 * millisecond per MiB (the kernel maps and zeroes its pages on first touch), so while the torrent has
 * deadlines a spare buffer is kept ready, allocated and touched off the critical path (`prepare`, a
 * zero-delay timer after a deadline is set or the spare was used): the copy into it is a plain memcpy.
 * The spare is handed out with the piece (the reader owns it), so each piece gets its own buffer.
 */

/** A small, bounded, take-once store of verified piece bytes. */
export class FreshPieces {
  readonly #map = new Map<number, Uint8Array>();
  #bytes = 0;
  #spare: Uint8Array | undefined;
  #spareSize = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly maxPieces = 4,
    private readonly maxBytes = 8 * 1024 * 1024,
  ) {}

  /**
   * Makes a spare buffer of `size` bytes ready soon (off the current call stack), for the next `put` of a
   * piece of that size. Idempotent while one is ready or coming; no spare for pieces over `maxBytes`.
   */
  prepare(size: number): void {
    if (size > this.maxBytes) return; // huge pieces: not worth a second buffer held for the whole stream
    this.#spareSize = size;
    if (this.#spare?.length === size || this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#spareSize <= 0 || this.#spare?.length === this.#spareSize) return;
      const b = new Uint8Array(this.#spareSize);
      b.fill(0); // touch every page now, not during the copy
      this.#spare = b;
    }, 0);
  }

  /** Drops the spare buffer (no deadlines left). */
  release(): void {
    this.#spareSize = 0;
    this.#spare = undefined;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Keeps a copy of `data` (which may be a transient or shared view) as piece `i`'s bytes. */
  put(i: number, data: Uint8Array): void {
    this.delete(i);
    let copy: Uint8Array;
    if (this.#spare?.length === data.length) {
      copy = this.#spare;
      this.#spare = undefined;
    } else {
      copy = new Uint8Array(data.length);
    }
    copy.set(data);
    while (this.#map.size > 0 && (this.#map.size >= this.maxPieces || this.#bytes + copy.length > this.maxBytes)) {
      const [oldest] = this.#map.keys();
      this.delete(oldest!);
    }
    this.#map.set(i, copy);
    this.#bytes += copy.length;
    if (this.#spareSize > 0) this.prepare(this.#spareSize);
  }

  /** Piece `i`'s bytes, handed out once (the entry is forgotten), or undefined. */
  take(i: number): Uint8Array | undefined {
    const d = this.#map.get(i);
    if (d !== undefined) this.delete(i);
    return d;
  }

  /** Forgets piece `i`. */
  delete(i: number): void {
    const d = this.#map.get(i);
    if (d === undefined) return;
    this.#map.delete(i);
    this.#bytes -= d.length;
  }

  /** Forgets everything, the spare included. */
  clear(): void {
    this.#map.clear();
    this.#bytes = 0;
    this.release();
  }

  /** Number of pieces held. */
  get size(): number {
    return this.#map.size;
  }

  /** Whether a spare buffer is ready (tests). */
  get hasSpare(): boolean {
    return this.#spare !== undefined;
  }
}
