/**
 * Types of the piece picker's API (./piece-picker.ts re-exports them): geometry, options, the view of the
 * peer being picked for, and the results of block arrival and hash failure. See PICKER.md.
 */
import type { Lengths } from '../metainfo/lengths.js';

/** Piece geometry the picker needs; {@link Lengths} from src/metainfo/lengths.ts provides it. */
export type PickerGeometry = Pick<Lengths, 'pieceCount' | 'blocksPerPiece' | 'blocksInPiece' | 'blockSize'>;

/** A piece's state. `verifying`: every block arrived, hash check pending. */
export type PieceState = 'none' | 'partial' | 'verifying' | 'have';

/** Options for {@link PiecePicker}. */
export interface PiecePickerOptions {
  /** Random source in [0, 1) for tie-breaks (tests pass a seeded one). Default Math.random. */
  random?: () => number;
  /** Start in sequential mode. Default false. */
  sequential?: boolean;
  /** Priority every piece starts with, 0..7. Default 4 (libtorrent's default_priority). */
  defaultPriority?: number;
  /** Endgame: most outstanding requests for one block across peers. Default 2. */
  endgameMaxRequestsPerBlock?: number;
}

/** What the picker needs to know about the peer it picks for. */
export interface PickPeer {
  /** The peer's pieces (MSB first); ignored when `seed`. */
  readonly bitfield: Uint8Array | null;
  /** The peer has every piece (have-all, or a complete bitfield). */
  readonly seed: boolean;
  /** Whether this peer already has a request out for `block`; needed for endgame and late-block duplicates. */
  isRequesting?(block: number): boolean;
  /** When set (the peer chokes us but allows these pieces, BEP 6), only these pieces are picked. */
  readonly allowedFast?: readonly number[];
  /** Whether this peer may take time-critical (deadline) pieces. Default true. */
  readonly timeCritical?: boolean;
  /**
   * The caller's clock (ms, the deadlines' clock). With it, time-critical pieces whose deadline has passed
   * are urgent: while one the peer has is not fully received, the peer gets blocks of urgent pieces only
   * (see PICKER.md). Without it no piece is urgent.
   */
  readonly now?: number;
}

/** Result of {@link PiecePicker.blockReceived}. */
export interface BlockReceipt {
  /** False for a block already received, or of a piece we have / are verifying: discard the data. */
  readonly accepted: boolean;
  /** True when this block completed the piece: hash it, then call pieceVerified or pieceFailed. */
  readonly pieceComplete: boolean;
}

/** Result of {@link PiecePicker.pieceFailed}: who sent the data, for smart ban in the layer above. */
export interface PieceFailure {
  /** Distinct peer ids that delivered blocks of the piece. */
  readonly contributors: number[];
  /** Peer id per block of the piece (-1 for none). */
  readonly blockPeers: Int32Array;
}
