/**
 * Piece-hashing jobs shared by both hash pools and CreateTorrent (runtime-neutral types only).
 *
 * A job is a run of whole pieces: its bytes are the concatenation of its segments, starting on a
 * piece boundary. In Node the worker that runs a job reads `path` segments itself, so file data never
 * crosses the main thread; the browser pool reads `blob` slices. Invariants the planner keeps:
 * - every piece of the job except possibly the last is exactly `pieceLength` bytes;
 * - when `v2Length > 0`, the first `v2Length` bytes are one file's data starting on a piece boundary
 *   of that file (BEP 52 pieces never span files); bytes after it (hybrid pad zeros) are v1-only.
 */

/** One contiguous source range of a {@link PieceJob}. */
export type JobSegment =
  /** `length` bytes of the file at `path` from byte `offset` (Node only). */
  | { readonly kind: 'path'; readonly path: string; readonly offset: number; readonly length: number }
  /** `length` bytes of `blob` from byte `offset`. */
  | { readonly kind: 'blob'; readonly blob: Blob; readonly offset: number; readonly length: number }
  /**
   * The bytes themselves (a view of exactly the range). Node copies them to the worker, unless
   * `transfer` is set and the view spans its whole ArrayBuffer: then the buffer moves (is detached).
   */
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array; readonly transfer?: boolean }
  /** `length` zero bytes (BEP 47 pad files). */
  | { readonly kind: 'zeros'; readonly length: number };

/** A run of whole pieces to hash. */
export interface PieceJob {
  /** Bytes per piece. */
  readonly pieceLength: number;
  /** The job's bytes, in order. */
  readonly segments: readonly JobSegment[];
  /** SHA-1 every `pieceLength` bytes of the whole job (the last piece may be short). */
  readonly v1: boolean;
  /** Bytes at the start of the job that are one file's v2 data (0 = no v2 hashing). */
  readonly v2Length: number;
  /** Merkle leaves per v2 piece: pieceLength / 16 KiB, or the next power of two of the block count for files smaller than a piece. */
  readonly v2Leaves: number;
}

/** What a {@link PieceJob} produced. */
export interface PieceJobResult {
  /** Concatenated 20-byte SHA-1 piece hashes, when `v1` was asked for. */
  readonly v1?: Uint8Array;
  /** Concatenated 32-byte BEP 52 piece-layer hashes (per-piece merkle roots), when `v2Length > 0`. */
  readonly v2?: Uint8Array;
}

/**
 * A pool of hashing threads (Node: worker_threads) or a WebCrypto front (browser); the same API in both,
 * declared once here so the two `#platform/hash-pool` implementations cannot drift apart.
 */
export interface HashPool {
  /** SHA-1 of `data`. In Node the buffer is transferred: a Uint8Array spanning its whole ArrayBuffer is detached. */
  sha1(data: Uint8Array): Promise<Uint8Array>;
  /** SHA-256 of `data`; transfer rules as {@link HashPool.sha1}. */
  sha256(data: Uint8Array): Promise<Uint8Array>;
  /** Concatenated SHA-256 of each 16 KiB block of `data` (BEP 52 leaves); the last block may be short. */
  sha256Blocks(data: Uint8Array): Promise<Uint8Array>;
  /** Hashes a run of pieces (see {@link PieceJob}); in Node the worker reads `path` segments itself. */
  hashPieces(job: PieceJob): Promise<PieceJobResult>;
  /** Number of threads hashing in parallel (1 in the browser, where WebCrypto schedules the work). */
  readonly size: number;
  /**
   * Whether `bytes` job segments given with `transfer` on a SharedArrayBuffer are hashed in place, without
   * a copy (Node: true; browser: false, WebCrypto does not take shared memory). Where false, callers
   * should not allocate shared memory for hashing.
   */
  readonly sharedMemory?: boolean;
  /** Stops the workers; queued and later calls reject with `aborted`. */
  close(): Promise<void>;
}

/** Options of `createHashPool` (from `#platform/hash-pool`). */
export interface HashPoolOptions {
  /** Worker threads; default os.availableParallelism(). Ignored in the browser (WebCrypto schedules its own work). */
  threads?: number;
  /**
   * Most calls waiting for a worker; beyond it calls reject with `hash_queue_full`. Default 1024 per
   * thread. Ignored in the browser.
   */
  maxQueue?: number;
}

/** Total bytes of a segment. */
export function segmentLength(s: JobSegment): number {
  return s.kind === 'bytes' ? s.bytes.byteLength : s.length;
}

/** Total bytes of a job. */
export function jobLength(job: PieceJob): number {
  let n = 0;
  for (const s of job.segments) n += segmentLength(s);
  return n;
}
