/**
 * Fetching BEP 52 piece layers from peers, for a v2 torrent added by magnet: its info dict (from
 * ut_metadata) holds each file's pieces root but not the piece layers, without which no piece can be
 * verified (../STATE.md, invariant 1).
 *
 * - Work: every non-pad file longer than one piece needs its layer (pieces hashes, padded to a power of two
 *   with pad hashes). The padded layer is split into chunks of `chunk` hashes (512, as libtorrent asks);
 *   each chunk is one hash request at the piece layer with `proofLayers = log2(width) − 1`, so the reply's
 *   uncle hashes lead from the chunk up to the file's pieces root. Files with the same root share work.
 * - Peers: the owner adds the peers it trusts to speak v2 (a v2-only torrent: every peer, its handshake
 *   carries the v2 info-hash; a hybrid one: those with the v2 handshake bit). At most `perPeer` requests
 *   are outstanding per peer; a chunk goes to the least busy peer that has not rejected it recently.
 * - Replies: a hashes message must match an outstanding request of that peer exactly; it is then checked
 *   against the root (merkle-proof.ts). A proof that fails, or a malformed message, makes the peer bad:
 *   the owner drops it (onBadPeer) and the chunk goes to another peer. A reject, or no answer within
 *   `timeoutMs`, puts the chunk back and keeps that peer off it for `retryMs`. Replies nobody asked for
 *   (late, after a time-out) are ignored.
 * - Hash requests from others are answered with hash reject: we have no layers yet.
 * - Done: when every chunk is verified, `onDone` receives file index → layer (unpadded, 32 bytes a piece).
 */
import type { TorrentInfo } from '../../metainfo/torrent-info.js';
import { HASH_LEN, MERKLE_BLOCK, nextPow2 } from '../../metainfo/merkle.js';
import { binaryKey } from '../../metainfo/bencode.js';
import {
  HashMessageId, MAX_HASHES_PER_REQUEST, decodeHashRequest, decodeHashes, encodeHashReject, encodeHashRequest, sameHashRequest,
} from '../../wire/hash-messages.js';
import type { HashRequest } from '../../wire/hash-messages.js';
import { verifyProof } from './merkle-proof.js';

/** A file whose piece layer is needed. */
export interface LayerFile {
  /** File index in the torrent. */
  readonly file: number;
  readonly piecesRoot: Uint8Array;
  /** Pieces of the file (hashes in its layer). */
  readonly pieces: number;
}

/** The files of `meta` that need a piece layer and lack one. */
export function missingLayerFiles(meta: Pick<TorrentInfo, 'files' | 'pieceLength' | 'pieceLayer'>): LayerFile[] {
  const out: LayerFile[] = [];
  meta.files.forEach((f, i) => {
    if (f.pad || f.piecesRoot === undefined || f.length <= meta.pieceLength || meta.pieceLayer(i) !== undefined) return;
    out.push({ file: i, piecesRoot: f.piecesRoot, pieces: Math.ceil(f.length / meta.pieceLength) });
  });
  return out;
}

/** What the fetcher needs from its owner. `P` is the owner's peer object. */
export interface PieceLayerFetcherHost<P> {
  /** Sends a whole wire message to `peer`. */
  send(peer: P, message: Uint8Array): void;
  /** Every layer arrived and verified: file index → layer. Called once. */
  onDone(layers: Map<number, Uint8Array>): void;
  /** `peer` sent hashes that fail their proof, or a malformed hash message: the owner drops it. */
  onBadPeer(peer: P, reason: string): void;
  now(): number;
}

/** Tuning (defaults in brackets). */
export interface PieceLayerFetcherOptions {
  /** Hashes per request, a power of two ≤ 512 [512]. */
  chunk?: number;
  /** Time to wait for an answer [10 s]. */
  timeoutMs?: number;
  /** Requests outstanding per peer [4]. */
  perPeer?: number;
  /** How long a peer that rejected (or did not answer) a chunk is not asked for it again [5 s]. */
  retryMs?: number;
}

interface Chunk {
  readonly req: HashRequest;
  readonly layer: Uint8Array;
  /** Real pieces in this chunk (the rest of the range is padding). */
  readonly real: number;
  /** Height of the file's tree above the piece layer. */
  readonly height: number;
  state: 'pending' | 'asked' | 'verifying' | 'done';
  peer: unknown;
  deadline: number;
  readonly avoid: Map<unknown, number>;
}

/** Fetches and verifies the piece layers of some files (see the module notes). */
export class PieceLayerFetcher<P> {
  readonly #h: PieceLayerFetcherHost<P>;
  readonly #files: readonly LayerFile[];
  readonly #layers = new Map<string, Uint8Array>();
  readonly #chunks: Chunk[] = [];
  readonly #peers = new Map<P, number>();
  readonly #timeoutMs: number;
  readonly #perPeer: number;
  readonly #retryMs: number;
  readonly #chunk: number;
  #left = 0;
  #closed = false;

  constructor(files: readonly LayerFile[], pieceLength: number, host: PieceLayerFetcherHost<P>, opts: PieceLayerFetcherOptions = {}) {
    this.#h = host;
    this.#files = files;
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    this.#perPeer = Math.max(1, opts.perPeer ?? 4);
    this.#retryMs = opts.retryMs ?? 5_000;
    const chunk = opts.chunk ?? MAX_HASHES_PER_REQUEST;
    if (chunk < 1 || chunk > MAX_HASHES_PER_REQUEST || (chunk & (chunk - 1)) !== 0) throw new RangeError('chunk must be a power of two in 1..512');
    this.#chunk = chunk;
    const baseLayer = Math.log2(pieceLength / MERKLE_BLOCK);
    for (const f of files) {
      const key = binaryKey(f.piecesRoot);
      if (this.#layers.has(key)) continue;
      const layer = new Uint8Array(f.pieces * HASH_LEN);
      this.#layers.set(key, layer);
      const width = nextPow2(f.pieces);
      const height = Math.log2(width);
      const length = Math.min(chunk, width);
      for (let index = 0; index < f.pieces; index += length) {
        this.#chunks.push({
          req: { piecesRoot: f.piecesRoot, baseLayer, index, length, proofLayers: height - 1 },
          layer,
          real: Math.min(length, f.pieces - index),
          height,
          state: 'pending',
          peer: undefined,
          deadline: 0,
          avoid: new Map(),
        });
      }
    }
    this.#left = this.#chunks.length;
  }

  /** Whether every layer is verified. */
  get done(): boolean {
    return this.#left === 0;
  }

  /** Chunks not yet verified. */
  get remaining(): number {
    return this.#left;
  }

  /** A peer that may be asked. */
  addPeer(peer: P): void {
    if (this.#closed || this.#peers.has(peer)) return;
    this.#peers.set(peer, 0);
    this.#schedule();
  }

  /** A peer went away: its outstanding chunks go back to the queue. */
  removePeer(peer: P): void {
    if (!this.#peers.delete(peer)) return;
    for (const c of this.#chunks) {
      c.avoid.delete(peer);
      if (c.state === 'asked' && c.peer === peer) this.#requeue(c);
    }
    this.#schedule();
  }

  /** A hash message (id 21–23) from `peer`; other ids are ignored. */
  message(peer: P, id: number, payload: Uint8Array): void {
    if (this.#closed) return;
    try {
      if (id === HashMessageId.hashRequest) this.#h.send(peer, encodeHashReject(decodeHashRequest(payload)));
      else if (id === HashMessageId.hashReject) this.#rejected(peer, decodeHashRequest(payload, { maxLength: this.#chunk }));
      else if (id === HashMessageId.hashes) this.#hashes(peer, payload);
    } catch (err) {
      this.#bad(peer, err instanceof Error ? err.message : String(err));
    }
  }

  /** Time-outs and new requests; call about once a second. */
  tick(): void {
    if (this.#closed) return;
    const now = this.#h.now();
    for (const c of this.#chunks) {
      if (c.state !== 'asked' || c.deadline > now) continue;
      c.avoid.set(c.peer, now + this.#retryMs);
      this.#requeue(c);
    }
    this.#schedule();
  }

  /** Stops: nothing more is sent or reported. */
  close(): void {
    this.#closed = true;
    this.#peers.clear();
  }

  #hashes(peer: P, payload: Uint8Array): void {
    const reply = decodeHashes(payload, { maxLength: this.#chunk });
    const c = this.#chunks.find((x) => x.state === 'asked' && x.peer === peer && sameHashRequest(x.req, reply));
    if (!c) return; // late (timed out) or unsolicited: bounded by the decoder's message limit, ignored
    c.state = 'verifying';
    this.#release(peer);
    const hashes = reply.hashes.slice(); // the payload is a view valid only during this call
    void verifyProof({ ...c.req, hashes }, c.req.piecesRoot, c.height).then((ok) => {
      if (this.#closed) return;
      if (!ok) {
        c.state = 'pending';
        // Several replies of one liar may be in verification: drop it once.
        if (this.#peers.has(peer)) this.#bad(peer, `hashes for index ${c.req.index} do not prove against the pieces root`);
        else this.#schedule();
        return;
      }
      c.layer.set(hashes.subarray(0, c.real * HASH_LEN), c.req.index * HASH_LEN);
      c.state = 'done';
      if (--this.#left === 0) this.#finish();
      else this.#schedule();
    });
  }

  #rejected(peer: P, r: HashRequest): void {
    const c = this.#chunks.find((x) => x.state === 'asked' && x.peer === peer && sameHashRequest(x.req, r));
    if (!c) return;
    c.avoid.set(peer, this.#h.now() + this.#retryMs);
    this.#requeue(c);
    this.#schedule();
  }

  #bad(peer: P, reason: string): void {
    this.removePeer(peer);
    this.#h.onBadPeer(peer, reason);
  }

  #requeue(c: Chunk): void {
    if (c.state === 'asked') this.#release(c.peer as P);
    c.state = 'pending';
    c.peer = undefined;
  }

  #release(peer: P): void {
    const n = this.#peers.get(peer);
    if (n !== undefined) this.#peers.set(peer, Math.max(0, n - 1));
  }

  #schedule(): void {
    if (this.#closed || this.#peers.size === 0) return;
    const now = this.#h.now();
    for (const c of this.#chunks) {
      if (c.state !== 'pending') continue;
      let best: P | undefined;
      let load = this.#perPeer;
      for (const [p, n] of this.#peers) {
        if (n >= load || (c.avoid.get(p) ?? 0) > now) continue;
        best = p;
        load = n;
      }
      if (best === undefined) continue;
      this.#peers.set(best, load + 1);
      c.state = 'asked';
      c.peer = best;
      c.deadline = now + this.#timeoutMs;
      this.#h.send(best, encodeHashRequest(c.req));
    }
  }

  #finish(): void {
    this.#closed = true;
    const out = new Map<number, Uint8Array>();
    for (const f of this.#files) out.set(f.file, this.#layers.get(binaryKey(f.piecesRoot))!);
    this.#h.onDone(out);
  }
}
