/**
 * Copies of just-verified pieces that a reader is waiting for, so the reader gets its bytes from memory
 * instead of reading them back from storage (issue 6: seek-to-first-byte).
 *
 * The torrent puts a piece here only when it passes its hash check with a deadline that has already
 * fallen due (a stream reader blocks on it); `take` hands the copy out once and forgets it, and a piece's
 * entry is dropped when its deadline is reset. Bounded: at most `maxPieces` entries and `maxBytes`
 * bytes (one entry is always allowed), oldest evicted first — a lost entry only costs a storage read.
 */

/** A small, bounded, take-once store of verified piece bytes. */
export class FreshPieces {
  readonly #map = new Map<number, Uint8Array>();
  #bytes = 0;

  constructor(
    private readonly maxPieces = 4,
    private readonly maxBytes = 8 * 1024 * 1024,
  ) {}

  /** Keeps a copy of `data` (which may be a transient or shared view) as piece `i`'s bytes. */
  put(i: number, data: Uint8Array): void {
    this.delete(i);
    const copy = new Uint8Array(data.length);
    copy.set(data);
    while (this.#map.size > 0 && (this.#map.size >= this.maxPieces || this.#bytes + copy.length > this.maxBytes)) {
      const [oldest] = this.#map.keys();
      this.delete(oldest!);
    }
    this.#map.set(i, copy);
    this.#bytes += copy.length;
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

  /** Forgets everything. */
  clear(): void {
    this.#map.clear();
    this.#bytes = 0;
  }

  /** Number of pieces held. */
  get size(): number {
    return this.#map.size;
  }
}
