/**
 * File priorities → piece priorities (libtorrent's rule): a piece gets the highest priority of the files it
 * overlaps, so a piece shared by a wanted and an unwanted file is still downloaded. Pad files (BEP 47) and
 * empty files do not count.
 */
import { TorrentError } from '../errors.js';
import type { Lengths } from '../metainfo/lengths.js';

/** A file's span in the torrent, as in TorrentInfo.files. */
export interface PriorityFile {
  readonly offset: number;
  readonly length: number;
  readonly pad?: boolean;
}

/** Piece priorities (0..7) from per-file priorities; O(pieces + files). */
export function piecePrioritiesFromFiles(lengths: Pick<Lengths, 'pieceCount' | 'piecesForRange'>, files: readonly PriorityFile[], filePriorities: ArrayLike<number>): Uint8Array {
  if (filePriorities.length !== files.length) {
    throw new TorrentError('invalid_argument', 'one priority per file expected', { details: { files: files.length, priorities: filePriorities.length } });
  }
  const out = new Uint8Array(lengths.pieceCount);
  for (let f = 0; f < files.length; f++) {
    const file = files[f]!;
    const prio = filePriorities[f]!;
    if (!Number.isInteger(prio) || prio < 0 || prio > 7) {
      throw new TorrentError('invalid_argument', 'priority must be an integer in 0..7', { details: { file: f, priority: prio } });
    }
    if (file.pad === true || file.length === 0 || prio === 0) continue;
    const { first, end } = lengths.piecesForRange(file.offset, file.length);
    for (let i = first; i < end; i++) if (out[i]! < prio) out[i] = prio;
  }
  return out;
}
