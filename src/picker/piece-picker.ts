/**
 * The piece picker: which blocks to request next from a peer. Pure logic, no I/O, no timers.
 * Rules and invariants are written as prose in ./PICKER.md; the short version:
 *  - pieces move none → partial → verifying → have; `have` only through {@link PiecePicker.pieceVerified}.
 *  - picking walks time-critical pieces (deadline order), then partial pieces, then fresh pieces bucketed by
 *    (priority desc, availability asc, random), or lowest index first in sequential mode; priority 0 never.
 *  - outside endgame a block has at most one outstanding request (late deadline blocks excepted);
 *    endgame (no free block left that anyone has) hands out duplicates, up to a per-block limit.
 */
import { TorrentError } from '../errors.js';
import { BLOCK_SIZE } from '../metainfo/lengths.js';
import { hasPiece } from './bits.js';
import { MAX_PRIORITY, PRIORITY_LEVELS, PieceBuckets } from './buckets.js';
import { DeadlineQueue } from './deadlines.js';
import { contributorsOf, newDownloadingPiece, type DownloadingPiece } from './downloading.js';
import type { BlockReceipt, PickPeer, PickerGeometry, PieceFailure, PiecePickerOptions, PieceState } from './picker-types.js';

export type { BlockReceipt, PickPeer, PickerGeometry, PieceFailure, PiecePickerOptions, PieceState } from './picker-types.js';

const NONE = 0;
const PARTIAL = 1;
const VERIFYING = 2;
const HAVE = 3;
const STATE_NAMES: readonly PieceState[] = ['none', 'partial', 'verifying', 'have'];

function badArg(message: string, details: Record<string, number>): never {
  throw new TorrentError('invalid_argument', message, { details });
}

/** Rarest-first piece picker with priorities, sequential mode, deadlines and endgame. See PICKER.md. */
export class PiecePicker {
  /** Number of pieces. */
  readonly pieceCount: number;
  /** Blocks in a full piece; block ids are `piece * blocksPerPiece + index`. */
  readonly blocksPerPiece: number;
  private readonly geometry: PickerGeometry;
  private readonly random: () => number;
  private readonly maxDup: number;
  private readonly state: Uint8Array;
  private readonly prio: Uint8Array;
  private readonly counts: Uint32Array;
  private seeds = 0;
  private readonly buckets: PieceBuckets;
  private readonly reqs: Uint16Array;
  private readonly done: Uint8Array;
  private readonly dl = new Map<number, DownloadingPiece>();
  private readonly open = new Set<number>();
  private readonly late = new Set<number>();
  private readonly deadlines = new DeadlineQueue();
  private sequentialMode: boolean;
  private seqCursor = 0;
  private haves = 0;

  constructor(geometry: PickerGeometry, options: PiecePickerOptions = {}) {
    this.geometry = geometry;
    this.pieceCount = geometry.pieceCount;
    this.blocksPerPiece = geometry.blocksPerPiece;
    this.random = options.random ?? Math.random;
    this.maxDup = Math.max(1, Math.min(255, options.endgameMaxRequestsPerBlock ?? 2));
    this.sequentialMode = options.sequential ?? false;
    const def = options.defaultPriority ?? 4;
    checkPriority(def);
    const n = this.pieceCount;
    this.state = new Uint8Array(n);
    this.prio = new Uint8Array(n).fill(def);
    this.counts = new Uint32Array(n);
    this.buckets = new PieceBuckets(n, this.random);
    this.reqs = new Uint16Array(n * this.blocksPerPiece);
    this.done = new Uint8Array(n * this.blocksPerPiece);
    if (def > 0) for (let i = 0; i < n; i++) this.buckets.insert(i, def, 0);
  }

  // ---- queries ---------------------------------------------------------------------------------------

  /** State of piece `i`. */
  pieceState(i: number): PieceState {
    this.checkPiece(i);
    return STATE_NAMES[this.state[i]!]!;
  }

  /** Number of peers that have piece `i` (seeds included). */
  availability(i: number): number {
    this.checkPiece(i);
    return this.counts[i]! + this.seeds;
  }

  /** Priority of piece `i` (0..7). */
  piecePriority(i: number): number {
    this.checkPiece(i);
    return this.prio[i]!;
  }

  /** Whether piece `i` is wanted: priority above 0 or a deadline (what a priority or deadline change can take away). */
  isWanted(i: number): boolean {
    return this.prio[i]! > 0 || this.deadlines.get(i) !== undefined;
  }

  /** Number of pieces we have (verified). */
  get haveCount(): number {
    return this.haves;
  }

  /** True when every piece with priority > 0 is `have`. */
  isFinished(): boolean {
    for (let i = 0; i < this.pieceCount; i++) if (this.prio[i]! > 0 && this.state[i] !== HAVE) return false;
    return true;
  }

  /** Whether sequential mode is on. */
  get sequential(): boolean {
    return this.sequentialMode;
  }

  /** Outstanding requests for `block` across all peers. */
  requestCount(block: number): number {
    this.checkBlock(block);
    return this.reqs[block]!;
  }

  /** Whether `block`'s data has arrived (and the piece has not failed since). */
  isBlockReceived(block: number): boolean {
    this.checkBlock(block);
    return this.done[block] === 1;
  }

  /** Piece, byte offset and length of `block`; the last block of the last piece may be short. */
  blockInfo(block: number): { piece: number; offset: number; length: number } {
    this.checkBlock(block);
    const piece = Math.floor(block / this.blocksPerPiece);
    const b = block - piece * this.blocksPerPiece;
    return { piece, offset: b * BLOCK_SIZE, length: this.geometry.blockSize(piece, b) };
  }

  /** The block id for a request `(piece, offset)`, or -1 when it does not start a block of that piece. */
  blockAt(piece: number, offset: number): number {
    if (!Number.isInteger(piece) || piece < 0 || piece >= this.pieceCount) return -1;
    if (!Number.isInteger(offset) || offset < 0 || offset % BLOCK_SIZE !== 0) return -1;
    const b = offset / BLOCK_SIZE;
    return b < this.geometry.blocksInPiece(piece) ? piece * this.blocksPerPiece + b : -1;
  }

  /** Pieces currently partial or verifying. */
  downloadingPieces(): number[] {
    return [...this.dl.keys()];
  }

  /** True when `peer` has a piece we still want (we should be interested). */
  isInteresting(peer: Pick<PickPeer, 'bitfield' | 'seed'>): boolean {
    for (let i = 0; i < this.pieceCount; i++) {
      if (this.prio[i]! > 0 && this.state[i]! <= PARTIAL && this.peerHas(peer, i)) return true;
    }
    return false;
  }

  /** True when no free block remains in any wanted piece that some peer has: duplicates are allowed. */
  isEndgame(): boolean {
    if (this.dl.size === 0) return false;
    for (const p of this.open) if (this.prio[p]! > 0 && this.counts[p]! + this.seeds > 0) return false;
    const startable = this.buckets.size - (this.seeds > 0 ? 0 : this.buckets.unavailable);
    return startable === 0;
  }

  // ---- availability ------------------------------------------------------------------------------------

  /** A peer announced piece `i` (have). O(1). */
  addHave(i: number): void {
    this.checkPiece(i);
    const c = ++this.counts[i]!;
    this.buckets.setAvailability(i, c);
  }

  /** A peer no longer has piece `i` (BEP 54 lt_donthave). O(1). */
  removeHave(i: number): void {
    this.checkPiece(i);
    if (this.counts[i] === 0) return;
    const c = --this.counts[i]!;
    this.buckets.setAvailability(i, c);
  }

  /** A peer's bitfield arrived (or a peer with this bitfield connected). O(pieces). */
  addBitfield(bitfield: Uint8Array): void {
    this.forEachSet(bitfield, (i) => this.addHave(i));
  }

  /** A peer with this bitfield left. O(pieces). */
  removeBitfield(bitfield: Uint8Array): void {
    this.forEachSet(bitfield, (i) => this.removeHave(i));
  }

  /** A seed (have-all) joined. O(1): seeds are counted once, not per piece. */
  addSeed(): void {
    this.seeds++;
  }

  /** A seed left. */
  removeSeed(): void {
    if (this.seeds > 0) this.seeds--;
  }

  private forEachSet(bitfield: Uint8Array, fn: (i: number) => void): void {
    const bytes = Math.min(bitfield.length, (this.pieceCount + 7) >> 3);
    for (let at = 0; at < bytes; at++) {
      const byte = bitfield[at]!;
      if (byte === 0) continue;
      for (let bit = 0; bit < 8; bit++) {
        const i = at * 8 + bit;
        if (i < this.pieceCount && (byte & (0x80 >> bit)) !== 0) fn(i);
      }
    }
  }

  // ---- priorities, sequential, deadlines -----------------------------------------------------------------

  /** Sets piece `i`'s priority (0 = do not download, 7 = highest). O(1). */
  setPiecePriority(i: number, priority: number): void {
    this.checkPiece(i);
    checkPriority(priority);
    if (this.prio[i] === priority) return;
    this.prio[i] = priority;
    if (this.state[i] === NONE) {
      this.buckets.remove(i);
      if (priority > 0) this.buckets.insert(i, priority, this.counts[i]!);
    }
  }

  /** Sets every piece's priority from `priorities` (length pieceCount). */
  setPiecePriorities(priorities: ArrayLike<number>): void {
    if (priorities.length !== this.pieceCount) badArg('priorities length differs from piece count', { length: priorities.length, pieceCount: this.pieceCount });
    for (let i = 0; i < this.pieceCount; i++) checkPriority(priorities[i]!);
    for (let i = 0; i < this.pieceCount; i++) this.setPiecePriority(i, priorities[i]!);
  }

  /** Turns sequential mode (lowest wanted index first) on or off. */
  setSequential(on: boolean): void {
    this.sequentialMode = on;
  }

  /**
   * Makes piece `i` time-critical: picked before anything else, in deadline order, by peers allowed
   * `timeCritical`. A priority-0 piece is raised to priority 1. `deadline` is in the caller's clock (ms).
   */
  setPieceDeadline(i: number, deadline: number): void {
    this.checkPiece(i);
    if (!Number.isFinite(deadline)) badArg('deadline must be finite', { piece: i });
    if (this.state[i] === HAVE) return;
    if (this.prio[i] === 0) this.setPiecePriority(i, 1);
    this.deadlines.set(i, deadline);
  }

  /** Removes piece `i`'s deadline. */
  resetPieceDeadline(i: number): void {
    this.checkPiece(i);
    this.deadlines.delete(i);
  }

  /** Removes every deadline. */
  clearDeadlines(): void {
    this.deadlines.clear();
  }

  /** Deadline of piece `i`, or undefined. */
  pieceDeadline(i: number): number | undefined {
    return this.deadlines.get(i);
  }

  /**
   * Whether some time-critical piece is urgent at `now` (its deadline has passed and not all of its blocks
   * have arrived) and held by `peer`: the request tracker then lets the peer's queue grow to its limit so
   * the whole piece is requested at once, and {@link pickBlocks} picks only urgent blocks for it.
   */
  hasUrgent(peer: Pick<PickPeer, 'bitfield' | 'seed'>, now: number): boolean {
    for (const p of this.deadlines.pieces) {
      if (this.deadlines.get(p)! > now) return false;
      if (this.state[p]! <= PARTIAL && this.prio[p]! > 0 && this.peerHas(peer, p)) return true;
    }
    return false;
  }

  /** Time-critical pieces in deadline order. */
  timeCriticalPieces(): readonly number[] {
    return this.deadlines.pieces;
  }

  /** Marks an outstanding request for `block` as late: another peer may now be given a duplicate. */
  markLate(block: number): void {
    this.checkBlock(block);
    if (this.reqs[block]! > 0 && this.done[block] === 0) this.late.add(block);
  }

  // ---- picking ----------------------------------------------------------------------------------------

  /**
   * Picks up to `max` blocks to request from `peer` and records them as requested (one outstanding
   * request each). The caller must later release each with {@link releaseRequest}.
   */
  pickBlocks(peer: PickPeer, max: number): number[] {
    const out: number[] = [];
    if (max <= 0) return out;
    if (peer.allowedFast !== undefined) {
      for (const p of peer.allowedFast) {
        if (out.length >= max) return out;
        if (p >= 0 && p < this.pieceCount && this.peerHas(peer, p)) this.takeFree(p, out, max);
      }
      if (out.length < max && this.isEndgame()) this.takeDuplicates(peer, out, max, new Set(peer.allowedFast));
      return out;
    }
    if (peer.timeCritical !== false && this.deadlines.size > 0) {
      // Deadline order puts due pieces first. An urgent piece (due, not fully received) keeps the peer
      // to urgent blocks: nothing else competes for its bandwidth until the piece's blocks are all in.
      let urgent = false;
      for (const p of [...this.deadlines.pieces]) {
        if (out.length >= max) return out;
        if (!this.peerHas(peer, p)) continue;
        const due = peer.now !== undefined && this.deadlines.get(p)! <= peer.now;
        if (!due && urgent) return out;
        if (due && this.state[p]! <= PARTIAL && this.prio[p]! > 0) urgent = true;
        this.takeFree(p, out, max);
        this.takeLate(p, peer, out, max);
      }
      if (urgent) return out;
    }
    if (out.length < max) {
      if (this.sequentialMode) this.pickSequential(peer, out, max);
      else this.pickRarest(peer, out, max);
    }
    if (out.length < max && this.isEndgame()) this.takeDuplicates(peer, out, max, undefined);
    return out;
  }

  private pickSequential(peer: PickPeer, out: number[], max: number): void {
    for (let i = this.seqCursor; i < this.pieceCount && out.length < max; i++) {
      const s = this.state[i]!;
      if (s === NONE || (s === PARTIAL && this.open.has(i))) {
        if (this.prio[i]! > 0 && this.peerHas(peer, i)) this.takeFree(i, out, max);
      }
    }
  }

  private pickRarest(peer: PickPeer, out: number[], max: number): void {
    const partials: number[] = [];
    for (const p of this.open) if (this.prio[p]! > 0 && this.peerHas(peer, p)) partials.push(p);
    if (partials.length > 1) {
      partials.sort((a, b) => this.prio[b]! - this.prio[a]! || this.counts[a]! - this.counts[b]! || this.dl.get(b)!.received - this.dl.get(a)!.received || a - b);
    }
    let pi = 0;
    const bf = peer.bitfield;
    // a counted non-seed peer that has a piece makes its count ≥ 1, so with no seeds around the
    // availability-0 buckets cannot hold anything this peer has
    const firstAvail = peer.seed || this.seeds > 0 ? 0 : 1;
    for (let level = 0; level < PRIORITY_LEVELS; level++) {
      const priority = MAX_PRIORITY - level;
      while (pi < partials.length && this.prio[partials[pi]!] === priority) {
        this.takeFree(partials[pi++]!, out, max);
        if (out.length >= max) return;
      }
      if (this.buckets.levelSize(level) === 0) continue;
      const lvl = this.buckets.level(level);
      for (let a = firstAvail; a < lvl.length; a++) {
        const bucket = lvl[a]!;
        // walk backwards: taking a piece removes it by swapping the (already visited) last entry into its slot
        for (let j = bucket.length - 1; j >= 0; j--) {
          const p = bucket[j]!;
          if (peer.seed || (bf !== null && hasPiece(bf, p))) {
            this.takeFree(p, out, max);
            if (out.length >= max) return;
          }
        }
      }
    }
  }

  /** Hands out free blocks of piece `p` (starting it if needed). */
  private takeFree(p: number, out: number[], max: number): void {
    const s = this.state[p]!;
    if (this.prio[p] === 0 || (s !== NONE && s !== PARTIAL)) return;
    let d = this.dl.get(p);
    if (d === undefined) d = this.start(p);
    if (d.free === 0) return;
    const base = p * this.blocksPerPiece;
    let b = d.hint;
    for (; b < d.blocks && out.length < max && d.free > 0; b++) {
      const k = base + b;
      if (this.done[k] === 0 && this.reqs[k] === 0) {
        this.reqs[k] = 1;
        d.free--;
        out.push(k);
      }
    }
    d.hint = b;
    if (d.free === 0) this.open.delete(p);
  }

  /** Duplicates late requests in time-critical piece `p` to a peer not already asked. */
  private takeLate(p: number, peer: PickPeer, out: number[], max: number): void {
    if (this.late.size === 0 || peer.isRequesting === undefined) return;
    const base = p * this.blocksPerPiece;
    for (const k of [...this.late]) {
      if (out.length >= max) return;
      if (k < base || k >= base + this.blocksPerPiece) continue;
      if (this.done[k] === 1 || this.reqs[k] === 0) {
        this.late.delete(k);
        continue;
      }
      if (out.includes(k) || peer.isRequesting(k) || this.reqs[k]! >= 0xffff) continue;
      this.reqs[k]!++;
      this.late.delete(k);
      out.push(k);
    }
  }

  /** Endgame: blocks requested from others but not received, least-requested first. */
  private takeDuplicates(peer: PickPeer, out: number[], max: number, only: ReadonlySet<number> | undefined): void {
    if (peer.isRequesting === undefined) return;
    const mine = new Set(out); // picked in this call: the peer's own record does not have them yet
    for (let r = 1; r < this.maxDup; r++) {
      for (const [p, d] of this.dl) {
        if (this.state[p] !== PARTIAL || this.prio[p] === 0 || !this.peerHas(peer, p)) continue;
        if (only !== undefined && !only.has(p)) continue;
        const base = p * this.blocksPerPiece;
        for (let b = 0; b < d.blocks; b++) {
          const k = base + b;
          if (this.done[k] === 0 && this.reqs[k] === r && !mine.has(k) && !peer.isRequesting(k)) {
            this.reqs[k] = r + 1;
            out.push(k);
            if (out.length >= max) return;
          }
        }
      }
    }
  }

  private start(p: number): DownloadingPiece {
    this.buckets.remove(p);
    const d = newDownloadingPiece(this.geometry.blocksInPiece(p));
    this.dl.set(p, d);
    this.state[p] = PARTIAL;
    this.open.add(p);
    return d;
  }

  // ---- request and piece lifecycle ----------------------------------------------------------------------

  /**
   * One outstanding request for `block` ended without data from that peer: cancelled, rejected, timed out,
   * choked away, peer gone, or satisfied by another peer. A block left with no request returns to the pool.
   */
  releaseRequest(block: number): void {
    this.checkBlock(block);
    if (this.reqs[block] === 0) return;
    const left = --this.reqs[block]!;
    if (left > 0 || this.done[block] === 1) return;
    this.late.delete(block);
    const p = Math.floor(block / this.blocksPerPiece);
    const d = this.dl.get(p);
    if (d === undefined || this.state[p] !== PARTIAL) return;
    d.free++;
    const b = block - p * this.blocksPerPiece;
    if (b < d.hint) d.hint = b;
    this.open.add(p);
    if (d.received === 0 && d.free === d.blocks) this.unstart(p);
  }

  /**
   * Data for `block` arrived from peer `peerId`. Does not touch request counts: release every request for
   * the block (the sender's and, in endgame, the others' after cancelling) with {@link releaseRequest}.
   */
  blockReceived(block: number, peerId: number): BlockReceipt {
    this.checkBlock(block);
    const p = Math.floor(block / this.blocksPerPiece);
    const s = this.state[p]!;
    if ((s !== NONE && s !== PARTIAL) || this.done[block] === 1) return { accepted: false, pieceComplete: false };
    const d = this.dl.get(p) ?? this.start(p);
    if (this.reqs[block] === 0) d.free--;
    this.done[block] = 1;
    d.received++;
    d.peers[block - p * this.blocksPerPiece] = peerId;
    this.late.delete(block);
    if (d.free === 0) this.open.delete(p);
    if (d.received < d.blocks) return { accepted: true, pieceComplete: false };
    this.state[p] = VERIFYING;
    this.open.delete(p);
    return { accepted: true, pieceComplete: true };
  }

  /** Piece `i` passed its hash check (after download, or when checking existing data / resuming). */
  pieceVerified(i: number): void {
    this.checkPiece(i);
    if (this.state[i] === HAVE) return;
    this.buckets.remove(i);
    this.dl.delete(i);
    this.open.delete(i);
    this.deadlines.delete(i);
    const base = i * this.blocksPerPiece;
    const blocks = this.geometry.blocksInPiece(i);
    for (let b = 0; b < blocks; b++) {
      this.done[base + b] = 1;
      this.late.delete(base + b);
    }
    this.state[i] = HAVE;
    this.haves++;
    while (this.seqCursor < this.pieceCount && this.state[this.seqCursor] === HAVE) this.seqCursor++;
  }

  /**
   * Piece `i` (state `verifying`) failed its hash check: every block returns to the pool and the piece is
   * picked again. Returns which peers delivered which blocks, for smart ban.
   */
  pieceFailed(i: number): PieceFailure {
    this.checkPiece(i);
    const d = this.dl.get(i);
    if (this.state[i] !== VERIFYING || d === undefined) {
      throw new TorrentError('invalid_argument', 'pieceFailed on a piece that is not verifying', { details: { piece: i, state: STATE_NAMES[this.state[i]!] } });
    }
    const failure: PieceFailure = { contributors: contributorsOf(d.peers), blockPeers: d.peers.slice() };
    const base = i * this.blocksPerPiece;
    const fresh = newDownloadingPiece(d.blocks);
    for (let b = 0; b < d.blocks; b++) {
      this.done[base + b] = 0;
      if (this.reqs[base + b]! > 0) fresh.free--;
    }
    this.state[i] = PARTIAL;
    this.dl.set(i, fresh);
    if (fresh.free > 0) this.open.add(i);
    if (fresh.free === fresh.blocks) this.unstart(i);
    return failure;
  }

  private unstart(p: number): void {
    this.dl.delete(p);
    this.open.delete(p);
    this.state[p] = NONE;
    if (this.prio[p]! > 0) this.buckets.insert(p, this.prio[p]!, this.counts[p]!);
  }

  private peerHas(peer: Pick<PickPeer, 'bitfield' | 'seed'>, i: number): boolean {
    return peer.seed || (peer.bitfield !== null && hasPiece(peer.bitfield, i));
  }

  private checkPiece(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.pieceCount) badArg('piece index out of range', { piece: i, pieceCount: this.pieceCount });
  }

  private checkBlock(k: number): void {
    if (!Number.isInteger(k) || k < 0 || k >= this.reqs.length) badArg('block id out of range', { block: k });
    const p = Math.floor(k / this.blocksPerPiece);
    if (k - p * this.blocksPerPiece >= this.geometry.blocksInPiece(p)) badArg('block id past the end of its piece', { block: k, piece: p });
  }
}

function checkPriority(p: number): void {
  if (!Number.isInteger(p) || p < 0 || p > MAX_PRIORITY) badArg('priority must be an integer in 0..7', { priority: p });
}
