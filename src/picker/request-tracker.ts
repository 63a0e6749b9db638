/**
 * Per-peer outstanding block requests on top of a {@link PiecePicker}. Pure logic: the caller feeds it
 * events (block, reject, choke, peer gone) and a clock, and sends the requests / cancels it returns.
 *
 * Invariant: every entry in a peer's outstanding map holds exactly one request count in the picker; every
 * path that drops an entry (block arrived, reject, choke without fast extension, timeout, peer removed,
 * endgame cancel) calls `picker.releaseRequest` once for it. See PICKER.md.
 */
import { TorrentError } from '../errors.js';
import { BLOCK_SIZE } from '../metainfo/lengths.js';
import type { PiecePicker } from './piece-picker.js';
import { RateMeter } from './rate.js';

/** Settings for {@link RequestTracker}; defaults follow libtorrent where it has one. */
export interface RequestTrackerOptions {
  /** A request with no data from its peer for this long times out and the peer is snubbed. Default 20 000 ms (piece_timeout). */
  requestTimeoutMs?: number;
  /** Seconds of data to keep requested from a peer, in ms (request_queue_time). Default 3000. */
  targetLatencyMs?: number;
  /** Upper bound on a peer's queue (max_out_request_queue). Default 500. */
  maxQueueDepth?: number;
  /** Queue limit assumed when a peer sent no `reqq` (BEP 10). Default 250. */
  defaultReqq?: number;
  /** A request in a time-critical piece outstanding this long may be duplicated to another peer. Default 1500 ms. */
  lateAfterMs?: number;
  /** Time constant of the download-rate estimate. Default 5000 ms. */
  rateWindowMs?: number;
  /**
   * Fewest new requests worth sending to a peer that still has requests outstanding: `fill` returns
   * nothing until its room reaches min(minBatch, queue depth / 4). Batching refills this way sends one
   * request message run per several blocks instead of one per block (fewer writes and wake-ups on both
   * ends) while the queue stays nearly full. Blocks of an urgent deadline piece are sent whatever the
   * room. Default 1 (top up on every block).
   */
  minBatch?: number;
  /** In {@link RequestTracker.fillAll}, peers at or above this fraction of the fastest rate take deadline pieces. Default 0.5. */
  timeCriticalFraction?: number;
}

/** What the tracker knows about a peer; `bitfield` is the caller's live array (updated in place on `have`). */
export interface TrackedPeerInfo {
  bitfield: Uint8Array | null;
  seed: boolean;
  /** The peer's `reqq` from its extension handshake, if any. */
  reqq?: number;
  /** Whether the peer supports the fast extension (BEP 6). */
  fastExtension?: boolean;
}

/** A (peer, block) pair: a cancel to send or a request that timed out. */
export interface PeerBlock {
  readonly peer: number;
  readonly block: number;
}

/** Result of {@link RequestTracker.onBlock}. */
export interface BlockArrival {
  /** False: duplicate or unwanted data, discard it. */
  readonly accepted: boolean;
  /** The piece is complete: hash it and report to the picker. */
  readonly pieceComplete: boolean;
  /** Endgame duplicates to cancel (send `cancel` to each peer). */
  readonly cancels: PeerBlock[];
}

interface PeerEntry {
  info: TrackedPeerInfo;
  /** block → time requested; insertion order is request order. */
  readonly out: Map<number, number>;
  readonly meter: RateMeter;
  lastBlockAt: number;
  snubbed: boolean;
  choked: boolean;
  allowedFast: number[];
  readonly view: { bitfield: Uint8Array | null; seed: boolean; timeCritical: boolean; allowedFast: readonly number[] | undefined; now: number | undefined; isRequesting(block: number): boolean };
}

/** Tracks outstanding requests per peer, sizes pipelines, times requests out. See PICKER.md. */
export class RequestTracker {
  private readonly peers = new Map<number, PeerEntry>();
  private readonly timeoutMs: number;
  private readonly latencyMs: number;
  private readonly maxDepth: number;
  private readonly defaultReqq: number;
  private readonly lateAfterMs: number;
  private readonly rateWindowMs: number;
  private readonly tcFraction: number;
  private readonly minBatch: number;

  constructor(readonly picker: PiecePicker, options: RequestTrackerOptions = {}) {
    this.timeoutMs = options.requestTimeoutMs ?? 20_000;
    this.latencyMs = options.targetLatencyMs ?? 3000;
    this.maxDepth = options.maxQueueDepth ?? 500;
    this.defaultReqq = options.defaultReqq ?? 250;
    this.lateAfterMs = options.lateAfterMs ?? 1500;
    this.rateWindowMs = options.rateWindowMs ?? 5000;
    this.tcFraction = options.timeCriticalFraction ?? 0.5;
    this.minBatch = Math.max(1, options.minBatch ?? 1);
  }

  /** Starts tracking peer `id` (we start choked by it, as on a new connection). */
  addPeer(id: number, info: TrackedPeerInfo, now = 0): void {
    if (this.peers.has(id)) throw new TorrentError('invalid_argument', 'peer already tracked', { details: { peer: id } });
    const out = new Map<number, number>();
    const view = {
      bitfield: info.bitfield,
      seed: info.seed,
      timeCritical: true,
      allowedFast: undefined as readonly number[] | undefined,
      now: undefined as number | undefined,
      isRequesting: (block: number) => out.has(block),
    };
    this.peers.set(id, { info, out, meter: new RateMeter(this.rateWindowMs), lastBlockAt: now, snubbed: false, choked: true, allowedFast: [], view });
  }

  /** Updates what is known about a peer (a new bitfield array, became a seed, reqq). */
  updatePeer(id: number, info: Partial<TrackedPeerInfo>): void {
    const e = this.entry(id);
    e.info = { ...e.info, ...info };
    e.view.bitfield = e.info.bitfield;
    e.view.seed = e.info.seed;
  }

  /** Stops tracking peer `id`; its requests return to the pool. Returns the released blocks. */
  removePeer(id: number): number[] {
    const e = this.peers.get(id);
    if (e === undefined) return [];
    const released = this.releaseAll(e);
    this.peers.delete(id);
    return released;
  }

  /**
   * The peer choked or unchoked us. A choke from a peer without the fast extension discards all our
   * requests (BEP 3), so they return to the pool; with the fast extension the peer rejects them itself.
   * Returns the blocks released.
   */
  setChoked(id: number, choked: boolean): number[] {
    const e = this.entry(id);
    e.choked = choked;
    return choked && e.info.fastExtension !== true ? this.releaseAll(e) : [];
  }

  /** The peer's allowed-fast set (BEP 6): pieces we may request while choked. */
  setAllowedFast(id: number, pieces: readonly number[]): void {
    this.entry(id).allowedFast = [...pieces];
  }

  /** The peer rejected our request for `block` (BEP 6). Returns whether it was outstanding. */
  onReject(id: number, block: number): boolean {
    const e = this.entry(id);
    if (!e.out.delete(block)) return false;
    this.picker.releaseRequest(block);
    return true;
  }

  /** Data for `block` arrived from peer `id`. */
  onBlock(id: number, block: number, now: number): BlockArrival {
    const e = this.entry(id);
    const mine = e.out.delete(block);
    const receipt = this.picker.blockReceived(block, id);
    if (mine) this.picker.releaseRequest(block);
    e.meter.add(this.picker.blockInfo(block).length, now);
    e.lastBlockAt = now;
    e.snubbed = false;
    const cancels: PeerBlock[] = [];
    if (this.picker.requestCount(block) > 0) {
      for (const [pid, other] of this.peers) {
        if (pid !== id && other.out.delete(block)) {
          this.picker.releaseRequest(block);
          cancels.push({ peer: pid, block });
        }
      }
    }
    return { accepted: receipt.accepted, pieceComplete: receipt.pieceComplete, cancels };
  }

  /** Requests to keep for peer `id` now: its measured rate × target latency / block size, clamped. */
  queueDepth(id: number, now: number): number {
    const e = this.entry(id);
    if (e.snubbed) return 1;
    const reqq = this.reqqLimit(e);
    const want = Math.ceil((e.meter.rate(now) * this.latencyMs) / 1000 / BLOCK_SIZE);
    return Math.min(Math.max(want, 2), reqq);
  }

  /** The most requests peer `e` takes: its `reqq` (or the default), capped by maxQueueDepth. */
  private reqqLimit(e: PeerEntry): number {
    return Math.max(1, Math.min(e.info.reqq ?? this.defaultReqq, this.maxDepth));
  }

  /** Picks new blocks for peer `id` to fill its queue; the caller sends a request for each. */
  fill(id: number, now: number, timeCritical = true): number[] {
    const e = this.entry(id);
    let allowed: readonly number[] | undefined;
    if (e.choked) {
      if (e.info.fastExtension !== true || e.allowedFast.length === 0) return [];
      allowed = e.allowedFast;
    }
    const critical = timeCritical && !e.snubbed;
    let depth = this.queueDepth(id, now);
    // An urgent deadline piece (due, not all in) is requested whole at once, up to the peer's own limit,
    // rather than at a rate-based depth that starts at 2 on a fresh or idle connection; the picker then
    // hands this peer urgent blocks only, so the extra room never goes to anything else.
    const urgent = critical && allowed === undefined && this.picker.hasUrgent(e.view, now);
    if (urgent) depth = Math.max(depth, this.reqqLimit(e));
    const room = depth - e.out.size;
    // Batching waits for room; an urgent piece's blocks never wait for it (a reader is blocked on them).
    if (room <= 0 || (!urgent && e.out.size > 0 && room < Math.min(this.minBatch, depth >> 2))) return [];
    e.view.allowedFast = allowed;
    e.view.timeCritical = critical;
    e.view.now = now;
    const blocks = this.picker.pickBlocks(e.view, room);
    for (const k of blocks) e.out.set(k, now);
    return blocks;
  }

  /** Fills every peer, fastest first, so time-critical pieces go to the fastest peers. Returns peer → new blocks. */
  fillAll(now: number): Map<number, number[]> {
    const order = [...this.peers.keys()].map((id) => ({ id, rate: this.entry(id).meter.rate(now) }));
    order.sort((a, b) => b.rate - a.rate || a.id - b.id);
    const fastest = order[0]?.rate ?? 0;
    const result = new Map<number, number[]>();
    for (const { id, rate } of order) {
      const blocks = this.fill(id, now, rate >= fastest * this.tcFraction);
      if (blocks.length > 0) result.set(id, blocks);
    }
    return result;
  }

  /**
   * Periodic check. Requests with no data from their peer for `requestTimeoutMs` (or any request older than
   * twice that) are released back to the
   * pool (send `cancel` for each returned pair) and the peer is snubbed (queue depth 1) until data arrives.
   * Requests in time-critical pieces outstanding past `lateAfterMs` or the deadline are marked late, so
   * another peer can be asked too.
   */
  tick(now: number): PeerBlock[] {
    const timedOut: PeerBlock[] = [];
    for (const [id, e] of this.peers) {
      for (const [block, at] of e.out) {
        const piece = this.picker.blockInfo(block).piece;
        const deadline = this.picker.pieceDeadline(piece);
        if (deadline !== undefined && (now - at >= this.lateAfterMs || now >= deadline)) this.picker.markLate(block);
        // silent peer, or a peer that keeps sending other blocks but skipped this one for twice as long
        if (now - Math.max(at, e.lastBlockAt) >= this.timeoutMs || now - at >= 2 * this.timeoutMs) {
          e.out.delete(block);
          this.picker.releaseRequest(block);
          timedOut.push({ peer: id, block });
          e.snubbed = true;
        }
      }
    }
    return timedOut;
  }

  /**
   * Drops every outstanding request for a piece that is no longer wanted: priority 0 and no deadline (a
   * stream seeked away from it, or its file was deselected). Returns them, for the caller to cancel on
   * the wire, so the peer's upload goes to what is wanted now; a block of them that still arrives is kept
   * (late data is never harmful). Called when priorities or deadlines change, not per block.
   */
  dropUnwanted(): PeerBlock[] {
    const dropped: PeerBlock[] = [];
    for (const [id, e] of this.peers) {
      for (const block of e.out.keys()) {
        const piece = this.picker.blockInfo(block).piece;
        if (this.picker.isWanted(piece)) continue;
        e.out.delete(block);
        this.picker.releaseRequest(block);
        dropped.push({ peer: id, block });
      }
    }
    return dropped;
  }

  /** Outstanding requests of peer `id`, oldest first. */
  requests(id: number): number[] {
    return [...this.entry(id).out.keys()];
  }

  /** Number of outstanding requests of peer `id`. */
  outstanding(id: number): number {
    return this.entry(id).out.size;
  }

  /** Whether peer `id` is snubbed (timed out; queue depth 1 until it sends data). */
  isSnubbed(id: number): boolean {
    return this.entry(id).snubbed;
  }

  /** Whether peer `id` is choking us. */
  isChoked(id: number): boolean {
    return this.entry(id).choked;
  }

  /** Measured download rate from peer `id`, bytes/s. */
  downloadRate(id: number, now: number): number {
    return this.entry(id).meter.rate(now);
  }

  /** Ids of tracked peers. */
  peerIds(): number[] {
    return [...this.peers.keys()];
  }

  private releaseAll(e: PeerEntry): number[] {
    const released = [...e.out.keys()];
    e.out.clear();
    for (const k of released) this.picker.releaseRequest(k);
    return released;
  }

  private entry(id: number): PeerEntry {
    const e = this.peers.get(id);
    if (e === undefined) throw new TorrentError('invalid_argument', 'unknown peer', { details: { peer: id } });
    return e;
  }
}
