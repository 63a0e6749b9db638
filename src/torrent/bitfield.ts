/**
 * A compact bitfield over a Uint8Array in BitTorrent bit order: bit i is bit (7 - i % 8) of byte
 * i >> 3, so piece 0 is the high bit of byte 0 (BEP 3 `bitfield` message layout).
 *
 * Invariants: spare bits after `size` are always zero; `count` always equals the number of set bits
 * (kept incrementally, so it is O(1)).
 */
import { TorrentError } from '../errors.js';

const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1]!;

/** Number of set bits in `bytes`. */
export function popcount(bytes: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < bytes.length; i++) n += POPCOUNT[bytes[i]!]!;
  return n;
}

/** Fixed-size set of bit indexes in [0, size). */
export class Bitfield {
  readonly size: number;
  #bytes: Uint8Array;
  #count = 0;

  constructor(size: number) {
    if (!Number.isSafeInteger(size) || size < 0) throw new TorrentError('invalid_argument', `bitfield size must be a non-negative integer, got ${size}`);
    this.size = size;
    this.#bytes = new Uint8Array(Math.ceil(size / 8));
  }

  /**
   * A bitfield from wire/stored bytes. Rejects (`invalid_message`) a wrong byte length or spare bits
   * set past `size` (HOSTILE-INPUTS 16). The bytes are copied.
   */
  static fromBytes(bytes: Uint8Array, size: number): Bitfield {
    const b = new Bitfield(size);
    if (bytes.length !== b.#bytes.length) {
      throw new TorrentError('invalid_message', `bitfield of ${bytes.length} bytes for ${size} bits (expected ${b.#bytes.length})`);
    }
    const spare = b.#bytes.length * 8 - size;
    if (spare > 0 && (bytes[bytes.length - 1]! & ((1 << spare) - 1)) !== 0) {
      throw new TorrentError('invalid_message', 'bitfield has spare bits set');
    }
    b.#bytes.set(bytes);
    b.#count = popcount(b.#bytes);
    return b;
  }

  #check(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.size) {
      throw new TorrentError('invalid_argument', `bit index ${i} out of range [0, ${this.size})`);
    }
  }

  /** Whether bit i is set. */
  get(i: number): boolean {
    this.#check(i);
    return (this.#bytes[i >> 3]! & (0x80 >> (i & 7))) !== 0;
  }

  /** Sets bit i; returns whether it changed. */
  set(i: number): boolean {
    this.#check(i);
    const m = 0x80 >> (i & 7);
    const byte = this.#bytes[i >> 3]!;
    if (byte & m) return false;
    this.#bytes[i >> 3] = byte | m;
    this.#count++;
    return true;
  }

  /** Clears bit i; returns whether it changed. */
  clear(i: number): boolean {
    this.#check(i);
    const m = 0x80 >> (i & 7);
    const byte = this.#bytes[i >> 3]!;
    if (!(byte & m)) return false;
    this.#bytes[i >> 3] = byte & ~m;
    this.#count--;
    return true;
  }

  /** Clears every bit. */
  clearAll(): void {
    this.#bytes.fill(0);
    this.#count = 0;
  }

  /** Sets every bit in [0, size). */
  setAll(): void {
    this.#bytes.fill(0xff);
    const spare = this.#bytes.length * 8 - this.size;
    if (spare > 0) this.#bytes[this.#bytes.length - 1] = (0xff << spare) & 0xff;
    this.#count = this.size;
  }

  /** Number of set bits. */
  get count(): number {
    return this.#count;
  }

  /** Whether every bit is set. */
  get all(): boolean {
    return this.#count === this.size;
  }

  /** Whether no bit is set. */
  get none(): boolean {
    return this.#count === 0;
  }

  /** A copy of the bytes (spare bits zero). */
  toBytes(): Uint8Array {
    return this.#bytes.slice();
  }

  /** An independent copy. */
  clone(): Bitfield {
    return Bitfield.fromBytes(this.#bytes, this.size);
  }

  /** Indexes of set bits, ascending. */
  *indexes(): IterableIterator<number> {
    for (let byte = 0; byte < this.#bytes.length; byte++) {
      const v = this.#bytes[byte]!;
      if (v === 0) continue;
      for (let bit = 0; bit < 8; bit++) if (v & (0x80 >> bit)) yield byte * 8 + bit;
    }
  }
}
