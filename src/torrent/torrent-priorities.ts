/**
 * A torrent's file / piece priorities and piece deadlines as users set them (TorrentHandle's
 * prioritize_* / *_priority / set_piece_deadline): argument checks, then the change is applied to the
 * torrent's {@link Priorities} and reported back so the torrent can settle its state and the swarm can
 * re-read them. Every call needs the metadata (`metadata_not_available` before it).
 */
import { TorrentError } from '../errors.js';
import { checkIndex, checkPriority, priorityVector } from './priorities.js';
import type { Priorities } from './priorities.js';
import type { TorrentMeta } from './torrent-types.js';

/** What {@link TorrentPriorityControl} needs from its torrent. */
export interface PriorityOwner {
  /** The metadata and the priorities built from it; throws `metadata_not_available` before metadata. */
  pieces(): { meta: TorrentMeta; prio: Priorities };
  /** Priorities changed: the torrent's wanted set may differ (settle, then tell the swarm). */
  prioritiesChanged(): void;
  /** Only deadlines changed: the swarm re-reads them. */
  deadlinesChanged(): void;
}

/** Priority and deadline commands of one torrent. */
export class TorrentPriorityControl {
  /** Piece → deadline (ms on Date.now()'s clock), read by the swarm's picker. */
  readonly deadlines = new Map<number, number>();

  constructor(private readonly owner: PriorityOwner) {}

  /** File priorities (a copy). */
  filePriorities(): number[] {
    return [...this.owner.pieces().prio.files];
  }

  /** Sets every file's priority (missing entries default to 4) and derives piece priorities. */
  prioritizeFiles(list: readonly number[]): void {
    const { meta, prio } = this.owner.pieces();
    prio.setFiles(priorityVector(list, meta.files.length, 'file'));
    this.owner.prioritiesChanged();
  }

  /** Gets or sets one file's priority. */
  filePriority(i: number, p?: number): number {
    const { meta, prio } = this.owner.pieces();
    checkIndex(i, meta.files.length, 'file');
    if (p === undefined) return prio.files[i]!;
    const next = Uint8Array.from(prio.files);
    next[i] = checkPriority(p, `file ${i}`);
    prio.setFiles(next);
    this.owner.prioritiesChanged();
    return p;
  }

  /** Piece priorities (a copy). */
  piecePriorities(): number[] {
    return [...this.owner.pieces().prio.pieces];
  }

  /** Sets piece priorities: a full list (missing entries 4) or `[piece, priority]` pairs. */
  prioritizePieces(list: readonly number[] | readonly (readonly [number, number])[]): void {
    const { meta, prio } = this.owner.pieces();
    if (list.length > 0 && Array.isArray(list[0])) {
      const pairs = list as readonly (readonly [number, number])[];
      for (const [i, p] of pairs) { checkIndex(i, meta.pieceCount, 'piece'); checkPriority(p, `piece ${i}`); }
      for (const [i, p] of pairs) prio.setPiece(i, p);
    } else {
      priorityVector(list as readonly number[], meta.pieceCount, 'piece').forEach((p, i) => prio.setPiece(i, p));
    }
    this.owner.prioritiesChanged();
  }

  /** Gets or sets one piece's priority. */
  piecePriority(i: number, p?: number): number {
    const { meta, prio } = this.owner.pieces();
    checkIndex(i, meta.pieceCount, 'piece');
    if (p === undefined) return prio.pieces[i]!;
    prio.setPiece(i, p);
    this.owner.prioritiesChanged();
    return p;
  }

  /** Records a deadline for a piece (the picker fetches it first). */
  setPieceDeadline(piece: number, ms: number): void {
    checkIndex(piece, this.owner.pieces().meta.pieceCount, 'piece');
    if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0) throw new TorrentError('invalid_argument', `deadline must be a non-negative integer of ms, got ${String(ms)}`);
    this.deadlines.set(piece, Date.now() + ms);
    this.owner.deadlinesChanged();
  }

  /** Removes a piece's deadline. */
  resetPieceDeadline(piece: number): void {
    checkIndex(piece, this.owner.pieces().meta.pieceCount, 'piece');
    this.deadlines.delete(piece);
    this.owner.deadlinesChanged();
  }

  /** Removes every piece deadline. */
  clearPieceDeadlines(): void {
    this.deadlines.clear();
    this.owner.deadlinesChanged();
  }
}
