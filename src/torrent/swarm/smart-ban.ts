/**
 * Smart ban (HOSTILE-INPUTS case 19, after libtorrent's smart_ban plugin). When a downloaded piece fails
 * its hash check we keep, per block, a SHA-1 of the bad bytes and the host that sent them (not the
 * bytes). When the piece later passes, each remembered block is compared with the good data: the hosts
 * whose block hashes differ sent corrupt data and are banned; hosts whose blocks match were honest and
 * are left alone. A failed piece whose every block came from one host is that host's fault at once (the
 * swarm bans it without waiting). Records are bounded (oldest dropped beyond `maxPieces`).
 */
import { BLOCK_SIZE } from '../../metainfo/lengths.js';
import type { PieceHasher } from '../piece-hash.js';

/** Who sent which block of one failed attempt, and what it hashed to. */
interface Attempt {
  readonly hosts: readonly (string | undefined)[];
  readonly hashes: Uint8Array;
}

/** SHA-1 of every 16 KiB block of `data`, concatenated, from one hash-pool job. */
export async function blockHashes(hasher: PieceHasher, data: Uint8Array): Promise<Uint8Array> {
  const r = await hasher.hashPieces({ pieceLength: BLOCK_SIZE, segments: [{ kind: 'bytes', bytes: data }], v1: true, v2Length: 0, v2Leaves: 0 });
  return r.v1 ?? new Uint8Array(0);
}

/** Failed attempts per piece, and the verdict once a piece passes. */
export class SmartBan {
  readonly #attempts = new Map<number, Attempt[]>();

  constructor(private readonly hasher: PieceHasher, private readonly maxPieces = 256) {}

  /** Whether piece `i` has failed attempts on record. */
  has(i: number): boolean {
    return this.#attempts.has(i);
  }

  /** Records a failed attempt of piece `i`: `hosts[b]` sent block b of `data` (undefined: unknown). */
  async recordFailure(i: number, data: Uint8Array, hosts: readonly (string | undefined)[]): Promise<void> {
    const hashes = await blockHashes(this.hasher, data);
    let list = this.#attempts.get(i);
    if (!list) {
      if (this.#attempts.size >= this.maxPieces) {
        const [oldest] = this.#attempts.keys();
        this.#attempts.delete(oldest!);
      }
      list = [];
      this.#attempts.set(i, list);
    }
    list.push({ hosts, hashes });
  }

  /**
   * Piece `i` passed with `good` bytes: returns the hosts that sent blocks differing from them (to ban),
   * and forgets the piece.
   */
  async verdict(i: number, good: Uint8Array): Promise<Set<string>> {
    const list = this.#attempts.get(i);
    this.#attempts.delete(i);
    const bad = new Set<string>();
    if (!list) return bad;
    const ok = await blockHashes(this.hasher, good);
    for (const a of list) {
      for (let b = 0; b < a.hosts.length; b++) {
        const host = a.hosts[b];
        if (host === undefined) continue;
        for (let k = 0; k < 20; k++) {
          if (a.hashes[b * 20 + k] !== ok[b * 20 + k]) {
            bad.add(host);
            break;
          }
        }
      }
    }
    return bad;
  }

  /** Forgets everything. */
  clear(): void {
    this.#attempts.clear();
  }
}
