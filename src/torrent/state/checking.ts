/**
 * Checking files: read each piece from storage, hash it, and report which verify.
 *
 * Invariants:
 * - At most `concurrency` pieces are in flight (read or being hashed), so memory is bounded by
 *   concurrency × pieceLength whatever the torrent's size.
 * - A piece is reported good only after its bytes matched the torrent's hash (nothing unverified is
 *   marked complete); a piece that fails is simply reported bad (libtorrent does not post hash_failed
 *   for pieces that were never downloaded).
 * - Abort (remove, pause, close, recheck) stops issuing work at once and rejects with `aborted` once the
 *   pieces in flight have settled, so no storage read outlives the job.
 * - The first storage error stops the job and rejects with that error (the torrent then goes to its
 *   error state); results already reported stay valid.
 *
 * Which pieces to read (libtorrent's rule too): where the storage can `stat` its files, a piece that has
 * stored bytes in a file that is missing, or that ends before those bytes, is not read or hashed. Those
 * bytes read as zeroes, not as anything downloaded, so the piece is treated as missing without a look
 * (it is downloaded; a piece whose true content is zeroes is downloaded too, which also creates its file).
 * This only ever leaves pieces unmarked, so nothing unverified becomes complete. A fresh download thus
 * checks in one stat per file instead of reading and scanning every piece.
 */
import { TorrentError } from '../../errors.js';
import type { TorrentLayout } from '../../interfaces/storage.js';

/** What a check job needs. */
export interface CheckJob {
  /** Pieces to check, in order. */
  readonly pieces: readonly number[] | Iterable<number>;
  /** Pieces in flight at once (≥ 1). */
  readonly concurrency: number;
  readonly signal: AbortSignal;
  /** Reads the whole piece. */
  read(piece: number): Promise<Uint8Array>;
  /** Verifies the piece's bytes. */
  verify(piece: number, data: Uint8Array): Promise<boolean>;
  /** Called once per piece checked, in completion order. */
  onResult(piece: number, ok: boolean): void;
}

/** Thrown when a check job is aborted. */
export function abortedError(): TorrentError {
  return new TorrentError('aborted', 'checking was aborted');
}

/** Runs a check job; resolves when every piece was checked. */
export async function runCheck(job: CheckJob): Promise<void> {
  if (job.signal.aborted) throw abortedError();
  const it = job.pieces[Symbol.iterator]();
  let failure: unknown;
  const stop = (): boolean => failure !== undefined || job.signal.aborted;

  const lane = async (): Promise<void> => {
    for (;;) {
      if (stop()) return;
      const next = it.next();
      if (next.done) return;
      const piece = next.value;
      try {
        const data = await job.read(piece);
        if (stop()) return;
        const ok = await job.verify(piece, data);
        if (stop()) return;
        job.onResult(piece, ok);
      } catch (err) {
        if (failure === undefined) failure = err;
        return;
      }
    }
  };

  const lanes: Promise<void>[] = [];
  for (let i = 0; i < Math.max(1, job.concurrency); i++) lanes.push(lane());
  await Promise.all(lanes);
  if (failure !== undefined) {
    if (job.signal.aborted) throw abortedError();
    throw failure;
  }
  if (job.signal.aborted) throw abortedError();
}

/** One file's size as {@link TorrentStorage.stat} reports it (`undefined`: the file does not exist). */
export type FileSize = { readonly length: number } | undefined;

/**
 * Marks the pieces that cannot verify because some of their stored bytes lie in a missing file or past a
 * file's end (see the module note). Pad files (never stored) and empty files are ignored. Returns one
 * flag per piece (1: cannot verify), or `undefined` when `stats` does not match the layout's files (then
 * check everything). O(files + pieces).
 */
export function unreadablePieces(layout: Pick<TorrentLayout, 'files' | 'pieceLength' | 'pieceCount'>, stats: readonly FileSize[]): Uint8Array | undefined {
  if (stats.length !== layout.files.length) return undefined;
  const out = new Uint8Array(layout.pieceCount);
  const pl = layout.pieceLength;
  for (let i = 0; i < layout.files.length; i++) {
    const f = layout.files[i]!;
    if (f.pad === true || f.length === 0) continue;
    const have = Math.max(0, Math.min(f.length, stats[i]?.length ?? 0));
    if (have === f.length) continue;
    // Bytes [offset + have, offset + length) are absent: every piece holding one of them cannot verify.
    const first = Math.floor((f.offset + have) / pl);
    const last = Math.min(layout.pieceCount - 1, Math.floor((f.offset + f.length - 1) / pl));
    out.fill(1, first, last + 1);
  }
  return out;
}
