/**
 * Browser hash pool: WebCrypto (SubtleCrypto.digest). Same API as the Node pool. A digest is not free for
 * the calling thread: headless Chromium 156 here computes it within the call (1 MiB of SHA-1: ~1.1 ms
 * before the call returns; a plain 1 MiB copy takes ~0.6 ms), so a piece is hashed from the caller's bytes
 * with no copy of ours (see singleBytes). Nothing is transferred or detached here. `hashPieces` reads Blob
 * slices (File, Blob) one job at a time, so memory stays at about one job's bytes per outstanding call.
 */
import { TorrentError } from '../errors.js';
import type { HashPool, HashPoolOptions, JobSegment, PieceJob, PieceJobResult } from './hash-jobs.js';

export type { HashPool, HashPoolOptions, JobSegment, PieceJob, PieceJobResult } from './hash-jobs.js';

const BLOCK = 16384;

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new TorrentError('not_supported', 'WebCrypto (crypto.subtle) is not available: a secure context (https or localhost) is required');
  return s;
}

async function digest(algo: 'SHA-1' | 'SHA-256', data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest(algo, data as Uint8Array<ArrayBuffer>));
}

/** Root of a complete tree over `count` (a power of two) 32-byte leaves. */
async function merkle(leaves: Uint8Array, count: number): Promise<Uint8Array> {
  let layer = leaves;
  for (let n = count; n > 1; n >>= 1) {
    const parents = await Promise.all(Array.from({ length: n >> 1 }, (_, i) => digest('SHA-256', layer.subarray(64 * i, 64 * i + 64))));
    const next = new Uint8Array((n >> 1) * 32);
    parents.forEach((h, i) => next.set(h, 32 * i));
    layer = next;
  }
  return layer.slice(0, 32);
}

async function readSegment(s: JobSegment, out: Uint8Array, at: number): Promise<number> {
  switch (s.kind) {
    case 'bytes':
      out.set(s.bytes, at);
      return s.bytes.byteLength;
    case 'zeros':
      return s.length; // `out` is freshly zeroed
    case 'blob': {
      const part = new Uint8Array(await s.blob.slice(s.offset, s.offset + s.length).arrayBuffer());
      if (part.byteLength !== s.length) throw new TorrentError('create_io_error', 'blob is shorter than when it was added');
      out.set(part, at);
      return s.length;
    }
    case 'path':
      throw new TorrentError('not_supported', 'file paths cannot be read in the browser; add a File or Blob');
  }
}

/**
 * The bytes of a job of one `bytes` segment (a downloaded piece being verified), else undefined. Such a
 * job is hashed from the caller's view as it is: SubtleCrypto.digest copies its input when it is called,
 * and every digest of a job is called before its first await. Copying the piece into a fresh buffer
 * first cost an allocation, its first touch and a copy per piece: 0.7 s of the page's main thread per
 * 256 MiB downloaded, in a profile of the WebRTC bench.
 */
function singleBytes(segments: readonly JobSegment[]): Uint8Array | undefined {
  const only = segments.length === 1 ? segments[0] : undefined;
  return only?.kind === 'bytes' ? only.bytes : undefined;
}

/** A job's segments copied into one fresh array (Blob slices read on the way). */
async function copyJob(segments: readonly JobSegment[]): Promise<Uint8Array> {
  let total = 0;
  for (const s of segments) total += s.kind === 'bytes' ? s.bytes.byteLength : s.length;
  const buf = new Uint8Array(total);
  let at = 0;
  for (const s of segments) at += await readSegment(s, buf, at);
  return buf;
}

class WebCryptoHashPool implements HashPool {
  readonly size = 1;
  readonly sharedMemory = false;
  private closed = false;

  sha1(data: Uint8Array): Promise<Uint8Array> {
    return this.guard(() => digest('SHA-1', data));
  }

  sha256(data: Uint8Array): Promise<Uint8Array> {
    return this.guard(() => digest('SHA-256', data));
  }

  sha256Blocks(data: Uint8Array): Promise<Uint8Array> {
    return this.guard(async () => {
      const n = Math.ceil(data.byteLength / BLOCK);
      const hashes = await Promise.all(Array.from({ length: n }, (_, i) => digest('SHA-256', data.subarray(i * BLOCK, (i + 1) * BLOCK))));
      const out = new Uint8Array(n * 32);
      hashes.forEach((h, i) => out.set(h, 32 * i));
      return out;
    });
  }

  hashPieces(job: PieceJob): Promise<PieceJobResult> {
    return this.guard(async () => {
      const buf = singleBytes(job.segments) ?? (await copyJob(job.segments));
      const total = buf.byteLength;
      const pl = job.pieceLength;
      const v1Count = job.v1 ? Math.ceil(total / pl) : 0;
      const v2Count = Math.ceil(job.v2Length / pl);
      const [v1Hashes, v2Roots] = await Promise.all([
        Promise.all(Array.from({ length: v1Count }, (_, i) => digest('SHA-1', buf.subarray(i * pl, Math.min(total, (i + 1) * pl))))),
        Promise.all(Array.from({ length: v2Count }, async (_, i) => {
          const end = Math.min(job.v2Length, (i + 1) * pl);
          const leaves = new Uint8Array(job.v2Leaves * 32);
          const blocks = await this.sha256Blocks(buf.subarray(i * pl, end));
          leaves.set(blocks);
          return merkle(leaves, job.v2Leaves);
        })),
      ]);
      const result: { v1?: Uint8Array; v2?: Uint8Array } = {};
      if (job.v1) {
        result.v1 = new Uint8Array(v1Count * 20);
        v1Hashes.forEach((h, i) => result.v1!.set(h, 20 * i));
      }
      if (v2Count > 0) {
        result.v2 = new Uint8Array(v2Count * 32);
        v2Roots.forEach((h, i) => result.v2!.set(h, 32 * i));
      }
      return result;
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private guard<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new TorrentError('aborted', 'hash pool closed'));
    return fn();
  }
}

/** Creates the WebCrypto hash pool (the browser's half of `#platform/hash-pool`). */
export function createHashPool(_opts: HashPoolOptions = {}): HashPool {
  return new WebCryptoHashPool();
}
