/**
 * What the remote has: its bitfield (our own copy, never a view of a socket buffer), the have-all flag, and
 * the checks that need the piece count. While the piece count is unknown (magnet link, metadata not yet
 * fetched) a bitfield is kept as received and haves grow the bytes; {@link RemotePieces.setPieceCount} then
 * checks them (HOSTILE-INPUTS 16). Methods return an error message for a violation, else undefined.
 */
import { hasPiece, setPiece } from '../picker/bits.js';

/** Piece index limit while the piece count is unknown (the metainfo limit, HOSTILE-INPUTS 11). */
export const MAX_PIECES = 2_097_152;

/** The remote's pieces. */
export class RemotePieces {
  #bits: Uint8Array | undefined;
  #fromMessage = false;
  #seed = false;
  #pieceCount: number | undefined;

  constructor(pieceCount: number | undefined) {
    this.#pieceCount = pieceCount;
  }

  /** The remote said have-all. */
  get isSeed(): boolean {
    return this.#seed;
  }
  /** A copy of the bytes, undefined before any bitfield / have / have-all. */
  get bytes(): Uint8Array | undefined {
    return this.#bits?.slice();
  }
  /** True when the remote has piece `index`. */
  has(index: number): boolean {
    return this.#seed || (this.#bits !== undefined && hasPiece(this.#bits, index));
  }

  /** A bitfield message (size and spare bits already checked by the decoder when the count is known). */
  bitfield(bits: Uint8Array): void {
    this.#bits = bits.slice();
    this.#fromMessage = true;
  }
  /** BEP 6 have-all. */
  haveAll(): void {
    this.#seed = true;
    if (this.#pieceCount !== undefined) this.#bits = fullBits(this.#pieceCount);
  }

  /** A have: true when it is new; an error string when the index is impossible. */
  have(index: number): boolean | string {
    if (this.#seed) return false;
    const pc = this.#pieceCount;
    if (pc === undefined) {
      if (index >= MAX_PIECES) return `have index ${index} beyond any torrent`;
      const need = (index >> 3) + 1;
      if (!this.#bits || this.#bits.length < need) {
        const grown = new Uint8Array(Math.max(need, (this.#bits?.length ?? 0) * 2));
        if (this.#bits) grown.set(this.#bits);
        this.#bits = grown;
      }
    } else if (!this.#bits) this.#bits = new Uint8Array((pc + 7) >> 3);
    if (hasPiece(this.#bits, index)) return false;
    setPiece(this.#bits, index);
    return true;
  }

  /** The piece count became known: checks what was said so far; an error string on a violation. */
  setPieceCount(n: number): string | undefined {
    this.#pieceCount = n;
    const want = (n + 7) >> 3;
    const bits = this.#bits;
    if (this.#seed) this.#bits = fullBits(n);
    else if (bits) {
      if (this.#fromMessage && bits.length !== want) return `bitfield of ${bits.length} bytes for ${n} pieces`;
      for (let i = n; i < bits.length * 8; i++) if (hasPiece(bits, i)) return `remote claims piece ${i} of ${n}`;
      const sized = new Uint8Array(want);
      sized.set(bits.subarray(0, want));
      this.#bits = sized;
    }
    return undefined;
  }
}

/** `n` set bits, spare bits clear. */
export function fullBits(n: number): Uint8Array {
  const b = new Uint8Array((n + 7) >> 3).fill(0xff);
  if (n & 7) b[b.length - 1] = (0xff << (8 - (n & 7))) & 0xff;
  return b;
}
