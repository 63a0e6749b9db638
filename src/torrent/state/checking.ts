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
 */
import { TorrentError } from '../../errors.js';

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
