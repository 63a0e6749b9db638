/**
 * Splits the hashing of a laid-out torrent into {@link PieceJob}s of whole pieces.
 *
 * - v1: the torrent's byte space is cut into runs of pieces; a run may span files and pad files.
 * - v2 / hybrid: pieces never span files (pad files align every file to a piece), so jobs run per file.
 *   A hybrid job also SHA-1s the same bytes for the v1 piece list, with the pad file's zeros appended
 *   to the file's last piece.
 * Jobs are about {@link JOB_BYTES} so a worker reads and hashes megabytes per message (few round trips,
 * large reads), yet a torrent still splits into many jobs that keep every core busy.
 */
import type { JobSegment, PieceJob } from '../platform/hash-jobs.js';
import { BLOCK_SIZE } from './create-files.js';
import type { LaidOutFile } from './create-files.js';

/** Target bytes per job. */
export const JOB_BYTES = 8 * 1024 * 1024;

/** A job and where its hashes go. */
export interface PlannedJob {
  readonly job: PieceJob;
  /** Index of the job's first v1 piece in the torrent. */
  readonly v1First: number;
  /** Index of the file (in the laid-out list) whose v2 pieces the job hashes; -1 for v1-only jobs. */
  readonly file: number;
  /** Index of the job's first v2 piece within that file. */
  readonly v2First: number;
  /** Pieces the job covers (for progress). */
  readonly pieces: number;
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** Pieces of one file under BEP 52 (0 for an empty file). */
export function filePieces(length: number, pieceLength: number): number {
  return Math.ceil(length / pieceLength);
}

/** The `length` bytes of `f` from `offset`, as a job segment. */
function segmentOf(f: LaidOutFile, offset: number, length: number): JobSegment {
  const s = f.source;
  if (!s || f.pad) return { kind: 'zeros', length };
  switch (s.kind) {
    case 'path':
      return { kind: 'path', path: s.path, offset, length };
    case 'blob':
      return { kind: 'blob', blob: s.blob, offset, length };
    case 'bytes':
      return { kind: 'bytes', bytes: s.bytes.subarray(offset, offset + length) };
  }
}

/** Jobs for a v1-only torrent: runs of pieces over the whole byte space. */
export function* planV1(files: readonly LaidOutFile[], totalLength: number, pieceLength: number, jobBytes = JOB_BYTES): Generator<PlannedJob> {
  const per = Math.max(1, Math.floor(jobBytes / pieceLength));
  const pieceCount = Math.ceil(totalLength / pieceLength);
  let fi = 0;
  for (let p0 = 0; p0 < pieceCount; p0 += per) {
    const p1 = Math.min(pieceCount, p0 + per);
    const start = p0 * pieceLength;
    const end = Math.min(totalLength, p1 * pieceLength);
    const segments: JobSegment[] = [];
    while (fi < files.length && files[fi]!.offset + files[fi]!.length <= start) fi++;
    for (let i = fi; i < files.length; i++) {
      const f = files[i]!;
      if (f.offset >= end) break;
      if (f.length === 0) continue;
      const a = Math.max(start, f.offset);
      const b = Math.min(end, f.offset + f.length);
      if (b > a) segments.push(segmentOf(f, a - f.offset, b - a));
    }
    yield { job: { pieceLength, segments, v1: true, v2Length: 0, v2Leaves: 0 }, v1First: p0, file: -1, v2First: 0, pieces: p1 - p0 };
  }
}

/** Jobs for v2 and hybrid torrents: runs of pieces within each file. */
export function* planPerFile(files: readonly LaidOutFile[], pieceLength: number, hybrid: boolean, jobBytes = JOB_BYTES): Generator<PlannedJob> {
  const per = Math.max(1, Math.floor(jobBytes / pieceLength));
  for (let i = 0; i < files.length; i++) {
    const f = files[i]!;
    if (f.pad || f.length === 0) continue;
    const next = files[i + 1];
    const padAfter = next?.pad ? next.length : 0;
    const count = filePieces(f.length, pieceLength);
    const leaves = f.length < pieceLength ? nextPow2(Math.ceil(f.length / BLOCK_SIZE)) : pieceLength / BLOCK_SIZE;
    for (let q0 = 0; q0 < count; q0 += per) {
      const q1 = Math.min(count, q0 + per);
      const a = q0 * pieceLength;
      const b = Math.min(f.length, q1 * pieceLength);
      const segments: JobSegment[] = [segmentOf(f, a, b - a)];
      if (hybrid && q1 === count && padAfter > 0) segments.push({ kind: 'zeros', length: padAfter });
      yield {
        job: { pieceLength, segments, v1: hybrid, v2Length: b - a, v2Leaves: leaves },
        v1First: f.offset / pieceLength + q0,
        file: i,
        v2First: q0,
        pieces: q1 - q0,
      };
    }
  }
}
