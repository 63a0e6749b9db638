/**
 * Bitfield helpers in BitTorrent bit order: bit 0 of the torrent is the most significant bit of byte 0
 * (BEP 3). Spare bits in the last byte are ignored by every helper here.
 */

/** True when piece `i` is set in `bitfield` (MSB-first). Out-of-range indexes read as unset. */
export function hasPiece(bitfield: Uint8Array, i: number): boolean {
  const byte = bitfield[i >> 3];
  return byte !== undefined && ((byte >> (7 - (i & 7))) & 1) === 1;
}

/** Sets piece `i` in `bitfield` (MSB-first). */
export function setPiece(bitfield: Uint8Array, i: number): void {
  const at = i >> 3;
  const byte = bitfield[at];
  if (byte !== undefined) bitfield[at] = byte | (0x80 >> (i & 7));
}

/** A zeroed bitfield large enough for `pieceCount` pieces. */
export function emptyBitfield(pieceCount: number): Uint8Array {
  return new Uint8Array((pieceCount + 7) >> 3);
}

/** A bitfield with the first `pieceCount` bits set and the spare bits clear. */
export function fullBitfield(pieceCount: number): Uint8Array {
  const bf = new Uint8Array((pieceCount + 7) >> 3).fill(0xff);
  const spare = bf.length * 8 - pieceCount;
  if (spare > 0) bf[bf.length - 1] = (0xff << spare) & 0xff;
  return bf;
}

/** True when all of the first `pieceCount` bits are set (a seed's bitfield). */
export function isComplete(bitfield: Uint8Array, pieceCount: number): boolean {
  const whole = pieceCount >> 3;
  if (bitfield.length < (pieceCount + 7) >> 3) return false;
  for (let b = 0; b < whole; b++) if (bitfield[b] !== 0xff) return false;
  for (let i = whole * 8; i < pieceCount; i++) if (!hasPiece(bitfield, i)) return false;
  return true;
}

/** Number of set bits among the first `pieceCount`. */
export function countPieces(bitfield: Uint8Array, pieceCount: number): number {
  let n = 0;
  for (let i = 0; i < pieceCount; i++) if (hasPiece(bitfield, i)) n++;
  return n;
}
