/**
 * Hashing a time-critical piece while it arrives (issue 6: seek latency).
 *
 * A reader blocked on a piece waits for its last block and then for the hash of the whole piece (Node:
 * ~0.7 ms per MiB on the main thread). For a piece whose deadline has fallen due, blocks that arrive in
 * order are fed to an incremental SHA-1 as they are stored, so at completion only the tail that came out
 * of order is left to hash. Blocks that arrive ahead of the cursor (a seed's disk reads finish out of
 * order) are noted and fed from the piece's buffer as soon as the gap before them is filled. v1 hashes only (v2 and hybrid pieces take the ordinary path), and only where
 * the platform hashes synchronously (Node).
 *
 * Invariants: what was fed is exactly bytes [0, fed) of the piece's buffer. A block is fed only when it
 * starts at `fed`, from its own bytes or, for a block noted earlier, from the buffer it was put into; a
 * block arriving again for a range already fed or noted means the piece started over (its buffer may now
 * hold other bytes), so the running hash is dropped and the piece is hashed whole. Any
 * answer other than "matches" is re-checked by the caller with a full hash, so a stale running hash can
 * never fail a good piece; it can never pass a bad one either, since the tail is hashed from the buffer.
 */
import { hasSyncHash, sha1Stream } from '#platform/sha';
import type { Sha1Stream } from '#platform/sha';
import { bytesEqual } from '../../bytes.js';
import type { VerifiableTorrent } from '../piece-hash.js';

interface Running {
  readonly hash: Sha1Stream;
  fed: number;
  /** Blocks stored ahead of `fed`: offset → length. */
  readonly ahead: Map<number, number>;
}

/** Running SHA-1s of critical pieces, a few at a time. */
export class CriticalHashes {
  readonly #open = new Map<number, Running>();
  readonly #usable: boolean;

  constructor(
    private readonly t: VerifiableTorrent,
    private readonly max = 8,
  ) {
    this.#usable = hasSyncHash && t.metaVersion === 'v1';
  }

  /**
   * A block of piece `i` at `begin` was stored (`data`: its bytes, read during the call only) into
   * `buffer`, the piece's buffer (undefined when the piece is not buffered: nothing is hashed early). A
   * running hash starts at a block of a piece that is `critical` (its deadline has fallen due).
   */
  block(i: number, begin: number, data: Uint8Array, critical: boolean, buffer: Uint8Array | undefined): void {
    let r = this.#open.get(i);
    if (r === undefined) {
      if (!critical || buffer === undefined || !this.#usable || this.#open.size >= this.max) return;
      r = { hash: sha1Stream(), fed: 0, ahead: new Map() };
      this.#open.set(i, r);
    }
    if (buffer === undefined || begin < r.fed || r.ahead.has(begin)) {
      this.#open.delete(i);
      return;
    }
    if (begin !== r.fed) {
      r.ahead.set(begin, data.length);
      return;
    }
    r.hash.update(data);
    r.fed += data.length;
    for (let n = r.ahead.get(r.fed); n !== undefined; n = r.ahead.get(r.fed)) {
      r.ahead.delete(r.fed);
      r.hash.update(buffer.subarray(r.fed, r.fed + n));
      r.fed += n;
    }
  }

  /**
   * Ends piece `i`'s running hash over `data`, the complete piece as buffered: true when it matches the
   * torrent's hash, false when it does not, undefined when no running hash exists.
   */
  finish(i: number, data: Uint8Array): boolean | undefined {
    const r = this.#open.get(i);
    if (r === undefined) return undefined;
    this.#open.delete(i);
    const expect = this.t.pieceHash(i);
    if (expect === undefined || data.length !== this.t.pieceSize(i) || r.fed > data.length) return false;
    r.hash.update(data.subarray(r.fed));
    return bytesEqual(r.hash.digest(), expect);
  }

  /** Forgets piece `i`'s running hash (its blocks were dropped). */
  drop(i: number): void {
    this.#open.delete(i);
  }

  /** Forgets the running hashes of pieces `keep` rejects (their deadline was reset). */
  retain(keep: (i: number) => boolean): void {
    for (const i of [...this.#open.keys()]) if (!keep(i)) this.#open.delete(i);
  }

  /** Running hashes held (tests). */
  get size(): number {
    return this.#open.size;
  }
}
