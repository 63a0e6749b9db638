/**
 * Hashing a time-critical piece while it arrives (issue 6: seek latency).
 *
 * A reader blocked on a piece waits for its last block and then for the hash of the whole piece (Node:
 * ~0.7 ms per MiB on the main thread). For a piece whose deadline has fallen due, blocks that arrive in
 * order are fed to an incremental SHA-1 as they are stored, so at completion only the tail that came out
 * of order is left to hash. v1 hashes only (v2 and hybrid pieces take the ordinary path), and only where
 * the platform hashes synchronously (Node).
 *
 * Invariants: what was fed is exactly bytes [0, fed) of the piece's buffer. A block is fed only when it
 * starts at `fed`; a block arriving again for a range already fed means the piece started over (its
 * buffer may now hold other bytes), so the running hash is dropped and the piece is hashed whole. Any
 * answer other than "matches" is re-checked by the caller with a full hash, so a stale running hash can
 * never fail a good piece; it can never pass a bad one either, since the tail is hashed from the buffer.
 */
import { hasSyncHash, sha1Stream } from '#platform/sha';
import type { Sha1Stream } from '#platform/sha';
import type { VerifiableTorrent } from '../piece-hash.js';

interface Running {
  readonly hash: Sha1Stream;
  fed: number;
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
   * A block of piece `i` at `begin` was stored (`data`: its bytes, read during the call only). A running
   * hash starts at the piece's first block when `critical` (the piece's deadline has fallen due).
   */
  block(i: number, begin: number, data: Uint8Array, critical: boolean): void {
    let r = this.#open.get(i);
    if (r === undefined) {
      if (!critical || begin !== 0 || !this.#usable || this.#open.size >= this.max) return;
      r = { hash: sha1Stream(), fed: 0 };
      this.#open.set(i, r);
    }
    if (begin === r.fed) {
      r.hash.update(data);
      r.fed += data.length;
    } else if (begin < r.fed) {
      this.#open.delete(i);
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
    const got = r.hash.digest();
    if (got.length !== expect.length) return false;
    for (let k = 0; k < got.length; k++) if (got[k] !== expect[k]) return false;
    return true;
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
