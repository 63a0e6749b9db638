/**
 * Verifying one piece's bytes against the torrent's hashes.
 *
 * - v1 (and the v1 half of hybrid): SHA-1 of the whole piece, pad-file bytes included (they are zeroes),
 *   compared with the `pieces` entry.
 * - v2 (and the v2 half of hybrid), BEP 52: a piece never spans files. Its hash is the merkle root over
 *   SHA-256 of each 16 KiB block of the file's bytes in that piece, the leaf row padded with zero hashes
 *   to pieceLength / 16 KiB leaves, compared with entry k of the file's piece layer. A file of at most
 *   one piece has no layer: its only piece hashes to the file's `pieces root`, a tree of
 *   nextPow2(blocks) leaves.
 * - Hybrid torrents must pass both checks (libtorrent treats a disagreement as corruption).
 * - Both hashes come from one hash-pool job per piece (Node: one worker round trip; the merkle tree is
 *   built in the worker from the block hashes).
 *
 * Pad files (BEP 47, and the implicit pads of pure v2 layouts) only ever follow a file's last piece, so
 * a piece starts inside the one file its v2 hash covers.
 */
import { lastFileAt } from '../metainfo/lengths.js';
import { MERKLE_BLOCK, HASH_LEN, nextPow2 } from '../metainfo/merkle-geometry.js';
import type { PieceJob, PieceJobResult } from '../platform/hash-jobs.js';
import { hasSyncHash, sha1Sync } from '#platform/sha';
import { bytesEqual } from '../bytes.js';

/** What verification needs of a torrent (TorrentInfo satisfies it). */
export interface VerifiableTorrent {
  readonly pieceLength: number;
  readonly pieceCount: number;
  readonly metaVersion: 'v1' | 'v2' | 'hybrid';
  readonly files: readonly { readonly offset: number; readonly length: number; readonly pad: boolean; readonly piecesRoot?: Uint8Array }[];
  pieceSize(i: number): number;
  pieceHash(i: number): Uint8Array | undefined;
  pieceLayer(file: number): Uint8Array | undefined;
}

/** The hashing a verifier needs (a HashPool satisfies it). Job bytes may be transferred (detached). */
export interface PieceHasher {
  hashPieces(job: PieceJob): Promise<PieceJobResult>;
  /**
   * True when `bytes` segments given with `transfer` on a SharedArrayBuffer are hashed in place (no copy,
   * nothing detached); the caller keeps the bytes unchanged until the job settles.
   */
  readonly sharedMemory?: boolean;
}

/** Where piece `i`'s v2 data lies: the file, the piece's index within it and the file bytes it holds. */
export interface V2Span {
  readonly file: number;
  readonly pieceInFile: number;
  readonly length: number;
}

/** Locates the file a v2 piece hashes (binary search over file offsets). */
export function v2Span(t: VerifiableTorrent, piece: number): V2Span | undefined {
  const start = piece * t.pieceLength;
  const files = t.files;
  const lo = lastFileAt(files, start);
  // Skip empty files sharing the offset.
  for (let f = lo; f < files.length; f++) {
    const file = files[f]!;
    if (file.offset > start) break;
    if (file.length === 0 || file.pad || file.offset + file.length <= start) continue;
    const within = start - file.offset;
    return { file: f, pieceInFile: within / t.pieceLength, length: Math.min(t.pieceLength, file.length - within) };
  }
  return undefined;
}

/** Whether every byte of `data` is zero (stops at the first non-zero word, so real data costs ~nothing). */
export function isAllZero(data: Uint8Array): boolean {
  const n = data.length;
  let i = 0;
  if ((data.byteOffset & 3) === 0) {
    const words = new Uint32Array(data.buffer, data.byteOffset, n >>> 2);
    for (let w = 0; w < words.length; w++) if (words[w] !== 0) return false;
    i = words.length << 2;
  }
  for (; i < n; i++) if (data[i] !== 0) return false;
  return true;
}

/**
 * Checks piece data against a torrent's v1 and/or v2 hashes, one hashing job per piece.
 *
 * An all-zero piece (what checking reads from files not yet written: sparse holes, missing files) is
 * not hashed again and again: the hashes of a zero piece are computed once per shape (size and v2
 * layout) with a `zeros` job and compared, so checking a fresh download costs reads and scans, not
 * a gigabyte of hashing. The result is the same as hashing the bytes.
 */
export class PieceVerifier {
  readonly #zeroHashes = new Map<string, Promise<PieceJobResult>>();

  constructor(
    private readonly t: VerifiableTorrent,
    private readonly hasher: PieceHasher,
  ) {}

  /**
   * The same check as {@link PieceVerifier.verify}, done at once on this thread, where that is possible: a
   * v1 torrent on a platform with synchronous SHA-1 (Node: ~1.5 ms per MiB). Used for time-critical
   * pieces, where a worker round trip costs more than the hash. Undefined: not possible here, use verify.
   */
  verifyNow(i: number, data: Uint8Array): boolean | undefined {
    if (!hasSyncHash || this.t.metaVersion !== 'v1') return undefined;
    const expect = this.t.pieceHash(i);
    return expect !== undefined && data.length === this.t.pieceSize(i) && bytesEqual(sha1Sync(data), expect);
  }

  /**
   * Whether `data` (exactly the piece's bytes) matches every hash the torrent has for piece `i`.
   * `data` is handed to the hasher; with `transfer` its buffer may move to a worker (detached here),
   * which saves a copy when the caller no longer needs the bytes, or, for SharedArrayBuffer-backed data
   * and a hasher with `sharedMemory`, is hashed in place (left attached; do not change it meanwhile).
   */
  async verify(i: number, data: Uint8Array, transfer = false): Promise<boolean> {
    if (data.length !== this.t.pieceSize(i)) return false;
    const v = this.t.metaVersion;
    const wantV1 = v !== 'v2';
    let expectV1: Uint8Array | undefined;
    if (wantV1) {
      expectV1 = this.t.pieceHash(i);
      if (!expectV1) return false;
    }
    let expectV2: Uint8Array | undefined;
    let v2Length = 0;
    let v2Leaves = 0;
    if (v !== 'v1') {
      const span = v2Span(this.t, i);
      if (!span) return false;
      const file = this.t.files[span.file]!;
      const blocks = Math.ceil(span.length / MERKLE_BLOCK);
      if (file.length <= this.t.pieceLength) {
        expectV2 = file.piecesRoot;
        v2Leaves = nextPow2(blocks);
      } else {
        const layer = this.t.pieceLayer(span.file);
        if (layer && layer.length >= (span.pieceInFile + 1) * HASH_LEN) {
          expectV2 = layer.subarray(span.pieceInFile * HASH_LEN, (span.pieceInFile + 1) * HASH_LEN);
        }
        v2Leaves = this.t.pieceLength / MERKLE_BLOCK;
      }
      if (!expectV2) return false;
      v2Length = span.length;
    }
    let result: PieceJobResult;
    if (isAllZero(data)) {
      const key = `${data.length}/${wantV1 ? 1 : 0}/${v2Length}/${v2Leaves}`;
      let z = this.#zeroHashes.get(key);
      if (z === undefined) {
        z = this.hasher.hashPieces({ pieceLength: this.t.pieceLength, segments: [{ kind: 'zeros', length: data.length }], v1: wantV1, v2Length, v2Leaves });
        this.#zeroHashes.set(key, z);
        z.catch(() => this.#zeroHashes.delete(key));
      }
      result = await z;
    } else {
      result = await this.hasher.hashPieces({
        pieceLength: this.t.pieceLength,
        segments: [{ kind: 'bytes', bytes: data, transfer }],
        v1: wantV1,
        v2Length,
        v2Leaves,
      });
    }
    if (expectV1 && !(result.v1 && bytesEqual(result.v1, expectV1))) return false;
    if (expectV2 && !(result.v2 && bytesEqual(result.v2, expectV2))) return false;
    return true;
  }
}
