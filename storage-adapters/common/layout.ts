/**
 * Address math shared by every adapter: layout validation, piece sizes, range checks, and the mapping of a
 * byte range of the torrent onto the files it covers.
 *
 * Invariants (checked by {@link validateLayout} when a torrent is opened):
 * - `pieceLength` is a positive safe integer and `pieceCount === ceil(totalLength / pieceLength)`.
 * - Files are contiguous: file i starts where file i-1 ends, and the last one ends at `totalLength`.
 * Every later address is validated with {@link checkRange} before anything is read or written, so the span
 * mapping below may assume in-range input.
 */
import { TorrentError } from '../../src/errors.js';
import type { LayoutFile, TorrentLayout } from '../../src/interfaces/storage.js';

/** One contiguous piece of a byte range that falls inside a single file. */
export interface FileSpan {
  /** Index of the file in `layout.files`. */
  readonly file: number;
  /** Offset of the span inside the file. */
  readonly fileOffset: number;
  /** Offset of the span inside the caller's buffer. */
  readonly bufferOffset: number;
  /** Number of bytes (always > 0). */
  readonly length: number;
}

const isNonNegInt = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;

/** Throws `invalid_argument` unless `layout` satisfies the invariants in this module's note. */
export function validateLayout(layout: TorrentLayout): void {
  const bad = (why: string): never => {
    throw new TorrentError('invalid_argument', `invalid storage layout: ${why}`, { details: { id: layout.id } });
  };
  if (typeof layout.id !== 'string' || layout.id.length === 0) bad('empty id');
  if (!isNonNegInt(layout.pieceLength) || layout.pieceLength === 0) bad('piece length must be a positive integer');
  if (!isNonNegInt(layout.totalLength)) bad('total length must be a non-negative integer');
  if (layout.pieceCount !== Math.ceil(layout.totalLength / layout.pieceLength)) bad('piece count does not match total length');
  let offset = 0;
  for (const [i, f] of layout.files.entries()) {
    if (!isNonNegInt(f.length)) bad(`file ${i} has an invalid length`);
    if (f.offset !== offset) bad(`file ${i} does not start where the previous one ends`);
    offset += f.length;
  }
  if (offset !== layout.totalLength) bad('file lengths do not add up to the total length');
}

/** Size in bytes of piece `piece` (the last piece may be short). Assumes a valid index. */
export function pieceSize(layout: TorrentLayout, piece: number): number {
  return piece === layout.pieceCount - 1 ? layout.totalLength - piece * layout.pieceLength : layout.pieceLength;
}

/**
 * Validates a (piece, offset, length) address and returns its absolute offset in the torrent's byte space.
 * Rejects non-integers, negative values, a piece outside [0, pieceCount) and ranges crossing the piece's end
 * with `storage_out_of_range`. A zero-length range at any offset up to the piece size is valid.
 */
export function checkRange(layout: TorrentLayout, piece: number, offset: number, length: number): number {
  const size = isNonNegInt(piece) && piece < layout.pieceCount ? pieceSize(layout, piece) : -1;
  if (size < 0 || !isNonNegInt(offset) || !isNonNegInt(length) || offset + length > size) {
    throw new TorrentError('storage_out_of_range', `range out of bounds: piece ${piece} offset ${offset} length ${length}`, {
      details: { piece, offset, length, pieceCount: layout.pieceCount, pieceSize: size < 0 ? undefined : size },
    });
  }
  return piece * layout.pieceLength + offset;
}

/** Index of the first non-empty file containing byte `abs` (binary search over file offsets). */
function firstFileAt(files: readonly LayoutFile[], abs: number): number {
  let lo = 0;
  let hi = files.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const f = files[mid] as LayoutFile;
    if (f.offset + f.length <= abs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Splits the absolute range [abs, abs + length) into per-file spans in file order, skipping zero-length
 * files. The range must lie inside the torrent (see {@link checkRange}).
 */
export function fileSpans(layout: TorrentLayout, abs: number, length: number): FileSpan[] {
  const out: FileSpan[] = [];
  if (length === 0) return out;
  const files = layout.files;
  let pos = abs;
  const end = abs + length;
  for (let i = firstFileAt(files, abs); i < files.length && pos < end; i++) {
    const f = files[i] as LayoutFile;
    const fileEnd = f.offset + f.length;
    if (fileEnd <= pos) continue;
    const n = Math.min(end, fileEnd) - pos;
    out.push({ file: i, fileOffset: pos - f.offset, bufferOffset: pos - abs, length: n });
    pos += n;
  }
  return out;
}

/** The error every call on a closed or destroyed storage rejects with. */
export function closedError(id: string): TorrentError {
  return new TorrentError('storage_closed', 'storage is closed', { details: { id } });
}

/** Rejects with `aborted` if `signal` has fired. */
export function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new TorrentError('aborted', 'storage open aborted', { cause: signal.reason });
}
