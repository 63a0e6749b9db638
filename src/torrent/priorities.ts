/**
 * File and piece priorities (libtorrent's download_priority_t: 0 = don't download, 1 = low,
 * 4 = default, 7 = top) and the wanted/done byte accounting that follows from them.
 *
 * Invariants:
 * - Every priority is an integer in [0, 7]; anything else is rejected with `invalid_argument`.
 * - Setting file priorities recomputes every piece's priority as the highest priority of the non-pad
 *   files it overlaps (as libtorrent does); setting piece priorities leaves file priorities alone.
 * - Pad-file bytes (BEP 47) are neither wanted nor done: they are not data.
 */
import { TorrentError } from '../errors.js';

/** libtorrent's priority bounds and default. */
export const DONT_DOWNLOAD = 0;
export const LOW_PRIORITY = 1;
export const DEFAULT_PRIORITY = 4;
export const TOP_PRIORITY = 7;

/** Throws `invalid_argument` unless `p` is an integer priority in [0, 7]. */
export function checkPriority(p: unknown, what: string): number {
  if (typeof p !== 'number' || !Number.isInteger(p) || p < DONT_DOWNLOAD || p > TOP_PRIORITY) {
    throw new TorrentError('invalid_argument', `${what}: priority must be an integer in [0, 7], got ${String(p)}`);
  }
  return p;
}

/** Throws `invalid_argument` unless `i` is an index in [0, n). */
export function checkIndex(i: unknown, n: number, what: string): number {
  if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= n) {
    throw new TorrentError('invalid_argument', `${what} index ${String(i)} out of range [0, ${n})`);
  }
  return i;
}

/** Validates a priority list of at most `n` entries; missing entries take {@link DEFAULT_PRIORITY}. */
export function priorityVector(list: readonly number[], n: number, what: string): Uint8Array {
  if (!Array.isArray(list)) throw new TorrentError('invalid_argument', `${what} priorities must be an array`);
  if (list.length > n) throw new TorrentError('invalid_argument', `${list.length} ${what} priorities for ${n} ${what}s`);
  const out = new Uint8Array(n).fill(DEFAULT_PRIORITY);
  list.forEach((p, i) => {
    out[i] = checkPriority(p, `${what} ${i}`);
  });
  return out;
}

/** The geometry priorities need (a TorrentInfo satisfies it). */
export interface PriorityGeometry {
  readonly pieceLength: number;
  readonly pieceCount: number;
  /** Bytes in piece `i` (the last one may be shorter). */
  pieceSize(i: number): number;
  readonly files: readonly { readonly offset: number; readonly length: number; readonly pad: boolean }[];
}

/** Per-torrent priorities with byte accounting. */
export class Priorities {
  readonly files: Uint8Array;
  readonly pieces: Uint8Array;
  /** Pad bytes per piece, only for pieces that have some. */
  readonly #padBytes = new Map<number, number>();

  constructor(private readonly g: PriorityGeometry) {
    this.files = new Uint8Array(g.files.length).fill(DEFAULT_PRIORITY);
    this.pieces = new Uint8Array(g.pieceCount).fill(DEFAULT_PRIORITY);
    g.files.forEach((f, i) => {
      if (!f.pad || f.length === 0) return;
      this.files[i] = DONT_DOWNLOAD;
      let at = f.offset;
      const end = f.offset + f.length;
      while (at < end) {
        const piece = Math.floor(at / g.pieceLength);
        const upto = Math.min(end, (piece + 1) * g.pieceLength);
        this.#padBytes.set(piece, (this.#padBytes.get(piece) ?? 0) + upto - at);
        at = upto;
      }
    });
  }

  /** Bytes of piece `i` that are data (not pad). */
  dataBytes(i: number): number {
    return this.g.pieceSize(i) - (this.#padBytes.get(i) ?? 0);
  }

  /** Sets every file priority (pad files stay 0) and derives piece priorities from them. */
  setFiles(prios: Uint8Array): void {
    this.g.files.forEach((f, i) => {
      this.files[i] = f.pad ? DONT_DOWNLOAD : prios[i]!;
    });
    this.pieces.fill(DONT_DOWNLOAD);
    this.g.files.forEach((f, i) => {
      if (f.pad || f.length === 0) return;
      const first = Math.floor(f.offset / this.g.pieceLength);
      const last = Math.floor((f.offset + f.length - 1) / this.g.pieceLength);
      const p = this.files[i]!;
      for (let k = first; k <= last; k++) if (this.pieces[k]! < p) this.pieces[k] = p;
    });
  }

  /** Sets one piece's priority. */
  setPiece(i: number, p: number): void {
    this.pieces[checkIndex(i, this.g.pieceCount, 'piece')] = checkPriority(p, `piece ${i}`);
  }

  /** Whether piece `i` is wanted. */
  wanted(i: number): boolean {
    return this.pieces[i]! > DONT_DOWNLOAD;
  }

  /**
   * Sums data bytes: total wanted, done, wanted-and-done, given the verified pieces as a bitfield (`bits`,
   * BEP 3 order: piece 0 is the high bit of byte 0). One tight pass over typed arrays: status() runs it, and
   * a stream reader asks for status once per piece it reads.
   */
  account(bits: Uint8Array): { wanted: number; done: number; wantedDone: number; wantedPieces: number; wantedHave: number } {
    let wanted = 0;
    let done = 0;
    let wantedDone = 0;
    let wantedPieces = 0;
    let wantedHave = 0;
    const n = this.g.pieceCount;
    if (n === 0) return { wanted, done, wantedDone, wantedPieces, wantedHave };
    const pl = this.g.pieceLength;
    const last = n - 1;
    const lastSize = this.g.pieceSize(last);
    const pads = this.#padBytes.size > 0 ? this.#padBytes : undefined;
    const prio = this.pieces;
    for (let i = 0; i < n; i++) {
      const bytes = (i === last ? lastSize : pl) - (pads?.get(i) ?? 0);
      const w = prio[i]! > DONT_DOWNLOAD;
      const h = (bits[i >> 3]! & (0x80 >> (i & 7))) !== 0;
      if (w) {
        wanted += bytes;
        wantedPieces++;
      }
      if (h) done += bytes;
      if (w && h) {
        wantedDone += bytes;
        wantedHave++;
      }
    }
    return { wanted, done, wantedDone, wantedPieces, wantedHave };
  }
}
