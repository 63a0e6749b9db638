/**
 * The download side of a swarm: availability, interest, requests, block storage, verification, smart
 * ban. Built on the PiecePicker and RequestTracker (src/picker, see PICKER.md); the Swarm (swarm.ts)
 * forwards peer events here.
 *
 * Receive hot path (`block`): one Map lookup, the tracker's bookkeeping, a copy of the block into its
 * piece buffer, and a refill of that peer's pipeline; no promise or closure per block. A completed piece
 * is verified once (see piece-store.ts), then `have` goes to every peer (the peer layer batches them per
 * tick) and piece_finished is posted; a failed piece returns to the picker and its senders are judged
 * by smart ban (smart-ban.ts).
 */
import { BLOCK_SIZE, Lengths } from '../../metainfo/lengths.js';
import type { PeerConnection } from '../../peer/index.js';
import { hasPiece, setPiece } from '../../picker/bits.js';
import { PiecePicker } from '../../picker/piece-picker.js';
import { RequestTracker } from '../../picker/request-tracker.js';
import type { TorrentStorage } from '../../interfaces/storage.js';
import { PieceVerifier } from '../piece-hash.js';
import type { PieceHasher } from '../piece-hash.js';
import type { TorrentMeta } from '../torrent.js';
import { CriticalHashes } from './critical-hash.js';
import { PieceStore } from './piece-store.js';
import { SmartBan } from './smart-ban.js';

/** A connected peer as the swarm tracks it. */
export interface SwarmPeer {
  readonly conn: PeerConnection;
  /** Tracker / picker id (unique per swarm). */
  readonly id: number;
  readonly host: string;
  /** The remote's pieces, live (the tracker reads this array). */
  readonly bits: Uint8Array;
  /** Counted in the picker as a seed (have-all) rather than per piece. */
  seed: boolean;
  /** Bytes uploaded to it when we last unchoked it (round-robin seeding). */
  uploadedAtUnchoke: number;
  /** When we last unchoked it (swarm clock). */
  lastUnchokedAt: number | undefined;
}

/** What the downloader needs from its swarm / torrent. */
export interface DownloaderHost {
  readonly meta: TorrentMeta;
  readonly storage: TorrentStorage;
  hasher(): PieceHasher;
  havePiece(i: number): boolean;
  piecePriorities(): ArrayLike<number>;
  /** One piece's priority (0..7). */
  piecePriority(i: number): number;
  sequential(): boolean;
  uploadMode(): boolean;
  /** Deadlines in ms since the epoch. */
  deadlines(): ReadonlyMap<number, number>;
  peer(id: number): SwarmPeer | undefined;
  peers(): Iterable<SwarmPeer>;
  /**
   * A piece passed: mark it, tell peers, post piece_finished. `data`: the bytes of a time-critical piece
   * (announced before its write landed), valid only during the call: copy what you keep.
   */
  verified(i: number, data?: Uint8Array): void;
  hashFailed(i: number): void;
  /** Ban `host` (smart ban / sole sender of a failed piece / trust). */
  ban(host: string, reason: string): void;
  writeFailed(err: unknown): void;
  /** Storage and hashing fell behind (true) or caught up (false). */
  backpressure(on: boolean): void;
  now(): number;
}

const MiB = 1024 * 1024;

/** Downloading for one swarm. */
export class Downloader {
  readonly picker: PiecePicker;
  readonly tracker: RequestTracker;
  readonly lengths: Lengths;
  readonly store: PieceStore;
  readonly #smartBan: SmartBan;
  readonly #verifier: PieceVerifier;
  readonly #critical: CriticalHashes;
  readonly #bpp: number;
  #verifying = 0;
  #paused = false;
  readonly #highWater: number;
  #closed = false;
  readonly #lingerMs: number;
  /** Interest in peers is kept until then (swarm clock) though nothing is wanted: see updateInterest. */
  #lingerUntil = -Infinity;
  #hadDeadlines = false;

  constructor(private readonly host: DownloaderHost, opts: { requestTimeoutMs: number; maxQueueDepth: number; interestLingerMs?: number }) {
    this.#lingerMs = opts.interestLingerMs ?? 0;
    const meta = host.meta;
    this.lengths = new Lengths(meta.totalLength, meta.pieceLength, Number.MAX_SAFE_INTEGER);
    this.picker = new PiecePicker(this.lengths, { sequential: host.sequential() });
    this.#bpp = this.picker.blocksPerPiece;
    // Refill a peer's pipeline once a quarter of its queue is free (minBatch 128 against a depth of at most 500;
    // see RequestTrackerOptions.minBatch): on the 1 GiB transfer a run of ~125 requests per write instead of
    // ~32 cut the leech's wall and system time a few percent, with 3/4 of the queue still in flight.
    this.tracker = new RequestTracker(this.picker, { requestTimeoutMs: opts.requestTimeoutMs, maxQueueDepth: opts.maxQueueDepth, minBatch: 128 });
    const budget = Math.max(32 * MiB, 2 * meta.pieceLength);
    this.#highWater = budget;
    const shared = host.hasher().sharedMemory === true && typeof SharedArrayBuffer === 'function';
    this.store = new PieceStore(host.storage, (i) => this.lengths.pieceSize(i), budget, Math.max(16 * MiB, 2 * meta.pieceLength), meta.pieceLength, shared);
    this.store.onWriteError = (err) => host.writeFailed(err);
    this.#smartBan = new SmartBan(host.hasher());
    this.#verifier = new PieceVerifier(meta, host.hasher());
    this.#critical = new CriticalHashes(meta);
    this.picker.setPiecePriorities(host.piecePriorities());
    for (let i = 0; i < meta.pieceCount; i++) if (host.havePiece(i)) this.picker.pieceVerified(i);
    this.syncDeadlines();
  }

  /** Re-reads piece priorities / sequential mode / deadlines from the torrent; updates interest. */
  prioritiesChanged(): void {
    this.picker.setPiecePriorities(this.host.piecePriorities());
    this.picker.setSequential(this.host.sequential());
    this.syncDeadlines();
    this.#wantChanged();
  }

  /**
   * Only deadlines changed (a stream set or reset some): O(deadlines), not O(pieces) — a reader sets
   * them on every piece it enters. A piece that loses its deadline gets the torrent's priority back
   * (a deadline raises priority 0 to 1 in the picker).
   */
  deadlinesChanged(): void {
    const before = [...this.picker.timeCriticalPieces()];
    this.syncDeadlines();
    for (const i of before) if (this.picker.pieceDeadline(i) === undefined) this.picker.setPiecePriority(i, this.host.piecePriority(i));
    this.#wantChanged();
  }

  /** What is wanted changed: cancel requests for pieces no longer wanted, update interest. */
  #wantChanged(): void {
    for (const c of this.tracker.dropUnwanted()) this.#cancel(c.peer, c.block);
    this.#spillUnwanted();
    for (const p of this.host.peers()) this.updateInterest(p);
  }

  /** Partial pieces no longer wanted give their buffers back: their blocks go to storage (PieceStore.spill). */
  #spillUnwanted(): void {
    for (const i of this.picker.downloadingPieces()) {
      if (this.picker.isWanted(i) || this.store.buffer(i) === undefined) continue;
      const ranges: [number, number][] = [];
      const size = this.lengths.pieceSize(i);
      for (let at = 0, b = 0; at < size; at += BLOCK_SIZE, b++) {
        if (this.picker.isBlockReceived(this.picker.blockAt(i, at))) ranges.push([at, this.lengths.blockSize(i, b)]);
      }
      this.#critical.drop(i);
      this.store.spill(i, ranges);
    }
  }

  syncDeadlines(): void {
    const has = this.host.deadlines().size > 0;
    if (this.#hadDeadlines && !has) this.#lingerUntil = this.host.now() + this.#lingerMs;
    this.#hadDeadlines = has;
    this.picker.clearDeadlines();
    const offset = this.host.now() - Date.now();
    for (const [i, at] of this.host.deadlines()) if (!this.host.havePiece(i)) this.picker.setPieceDeadline(i, at + offset);
    this.#critical.retain((i) => this.picker.pieceDeadline(i) !== undefined);
  }

  // ---- peers ---------------------------------------------------------------------------------------------

  addPeer(p: SwarmPeer): void {
    this.tracker.addPeer(p.id, { bitfield: p.bits, seed: false, reqq: p.conn.remoteReqq, fastExtension: p.conn.fast }, this.host.now());
  }

  removePeer(p: SwarmPeer): void {
    this.tracker.removePeer(p.id);
    if (p.seed) this.picker.removeSeed();
    else this.picker.removeBitfield(p.bits);
  }

  extensionHandshake(p: SwarmPeer): void {
    this.tracker.updatePeer(p.id, { reqq: p.conn.remoteReqq });
  }

  bitfield(p: SwarmPeer, bits: Uint8Array): void {
    p.bits.set(bits.subarray(0, p.bits.length));
    this.picker.addBitfield(p.bits);
    this.updateInterest(p);
  }

  haveAll(p: SwarmPeer): void {
    if (p.seed) return;
    this.picker.removeBitfield(p.bits);
    p.seed = true;
    this.picker.addSeed();
    this.tracker.updatePeer(p.id, { seed: true });
    this.updateInterest(p);
  }

  have(p: SwarmPeer, i: number): void {
    if (p.seed || hasPiece(p.bits, i)) return;
    setPiece(p.bits, i);
    this.picker.addHave(i);
    if (!p.conn.amInterested && this.#wants(i)) this.#interested(p, true);
    else this.fill(p);
  }

  #wants(i: number): boolean {
    return !this.host.uploadMode() && this.picker.piecePriority(i) > 0 && !this.host.havePiece(i);
  }

  /**
   * Sends interested / not interested as the peer's pieces and ours dictate. Interest follows the picker, with one exception for streaming: while the torrent has piece deadlines,
   * and for `interestLingerMs` after the last one is cleared, a peer we are interested in stays so even
   * when nothing it has is wanted right now (the deadline piece just arrived, the reader closed). The peer
   * then keeps us unchoked, and the next seek's requests go out at once instead of after an interested →
   * unchoke round trip. Interest is never started this way, and ends at the first tick after the linger.
   */
  updateInterest(p: SwarmPeer): void {
    const up = this.host.uploadMode();
    let want = !up && this.picker.isInteresting({ bitfield: p.bits, seed: p.seed });
    if (!want && !up && p.conn.amInterested && (this.#hadDeadlines || this.host.now() < this.#lingerUntil) && this.picker.haveCount < this.picker.pieceCount) want = true;
    if (want !== p.conn.amInterested) this.#interested(p, want);
    else if (want) this.fill(p);
  }

  #interested(p: SwarmPeer, on: boolean): void {
    if (on) {
      p.conn.interested();
      this.fill(p);
    } else {
      p.conn.notInterested();
    }
  }

  choked(p: SwarmPeer, choked: boolean): void {
    this.tracker.setChoked(p.id, choked);
    if (!choked) this.fill(p);
  }

  allowedFast(p: SwarmPeer): void {
    this.tracker.setAllowedFast(p.id, [...p.conn.allowedFastIn]);
    this.fill(p);
  }

  reject(p: SwarmPeer, index: number, begin: number): void {
    this.tracker.onReject(p.id, this.picker.blockAt(index, begin));
  }

  /** Tops up `p`'s request pipeline. */
  fill(p: SwarmPeer): void {
    if (this.#closed || this.#paused || !p.conn.amInterested || this.host.uploadMode()) return;
    const blocks = this.tracker.fill(p.id, this.host.now());
    this.#send(p, blocks);
    // Blocks of a piece whose deadline has fallen due (a reader waits for it): on the wire at once.
    if (blocks.length > 0 && this.#pieceIsDue((blocks[0]! / this.#bpp) | 0)) p.conn.flushQueued();
  }

  #send(p: SwarmPeer, blocks: readonly number[]): void {
    const bpp = this.#bpp;
    for (let j = 0; j < blocks.length; j++) {
      const k = blocks[j]!;
      const piece = (k / bpp) | 0;
      const b = k - piece * bpp;
      p.conn.request(piece, b * BLOCK_SIZE, this.lengths.blockSize(piece, b));
    }
  }

  #cancel(peer: number, k: number): void {
    const p = this.host.peer(peer);
    if (!p) return;
    const piece = (k / this.#bpp) | 0;
    const b = k - piece * this.#bpp;
    p.conn.cancel(piece, b * BLOCK_SIZE, this.lengths.blockSize(piece, b));
  }

  /** The receive hot path: a block we requested arrived (view valid only during the call). */
  block(p: SwarmPeer, index: number, begin: number, data: Uint8Array): void {
    if (this.#closed) return;
    const k = this.picker.blockAt(index, begin);
    const r = this.tracker.onBlock(p.id, k, this.host.now());
    for (let j = 0; j < r.cancels.length; j++) this.#cancel(r.cancels[j]!.peer, r.cancels[j]!.block);
    if (r.accepted) {
      this.store.put(index, begin, data);
      const due = this.picker.pieceDeadline(index);
      const critical = this.#isDue(due);
      if (due !== undefined) this.#critical.block(index, begin, data, critical, this.store.buffer(index));
      if (r.pieceComplete) {
        void this.#verify(index);
        if (critical) {
          // A reader is blocked on this piece: its verification and hand-over run in microtasks, and
          // requests written now would be flushed ahead of them (on a busy machine that write costs
          // milliseconds). The peer's pipeline is topped up once they are done.
          setTimeout(() => {
            if (this.host.peer(p.id) === p) this.fill(p);
          }, 0);
          return;
        }
      }
    }
    this.fill(p);
  }

  /** Periodic: request timeouts, refills, interest. */
  tick(): void {
    if (this.#closed) return;
    const now = this.host.now();
    for (const t of this.tracker.tick(now)) this.#cancel(t.peer, t.block);
    for (const p of this.host.peers()) this.updateInterest(p);
  }

  #pressure(): void {
    const over = this.store.pending + this.#verifying > this.#highWater;
    if (over !== this.#paused) {
      this.#paused = over;
      this.host.backpressure(over);
      if (!over) for (const p of this.host.peers()) this.fill(p);
    }
  }

  /** Whether a piece with deadline `due` (undefined: none) is critical: its deadline has fallen due, a reader waits. */
  #isDue(due: number | undefined): boolean {
    return due !== undefined && due <= this.host.now();
  }

  /** {@link #isDue} for piece `i`'s current deadline. */
  #pieceIsDue(i: number): boolean {
    return this.#isDue(this.picker.pieceDeadline(i));
  }

  async #verify(i: number): Promise<void> {
    const size = this.lengths.pieceSize(i);
    this.#verifying += size;
    this.#pressure();
    let data: Uint8Array | undefined;
    let written: Promise<void> | undefined;
    let buffered = false;
    try {
      // A piece a reader is blocked on (its deadline has fallen due) has its write started a task later, after
      // the reader's wake-up (piece-store.ts complete).
      ({ data, written, buffered } = await this.store.complete(i, this.#pieceIsDue(i)));
      if (this.#closed) return;
      // A critical piece (its deadline has fallen due: a reader is blocked on it) is hashed at once, on this
      // thread where the platform can (verifyNow), else by the pool while the write runs, and is announced
      // without waiting for its write: the store serves its reads from the buffer until the write lands.
      // Read-ahead pieces whose deadline lies ahead take the ordinary path below.
      const critical = this.#pieceIsDue(i);
      const shared = typeof SharedArrayBuffer === 'function' && data.buffer instanceof SharedArrayBuffer;
      const keep = this.#smartBan.has(i);
      // Most of a critical piece was usually hashed while it arrived (critical-hash.ts); anything but a
      // match there is checked again in full. The running hash is not needed past this point either way.
      const running = critical && buffered ? this.#critical.finish(i, data) : undefined;
      this.#critical.drop(i);
      let ok: boolean;
      if (critical) {
        ok = running === true || (this.#verifier.verifyNow(i, data) ?? (await this.#verifier.verify(i, data, shared)));
      } else {
        // A shared-memory buffer is hashed in place while the write runs (no copy, no transfer). Otherwise
        // the buffer usually moves to the hash worker once it is written (no copy); a piece with smart-ban
        // records keeps its bytes for the verdict and is hashed (from a copy) while the write runs.
        if (!keep && !shared) await written;
        if (this.#closed) return;
        ok = await this.#verifier.verify(i, data, shared || !keep);
      }
      if (this.#closed) return;
      if (ok) {
        if (critical && this.store.writeError === undefined) this.store.serveUntilWritten(i, data, written);
        else await written;
        if (this.#closed) return;
        this.picker.pieceVerified(i);
        this.host.verified(i, critical ? data : undefined);
        if (this.#smartBan.has(i)) for (const host of await this.#smartBan.verdict(i, data)) this.host.ban(host, 'sent corrupt data (smart ban)');
      } else {
        await written;
        // A moved buffer is gone: smart ban reads the bad bytes back from storage (they were written).
        // A kept one is copied: it goes back to the pool below while smart ban may still hash it.
        const bad = data.byteLength === size ? new Uint8Array(data) : await this.host.storage.read(i, 0, size); // a copy (Buffer#slice is a view)
        if (this.#closed) return;
        this.#failed(i, bad);
      }
    } catch (err) {
      if (this.#closed) return;
      // A write or read-back failed: the torrent goes to its error state (writeFailed); the piece is not had.
      if (this.picker.pieceState(i) === 'verifying') this.picker.pieceFailed(i);
      this.host.writeFailed(err);
    } finally {
      this.#verifying -= size;
      this.#pressure();
      // Recycle the buffer once its write settled; hashing of it is over by now (or never started).
      if (data !== undefined && written !== undefined) {
        const buf = data;
        written.then(() => this.store.release(buf), () => this.store.release(buf));
      }
    }
  }

  #failed(i: number, data: Uint8Array): void {
    const failure = this.picker.pieceFailed(i);
    this.host.hashFailed(i);
    const hosts: (string | undefined)[] = [];
    const distinct = new Set<string>();
    for (const id of failure.blockPeers) {
      const h = id >= 0 ? this.host.peer(id)?.host ?? this.#hostOf.get(id) : undefined;
      hosts.push(h);
      if (h !== undefined) distinct.add(h);
    }
    if (distinct.size === 1 && hosts.every((h) => h !== undefined)) {
      this.host.ban([...distinct][0]!, 'sole sender of a piece that failed its hash check');
      return;
    }
    void this.#smartBan.recordFailure(i, data, hosts).catch(() => undefined);
  }

  /** Hosts of peers that left, for smart-ban records of pieces they helped with. */
  readonly #hostOf = new Map<number, string>();

  /** Remembers a departing peer's host (its blocks may be judged later). */
  rememberHost(id: number, host: string): void {
    this.#hostOf.set(id, host);
    if (this.#hostOf.size > 4096) {
      const [oldest] = this.#hostOf.keys();
      this.#hostOf.delete(oldest!);
    }
  }

  /** Stops all work (pending verifications are dropped). */
  close(): void {
    this.#closed = true;
    this.store.clear();
    this.#smartBan.clear();
  }
}
