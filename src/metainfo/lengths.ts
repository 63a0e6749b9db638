/**
 * All piece / block / file size math in one place, with validated indexes.
 *
 * Invariants: `pieceLength` is an integer in [1, MAX_PIECE_LENGTH]; `totalLength` is a positive
 * safe integer; `pieceCount = ceil(totalLength / pieceLength)` is at most the configured maximum.
 * Every piece but the last is `pieceLength` long; blocks are 16 KiB except the last of a piece.
 * Index arguments out of range throw `invalid_argument` rather than returning nonsense.
 *
 * Piece-length rule (from libtorrent's torrent_info parser, checked with the search tool): any
 * 1 ≤ piece length ≤ 512 MiB for v1 (libtorrent does not require a multiple of 16 KiB or a power of
 * two there); for v2 and hybrid torrents it must also be a power of two and at least 16 KiB (BEP 52).
 */
import { TorrentError } from '../errors.js';

/** Bytes in a request block (and a BEP 52 merkle leaf). */
export const BLOCK_SIZE = 16384;
/** Largest accepted piece length: 512 MiB. */
export const MAX_PIECE_LENGTH = 512 * 1024 * 1024;
/** Default bound on the number of pieces (libtorrent's default is 2^21). */
export const DEFAULT_MAX_PIECES = 2_097_152;

function bad(message: string, details: Record<string, number>): never {
  throw new TorrentError('invalid_argument', message, { details });
}

/**
 * Validates a piece length for the given torrent version. Throws `torrent_invalid_piece_length`.
 * @param v2 true for v2 and hybrid torrents (power of two ≥ 16 KiB required).
 */
export function checkPieceLength(pieceLength: unknown, v2: boolean): number {
  if (typeof pieceLength !== 'number' || !Number.isInteger(pieceLength) || pieceLength <= 0 || pieceLength > MAX_PIECE_LENGTH) {
    throw new TorrentError('torrent_invalid_piece_length', `piece length must be an integer in [1, ${MAX_PIECE_LENGTH}]`, {
      details: { pieceLength: String(pieceLength) },
    });
  }
  if (v2 && (pieceLength < BLOCK_SIZE || (pieceLength & (pieceLength - 1)) !== 0)) {
    throw new TorrentError('torrent_invalid_piece_length', 'v2 piece length must be a power of two ≥ 16 KiB', { details: { pieceLength } });
  }
  return pieceLength;
}

/** ceil(total / pieceLength), for validated inputs. */
export function pieceCountFor(totalLength: number, pieceLength: number): number {
  return Math.ceil(totalLength / pieceLength);
}

/** Piece and block geometry of a torrent. */
export class Lengths {
  /** Number of pieces. */
  readonly pieceCount: number;
  /** Length of the last piece (1..pieceLength). */
  readonly lastPieceLength: number;
  /** Blocks in a full piece. */
  readonly blocksPerPiece: number;

  /**
   * @throws `torrent_invalid_length` for a non-positive or unsafe total, `torrent_invalid_piece_length`
   *   for a bad piece length, `torrent_too_many_pieces` above `maxPieces`.
   */
  constructor(readonly totalLength: number, readonly pieceLength: number, maxPieces = DEFAULT_MAX_PIECES) {
    if (!Number.isSafeInteger(totalLength) || totalLength <= 0) {
      throw new TorrentError('torrent_invalid_length', 'total length must be a positive safe integer', { details: { totalLength } });
    }
    checkPieceLength(pieceLength, false);
    const count = pieceCountFor(totalLength, pieceLength);
    if (count > maxPieces) {
      throw new TorrentError('torrent_too_many_pieces', `${count} pieces exceed the limit of ${maxPieces}`, { details: { count, maxPieces } });
    }
    this.pieceCount = count;
    this.lastPieceLength = totalLength - (count - 1) * pieceLength;
    this.blocksPerPiece = Math.ceil(pieceLength / BLOCK_SIZE);
  }

  /** Throws unless `i` is a valid piece index. */
  checkPiece(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.pieceCount) bad('piece index out of range', { piece: i, pieceCount: this.pieceCount });
  }

  /** Bytes in piece `i`. */
  pieceSize(i: number): number {
    this.checkPiece(i);
    // Branch-free on purpose (also in blockSize): a `last piece ? ... : ...` branch is never taken until the
    // download's last piece, and taking it then deoptimised every hot function that had inlined this one.
    return Math.min(this.pieceLength, this.totalLength - i * this.pieceLength);
  }

  /** Offset of piece `i` in the torrent's byte space. */
  pieceOffset(i: number): number {
    this.checkPiece(i);
    return i * this.pieceLength;
  }

  /** Number of 16 KiB blocks in piece `i`. */
  blocksInPiece(i: number): number {
    return Math.ceil(this.pieceSize(i) / BLOCK_SIZE);
  }

  /** Bytes in block `b` of piece `i`. */
  blockSize(i: number, b: number): number {
    const size = this.pieceSize(i);
    const blocks = Math.ceil(size / BLOCK_SIZE);
    if (!Number.isInteger(b) || b < 0 || b >= blocks) bad('block index out of range', { piece: i, block: b, blocks });
    return Math.min(BLOCK_SIZE, size - b * BLOCK_SIZE);
  }

  /** Whether `[offset, offset+length)` is a valid block-aligned request inside piece `i`. */
  isValidRequest(i: number, offset: number, length: number): boolean {
    if (!Number.isInteger(i) || i < 0 || i >= this.pieceCount) return false;
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length <= 0 || length > BLOCK_SIZE) return false;
    return offset + length <= this.pieceSize(i);
  }

  /** Pieces touching the byte range `[offset, offset+length)`: `{ first, end }` (end exclusive; empty when length 0). */
  piecesForRange(offset: number, length: number): { first: number; end: number } {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.totalLength) {
      bad('byte range outside the torrent', { offset, length, totalLength: this.totalLength });
    }
    if (length === 0) {
      const p = Math.min(Math.floor(offset / this.pieceLength), this.pieceCount);
      return { first: p, end: p };
    }
    return { first: Math.floor(offset / this.pieceLength), end: Math.floor((offset + length - 1) / this.pieceLength) + 1 };
  }
}

/** A file's place in the torrent's byte space (what {@link filesForPiece} needs). */
export interface FileSpan {
  readonly offset: number;
  readonly length: number;
}

/**
 * Index of the last file starting at or before byte `offset` of the torrent (binary search; 0 when none
 * does). Files must be in torrent order with non-decreasing offsets. Empty files share the offset of the
 * file after them, so of several files starting at `offset` the last one is returned.
 */
export function lastFileAt(files: readonly { readonly offset: number }[], offset: number): number {
  let lo = 0;
  let hi = files.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (files[mid]!.offset <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Parts of files that piece `i` covers, in order: `{ file, offset (within file), length }`.
 * `files` must be in torrent order with contiguous offsets; found by binary search.
 */
export function filesForPiece(lengths: Lengths, files: readonly FileSpan[], i: number): Array<{ file: number; offset: number; length: number }> {
  const start = lengths.pieceOffset(i);
  const end = start + lengths.pieceSize(i);
  const lo = lastFileAt(files, start);
  const out: Array<{ file: number; offset: number; length: number }> = [];
  for (let f = lo; f < files.length; f++) {
    const file = files[f]!;
    if (file.offset >= end) break;
    const a = Math.max(start, file.offset);
    const b = Math.min(end, file.offset + file.length);
    if (b > a) out.push({ file: f, offset: a - file.offset, length: b - a });
  }
  return out;
}
