/**
 * Our outstanding requests to one peer, so a `piece` or `reject` can be matched to a request of ours
 * (WIRE.md leaves this to the peer layer): unrequested blocks are dropped, not handed to the torrent.
 *
 * Keys are `index * 2^30 + begin` (begin < 2^30 because pieces are at most 512 MiB; index < 2^23 keeps the
 * key below 2^53). The value is the length, negated once we sent a cancel: a cancelled block that still
 * arrives is delivered (late data may still be useful), but it no longer counts as outstanding. Without the
 * fast extension the remote need not answer a cancel, so cancelled entries are trimmed oldest first.
 */
import { TorrentError } from '../errors.js';
import { MAX_PIECES } from './remote-pieces.js';

const SPAN = 0x40000000;

/**
 * Validates a block we are about to request (or an index we announce): integers, length 1..maxLength, and
 * inside the torrent once its geometry is known. Throws `invalid_argument`: a bad value is our bug, never
 * peer input.
 */
export function checkBlockArgs(
  geometry: { pieceCount(): number | undefined; pieceSize(index: number): number },
  index: number,
  begin: number,
  length: number,
  maxLength: number,
): void {
  const pc = geometry.pieceCount();
  const ok =
    Number.isInteger(index) && index >= 0 && index < (pc ?? MAX_PIECES) &&
    Number.isInteger(begin) && begin >= 0 && Number.isInteger(length) && length >= 1 && length <= maxLength &&
    (pc === undefined || begin + length <= geometry.pieceSize(index));
  if (!ok) throw new TorrentError('invalid_argument', `block ${index}/${begin}+${length} is outside the torrent`);
}

/** Outstanding (and recently cancelled) requests. */
export class RequestBook {
  readonly #map = new Map<number, number>();
  #live = 0;
  #cancelled = 0;

  /** Requests sent and not answered or cancelled. */
  get live(): number {
    return this.#live;
  }

  static #key(index: number, begin: number): number {
    return begin < SPAN && index < 0x800000 ? index * SPAN + begin : -1;
  }

  /** Records a request; false if that block is already outstanding. */
  add(index: number, begin: number, length: number): boolean {
    const k = RequestBook.#key(index, begin);
    if (k < 0) return false;
    const v = this.#map.get(k);
    if (v !== undefined && v > 0) return false;
    if (v !== undefined) this.#cancelled--;
    this.#map.set(k, length);
    this.#live++;
    return true;
  }

  /** True when the request is outstanding and not cancelled. */
  isLive(index: number, begin: number, length: number): boolean {
    return this.#map.get(RequestBook.#key(index, begin)) === length;
  }

  /** A block or reject arrived: true (and forgotten) if it matches a request of ours, cancelled or not. */
  take(index: number, begin: number, length: number): boolean {
    const k = RequestBook.#key(index, begin);
    const v = this.#map.get(k);
    if (v === undefined || (v !== length && v !== -length)) return false;
    this.#map.delete(k);
    if (v > 0) this.#live--;
    else this.#cancelled--;
    return true;
  }

  /** Forgets a request entirely (it was never sent). */
  remove(index: number, begin: number): void {
    const k = RequestBook.#key(index, begin);
    const v = this.#map.get(k);
    if (v === undefined) return;
    this.#map.delete(k);
    if (v > 0) this.#live--;
    else this.#cancelled--;
  }

  /** We sent a cancel for it. */
  markCancelled(index: number, begin: number): void {
    const k = RequestBook.#key(index, begin);
    const v = this.#map.get(k);
    if (v === undefined || v < 0) return;
    this.#map.set(k, -v);
    this.#live--;
    this.#cancelled++;
  }

  /** Drops the oldest cancelled entries beyond `max`. */
  trimCancelled(max: number): void {
    if (this.#cancelled <= max) return;
    for (const [k, v] of this.#map) {
      if (this.#cancelled <= max) break;
      if (v < 0) {
        this.#map.delete(k);
        this.#cancelled--;
      }
    }
  }

  /** Forgets everything (choke without the fast extension, close). */
  clear(): void {
    this.#map.clear();
    this.#live = 0;
    this.#cancelled = 0;
  }
}
