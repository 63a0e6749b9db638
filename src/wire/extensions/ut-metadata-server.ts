/**
 * BEP 9 serving side: answers other peers' metadata requests from our info dict bytes.
 *
 * Design notes
 * - No metadata yet (magnet still fetching) → every request is rejected (msg_type 2), as BEP 9 asks.
 * - A piece beyond our piece count → rejected; the codec already dropped peers sending impossible pieces.
 * - Rate limit per peer: a token bucket holding `2 × pieceCount + 8` requests (a whole download twice over),
 *   refilled at that many per `refillWindowMs` (60 s). A request without a token is rejected. A peer whose
 *   rejected-for-rate count in one window exceeds the bucket size again is flooding: verdict `drop`.
 * - Blocks are sent as views of the info bytes, encoded once per request (header + block in one buffer).
 */
import {
  ACCEPT,
  decodeMetadataMessage,
  DEFAULT_MAX_METADATA_SIZE,
  encodeMetadataData,
  encodeMetadataReject,
  METADATA_PIECE_SIZE,
  metadataPieceCount,
  metadataPieceLength,
} from './ut-metadata-codec.js';
import type { MessageVerdict, MetadataMessage } from './ut-metadata-codec.js';

/** What the server needs from the torrent. */
export interface MetadataServerOwner {
  /** Sends a ut_metadata payload to the peer. */
  send(peerKey: string, payload: Uint8Array): void;
  /** Milliseconds. */
  now(): number;
}

/** Tunables (defaults in brackets). */
export interface MetadataServerOptions {
  /** Our info dict bytes, when we have them. */
  info?: Uint8Array;
  /** Window over which a peer's bucket refills completely [60 000 ms]. */
  refillWindowMs?: number;
  /** Largest metadata accepted by the codec [30 MiB]. */
  maxMetadataSize?: number;
}

interface Bucket {
  tokens: number;
  at: number;
  refused: number;
  windowStart: number;
}

/** Serves ut_metadata requests for one torrent. */
export class MetadataServer {
  readonly #owner: MetadataServerOwner;
  readonly #windowMs: number;
  readonly #maxSize: number;
  readonly #buckets = new Map<string, Bucket>();
  #info: Uint8Array | undefined;

  constructor(owner: MetadataServerOwner, options: MetadataServerOptions = {}) {
    this.#owner = owner;
    this.#windowMs = options.refillWindowMs ?? 60_000;
    this.#maxSize = options.maxMetadataSize ?? DEFAULT_MAX_METADATA_SIZE;
    this.#info = options.info;
  }

  /** Sets (or clears) the info dict bytes we serve, e.g. once a magnet's metadata is verified. */
  setInfo(info: Uint8Array | undefined): void {
    this.#info = info;
  }

  /** Our `metadata_size` for the extension handshake, when we have the metadata. */
  get metadataSize(): number | undefined {
    return this.#info?.length;
  }

  /** Forgets a disconnected peer's bucket. */
  removePeer(peerKey: string): void {
    this.#buckets.delete(peerKey);
  }

  /** Decodes and handles a payload; data and reject messages are not for the server (ignored). */
  onMessage(peerKey: string, payload: Uint8Array): MessageVerdict {
    const r = decodeMetadataMessage(payload, { maxMetadataSize: this.#maxSize });
    return r.ok ? this.handle(peerKey, r.message) : r.verdict;
  }

  /** Answers a decoded request: data, or a reject (no metadata, out of range, rate-limited). */
  handle(peerKey: string, msg: MetadataMessage): MessageVerdict {
    if (msg.type !== 'request') return { action: 'ignore', reason: 'not_a_request' };
    const info = this.#info;
    if (info === undefined) {
      this.#owner.send(peerKey, encodeMetadataReject(msg.piece));
      return { action: 'ignore', reason: 'no_metadata' };
    }
    const count = metadataPieceCount(info.length);
    if (msg.piece >= count) {
      this.#owner.send(peerKey, encodeMetadataReject(msg.piece));
      return { action: 'ignore', reason: 'piece_out_of_range' };
    }
    const capacity = 2 * count + 8;
    const now = this.#owner.now();
    let b = this.#buckets.get(peerKey);
    if (b === undefined) {
      b = { tokens: capacity, at: now, refused: 0, windowStart: now };
      this.#buckets.set(peerKey, b);
    }
    b.tokens = Math.min(capacity, b.tokens + ((now - b.at) * capacity) / this.#windowMs);
    b.at = now;
    if (now - b.windowStart >= this.#windowMs) {
      b.windowStart = now;
      b.refused = 0;
    }
    if (b.tokens < 1) {
      b.refused++;
      this.#owner.send(peerKey, encodeMetadataReject(msg.piece));
      if (b.refused > capacity) return { action: 'drop', reason: 'request_flood' };
      return { action: 'ignore', reason: 'rate_limited' };
    }
    b.tokens -= 1;
    const start = msg.piece * METADATA_PIECE_SIZE;
    const block = info.subarray(start, start + metadataPieceLength(info.length, msg.piece));
    this.#owner.send(peerKey, encodeMetadataData(msg.piece, info.length, block));
    return ACCEPT;
  }
}
