/**
 * BEP 9 metadata download for a torrent added by info-hash only (magnet link). Pure logic: it learns peers
 * and messages from its owner (the torrent) and asks the owner to send payloads; it keeps no timers — the
 * owner calls {@link MetadataFetcher.tick} about once a second (and it runs on every event anyway).
 *
 * Design notes (invariants)
 * - Size: every peer's extension handshake votes for a `metadata_size`. We fetch the size with the most
 *   voters that are not suspect (ties: the size seen first). The choice is revisited only while no piece of
 *   the current round has arrived, when no live peer backs the current size, and after a hash failure —
 *   never in the middle of an assembly that is progressing.
 * - Requests: a missing piece is outstanding at most once. Pieces go round-robin over eligible peers (they
 *   voted for the current size, are not backing off after a reject, have fewer than `maxOutstandingPerPeer`
 *   requests, and are not suspect). A request older than `requestTimeoutMs` is moved to the peer's "late"
 *   set (its answer is still welcome) and the piece becomes requestable from others. A reject or a timeout
 *   backs that peer off for `rejectBackoffMs`.
 * - Verification: the assembled bytes must hash to every info-hash we know (SHA-1 for btih, SHA-256 for
 *   btmh). On mismatch the buffer is discarded; if one peer supplied every piece it is reported bad
 *   (`onBadPeer`) and never used again, otherwise all contributors become suspect. The next round uses
 *   non-suspect peers; when none is available it fetches the whole metadata from one suspect peer alone,
 *   which either clears it or proves it bad — so a single liar cannot stall the download forever.
 * - Memory: at most `maxMetadataSize` bytes of pieces, allocated per piece as they arrive.
 */
import { sha1, sha256 } from '#platform/sha';
import type { InfoHashes } from '../../metainfo/info-hash.js';
import {
  ACCEPT,
  checkDataMessage,
  decodeMetadataMessage,
  DEFAULT_MAX_METADATA_SIZE,
  encodeMetadataRequest,
  metadataPieceCount,
} from './ut-metadata-codec.js';
import type { MessageVerdict, MetadataMessage } from './ut-metadata-codec.js';
import { bytesEqual } from '../../bytes.js';

/** What the fetcher needs from the torrent. */
export interface MetadataFetcherOwner {
  /** Sends a ut_metadata payload to the peer (the owner wraps it in an extended message). */
  send(peerKey: string, payload: Uint8Array): void;
  /** Milliseconds, monotonic enough for timeouts. */
  now(): number;
  /** The verified info dict bytes (called once). */
  onMetadata(info: Uint8Array): void;
  /** A peer proven to have sent metadata that fails the hash (the owner should disconnect / ban it). */
  onBadPeer?(peerKey: string, reason: string): void;
  /** Assembled metadata failed the hash; `contributors` are now suspect. */
  onHashFailed?(contributors: readonly string[]): void;
}

/** Tunables (defaults in brackets). */
export interface MetadataFetcherOptions {
  /** The info-hashes to verify against (at least one). */
  infoHashes: InfoHashes;
  /** Largest metadata accepted [30 MiB, libtorrent's max_metadata_size]. */
  maxMetadataSize?: number;
  /** Requests outstanding per peer [2]. */
  maxOutstandingPerPeer?: number;
  /** A request unanswered this long is re-requested from another peer [20 000 ms]. */
  requestTimeoutMs?: number;
  /** After a reject or a timeout, the peer is not asked again for this long [60 000 ms]. */
  rejectBackoffMs?: number;
}

interface FetchPeer {
  readonly key: string;
  size: number | undefined;
  readonly outstanding: Map<number, number>; // piece -> sent at
  readonly late: Set<number>;
  backoffUntil: number;
  suspect: boolean;
}

/** Fetches, assembles and verifies one torrent's info dict over ut_metadata. */
export class MetadataFetcher {
  readonly #owner: MetadataFetcherOwner;
  readonly #infoHashes: InfoHashes;
  readonly #maxSize: number;
  readonly #perPeer: number;
  readonly #timeoutMs: number;
  readonly #backoffMs: number;
  readonly #peers = new Map<string, FetchPeer>();
  readonly #banned = new Set<string>();
  readonly #sizeOrder: number[] = [];
  #size: number | undefined;
  #pieces: (Uint8Array | undefined)[] = [];
  #from: (string | undefined)[] = [];
  #received = 0;
  #solo: string | undefined;
  #rr = 0;
  #state: 'fetching' | 'verifying' | 'done' = 'fetching';

  constructor(owner: MetadataFetcherOwner, options: MetadataFetcherOptions) {
    if (!options.infoHashes.v1 && !options.infoHashes.v2) throw new TypeError('MetadataFetcher needs an info-hash');
    this.#owner = owner;
    this.#infoHashes = options.infoHashes;
    this.#maxSize = options.maxMetadataSize ?? DEFAULT_MAX_METADATA_SIZE;
    this.#perPeer = Math.max(1, options.maxOutstandingPerPeer ?? 2);
    this.#timeoutMs = options.requestTimeoutMs ?? 20_000;
    this.#backoffMs = options.rejectBackoffMs ?? 60_000;
  }

  /** `fetching`, `verifying` (hashing the assembled bytes) or `done`. */
  get state(): 'fetching' | 'verifying' | 'done' {
    return this.#state;
  }
  /** The metadata size being fetched, once chosen. */
  get metadataSize(): number | undefined {
    return this.#size;
  }
  /** Pieces of the current round received so far. */
  get piecesReceived(): number {
    return this.#received;
  }
  /** True when `peerKey` contributed to metadata that failed the hash and has not been cleared. */
  isSuspect(peerKey: string): boolean {
    return this.#peers.get(peerKey)?.suspect ?? false;
  }

  /**
   * A peer that supports ut_metadata finished (or updated) its extension handshake. `metadataSize` is its
   * `metadata_size` (undefined when it did not say, or said something out of range).
   */
  addPeer(peerKey: string, metadataSize: number | undefined): void {
    if (this.#state === 'done' || this.#banned.has(peerKey)) return;
    const size = metadataSize !== undefined && Number.isSafeInteger(metadataSize) && metadataSize >= 1 && metadataSize <= this.#maxSize
      ? metadataSize
      : undefined;
    const p = this.#peers.get(peerKey);
    if (p) p.size = size;
    else this.#peers.set(peerKey, { key: peerKey, size, outstanding: new Map(), late: new Set(), backoffUntil: 0, suspect: false });
    if (size !== undefined && !this.#sizeOrder.includes(size)) this.#sizeOrder.push(size);
    this.tick();
  }

  /** The peer disconnected: its outstanding pieces become requestable from others. */
  removePeer(peerKey: string): void {
    if (!this.#peers.delete(peerKey)) return;
    if (this.#solo === peerKey) this.#solo = undefined;
    this.tick();
  }

  /** Decodes and handles a ut_metadata payload from `peerKey`; requests (msg_type 0) are not ours: ignored. */
  onMessage(peerKey: string, payload: Uint8Array): MessageVerdict {
    const r = decodeMetadataMessage(payload, { maxMetadataSize: this.#maxSize });
    return r.ok ? this.handle(peerKey, r.message) : r.verdict;
  }

  /** Handles a decoded message (data or reject); see {@link onMessage}. */
  handle(peerKey: string, msg: MetadataMessage): MessageVerdict {
    const p = this.#peers.get(peerKey);
    if (msg.type === 'request') return { action: 'ignore', reason: 'request_not_for_fetcher' };
    if (p === undefined || this.#state !== 'fetching' || this.#size === undefined) return { action: 'ignore', reason: 'not_fetching' };
    const asked = p.outstanding.has(msg.piece) || p.late.has(msg.piece);
    if (msg.type === 'reject') {
      if (!asked) return { action: 'ignore', reason: 'unsolicited_reject' };
      p.outstanding.delete(msg.piece);
      p.late.delete(msg.piece);
      p.backoffUntil = this.#owner.now() + this.#backoffMs;
      this.tick();
      return ACCEPT;
    }
    const v = checkDataMessage(msg, this.#size);
    if (v.action !== 'accept') return v;
    if (!asked) return { action: 'ignore', reason: 'unsolicited_data' };
    p.outstanding.delete(msg.piece);
    p.late.delete(msg.piece);
    if (this.#pieces[msg.piece] === undefined) {
      this.#pieces[msg.piece] = msg.block.slice();
      this.#from[msg.piece] = peerKey;
      this.#received++;
      this.#cancelOthers(msg.piece);
    }
    if (this.#received === this.#pieces.length) void this.#verify();
    else this.tick();
    return ACCEPT;
  }

  /** Times out old requests and sends new ones. Call about once a second. */
  tick(): void {
    if (this.#state !== 'fetching') return;
    this.#chooseSize();
    if (this.#size === undefined) return;
    const now = this.#owner.now();
    for (const p of this.#peers.values()) {
      for (const [piece, at] of p.outstanding) {
        if (now - at < this.#timeoutMs) continue;
        p.outstanding.delete(piece);
        if (p.late.size < 64) p.late.add(piece);
        p.backoffUntil = now + this.#backoffMs; // slow: let others take its pieces
      }
    }
    this.#schedule(now);
  }

  #cancelOthers(piece: number): void {
    for (const p of this.#peers.values()) {
      p.outstanding.delete(piece);
      p.late.delete(piece);
    }
  }

  #chooseSize(): void {
    const live = (size: number | undefined): number => {
      let n = 0;
      for (const p of this.#peers.values()) if (p.size === size && size !== undefined && !p.suspect) n++;
      return n;
    };
    if (this.#size !== undefined && this.#received > 0 && live(this.#size) > 0) return;
    let best: number | undefined;
    let bestVotes = 0;
    for (const s of this.#sizeOrder) {
      const v = live(s);
      if (v > bestVotes) [best, bestVotes] = [s, v];
    }
    if (best === undefined && this.#size === undefined) {
      // Only suspect peers are left: keep the size they announce, the solo round will settle it.
      for (const p of this.#peers.values()) if (p.size !== undefined) { best = p.size; break; }
    }
    if (best === undefined || best === this.#size) return;
    this.#reset(best);
  }

  #reset(size: number | undefined): void {
    this.#size = size;
    const n = size === undefined ? 0 : metadataPieceCount(size);
    this.#pieces = new Array<Uint8Array | undefined>(n).fill(undefined);
    this.#from = new Array<string | undefined>(n).fill(undefined);
    this.#received = 0;
    for (const p of this.#peers.values()) {
      p.outstanding.clear();
      p.late.clear();
    }
  }

  #eligible(now: number): FetchPeer[] {
    const size = this.#size;
    const all = [...this.#peers.values()].filter((p) => p.size === size && p.backoffUntil <= now);
    const honest = all.filter((p) => !p.suspect);
    if (honest.length > 0) {
      if (this.#solo !== undefined) {
        // back to unsuspected peers: forget what the suspect was asked, its answers are no longer wanted
        const solo = this.#peers.get(this.#solo);
        solo?.outstanding.clear();
        solo?.late.clear();
        this.#solo = undefined;
      }
      return honest;
    }
    if (this.#solo !== undefined) return all.filter((p) => p.key === this.#solo);
    // Nobody unsuspected: fetch everything from one suspect peer; the hash then clears or convicts it.
    const pick = all[0];
    if (pick === undefined) return [];
    if (this.#received > 0) this.#reset(this.#size); // a solo round must come from the solo peer alone
    this.#solo = pick.key;
    return [pick];
  }

  #schedule(now: number): void {
    const peers = this.#eligible(now);
    if (peers.length === 0) return;
    const busy = new Set<number>();
    for (const p of this.#peers.values()) for (const piece of p.outstanding.keys()) busy.add(piece);
    for (let piece = 0; piece < this.#pieces.length; piece++) {
      if (this.#pieces[piece] !== undefined || busy.has(piece)) continue;
      let chosen: FetchPeer | undefined;
      for (let k = 0; k < peers.length; k++) {
        const p = peers[(this.#rr + k) % peers.length]!;
        if (p.outstanding.size < this.#perPeer) {
          chosen = p;
          this.#rr = (this.#rr + k + 1) % peers.length;
          break;
        }
      }
      if (chosen === undefined) return; // everyone is full
      chosen.outstanding.set(piece, now);
      chosen.late.delete(piece);
      this.#owner.send(chosen.key, encodeMetadataRequest(piece));
    }
  }

  async #verify(): Promise<void> {
    this.#state = 'verifying';
    const bytes = new Uint8Array(this.#size ?? 0);
    let off = 0;
    for (const b of this.#pieces) {
      bytes.set(b!, off);
      off += b!.length;
    }
    const ih = this.#infoHashes;
    const [h1, h2] = await Promise.all([ih.v1 ? sha1(bytes) : undefined, ih.v2 ? sha256(bytes) : undefined]);
    const ok = (!ih.v1 || bytesEqual(h1!, ih.v1)) && (!ih.v2 || bytesEqual(h2!, ih.v2));
    if (ok) {
      this.#state = 'done';
      this.#peers.clear();
      this.#pieces = [];
      this.#owner.onMetadata(bytes);
      return;
    }
    const contributors = [...new Set(this.#from.filter((k): k is string => k !== undefined))];
    this.#state = 'fetching';
    this.#solo = undefined;
    if (contributors.length === 1) {
      const bad = contributors[0]!;
      this.#banned.add(bad);
      this.#peers.delete(bad);
      this.#owner.onBadPeer?.(bad, 'metadata_hash_failed');
    } else {
      for (const k of contributors) {
        const p = this.#peers.get(k);
        if (p) p.suspect = true;
      }
    }
    this.#owner.onHashFailed?.(contributors);
    this.#reset(undefined);
    this.tick();
  }
}

