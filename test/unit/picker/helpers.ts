// Shared helpers for the picker tests: a seeded PRNG and bitfield builders.
import { Lengths } from '../../../src/metainfo/lengths.js';
import { emptyBitfield, setPiece } from '../../../src/picker/bits.js';
import { PiecePicker, type PiecePickerOptions } from '../../../src/picker/piece-picker.js';

/** mulberry32: a small deterministic PRNG returning [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A bitfield with exactly the listed pieces. */
export function bitfieldOf(pieceCount: number, pieces: Iterable<number>): Uint8Array {
  const bf = emptyBitfield(pieceCount);
  for (const p of pieces) setPiece(bf, p);
  return bf;
}

/** A picker over `pieces` pieces of `pieceLength` bytes (last piece `lastLength` if given). */
export function makePicker(pieces: number, pieceLength: number, options: PiecePickerOptions = {}, lastLength = pieceLength): { picker: PiecePicker; lengths: Lengths } {
  const lengths = new Lengths((pieces - 1) * pieceLength + lastLength, pieceLength);
  return { picker: new PiecePicker(lengths, { random: prng(1), ...options }), lengths };
}

/** Piece of a block id. */
export function pieceOf(picker: PiecePicker, block: number): number {
  return Math.floor(block / picker.blocksPerPiece);
}
