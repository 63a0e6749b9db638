/**
 * Block bookkeeping for pieces being downloaded (state `partial` or `verifying`).
 *
 * Blocks are integers `piece * blocksPerPiece + block`. Two flat typed arrays cover the whole torrent:
 * `reqs[k]` counts outstanding requests for block k across all peers, `done[k]` is 1 once its data arrived.
 * A {@link DownloadingPiece} record exists only while a piece is partial or verifying and holds the counters
 * that keep picking O(blocks taken): `free` = blocks neither received nor requested, `received`, a hint to
 * the first possibly-free block, and which peer delivered each block (for smart ban after a hash failure).
 */

/** Per-piece record while a piece is partial or verifying. */
export interface DownloadingPiece {
  /** Blocks in this piece (the last piece may have fewer). */
  readonly blocks: number;
  /** Blocks neither received nor requested. */
  free: number;
  /** Blocks received. */
  received: number;
  /** No free block has an index below this. */
  hint: number;
  /** Peer id that delivered each block, -1 while missing. */
  readonly peers: Int32Array;
}

/** Creates the record for a piece with `blocks` blocks, all free. */
export function newDownloadingPiece(blocks: number): DownloadingPiece {
  return { blocks, free: blocks, received: 0, hint: 0, peers: new Int32Array(blocks).fill(-1) };
}

/** Distinct peer ids in a record's `peers`, in first-seen order. */
export function contributorsOf(peers: Int32Array): number[] {
  const seen = new Set<number>();
  for (const p of peers) if (p >= 0) seen.add(p);
  return [...seen];
}
