/**
 * Answering BEP 52 hash requests (id 21) from the piece layers we hold, so peers that joined a v2 torrent
 * by magnet can fetch its layers from us (piece-layers.ts is the asking side).
 *
 * - Served: requests at the piece layer (base layer log2(pieceLength / 16 KiB)) of a file whose layer we
 *   have, for a range inside the layer padded to a power of two, with at most as many proof layers as the
 *   tree has above the range. The reply holds the range (pad hashes past the last piece) and the uncle
 *   hashes up to the root (merkle-proof.ts). A file's tree layers are built once, on first request.
 * - Rejected (hash reject, as BEP 52 requires an answer): block-layer and other layers (we keep no block
 *   hashes), unknown roots, files without a layer (a hybrid magnet's), ranges beyond the layer, and requests
 *   beyond `maxPending` unanswered per peer.
 * - A malformed request (bad size, length not a power of two, index not a multiple of it) throws
 *   `invalid_message`: the caller's peer layer closes that connection.
 * - Hashes (22) and hash rejects (23) are ignored here: we asked nothing.
 * - The merkle code (merkle-proof.ts) is loaded with the first request we answer (../../lazy.ts): only a
 *   v2 torrent's peers fetching its layers ever cause one; every other request is rejected synchronously.
 * - This module (with wire/hash-messages.ts) is itself loaded on first use by hash-serving.ts, the swarm's
 *   side: at once for a v2 or hybrid torrent, else with the first hash request.
 */
import { binaryKey } from '../../metainfo/bencode.js';
import { MERKLE_BLOCK } from '../../metainfo/merkle-geometry.js';
import type { FileEntry } from '../../metainfo/torrent-info.js';
import { HashMessageId, decodeHashRequest, encodeHashReject, encodeHashes, uncleCount } from '../../wire/hash-messages.js';
import type { HashRequest } from '../../wire/hash-messages.js';
import { lazy } from '../../lazy.js';

const loadMerkleProof = lazy(() => import('./merkle-proof.js'));

/** What the server reads from the torrent's metadata. */
export interface HashServerMeta {
  readonly files: readonly Pick<FileEntry, 'length' | 'pad' | 'piecesRoot'>[];
  readonly pieceLength: number;
  pieceLayer(file: number): Uint8Array | undefined;
}

/** Serves hash requests for one torrent (see the module notes). `P` is the owner's peer object. */
export class HashServer<P extends object> {
  readonly #meta: HashServerMeta;
  readonly #send: (peer: P, message: Uint8Array) => void;
  readonly #fileOf = new Map<string, number>();
  readonly #trees = new Map<number, Promise<Uint8Array[]>>();
  readonly #pending = new WeakMap<P, number>();
  readonly #maxPending: number;
  readonly #pieceLayer: number;

  constructor(meta: HashServerMeta, send: (peer: P, message: Uint8Array) => void, maxPending = 16) {
    this.#meta = meta;
    this.#send = send;
    this.#maxPending = maxPending;
    this.#pieceLayer = Math.log2(meta.pieceLength / MERKLE_BLOCK);
    meta.files.forEach((f, i) => {
      if (!f.pad && f.piecesRoot !== undefined && f.length > meta.pieceLength && !this.#fileOf.has(binaryKey(f.piecesRoot))) {
        this.#fileOf.set(binaryKey(f.piecesRoot), i);
      }
    });
  }

  /** A message with id 21–23 from `peer`. Throws `invalid_message` for a malformed hash request. */
  message(peer: P, id: number, payload: Uint8Array): void {
    if (id !== HashMessageId.hashRequest) return;
    const r = decodeHashRequest(payload);
    const req: HashRequest = { ...r, piecesRoot: r.piecesRoot.slice() };
    const n = this.#pending.get(peer) ?? 0;
    const file = this.#fileOf.get(binaryKey(req.piecesRoot));
    const layer = file === undefined ? undefined : this.#meta.pieceLayer(file);
    if (n >= this.#maxPending || file === undefined || layer === undefined || req.baseLayer !== this.#pieceLayer) {
      this.#send(peer, encodeHashReject(req));
      return;
    }
    this.#pending.set(peer, n + 1);
    void this.#answer(file, layer, req).then(
      (hashes) => this.#send(peer, hashes ? encodeHashes(req, hashes) : encodeHashReject(req)),
      () => this.#send(peer, encodeHashReject(req)),
    ).finally(() => this.#pending.set(peer, Math.max(0, (this.#pending.get(peer) ?? 1) - 1)));
  }

  async #answer(file: number, layer: Uint8Array, req: HashRequest): Promise<Uint8Array | undefined> {
    const proofs = await loadMerkleProof();
    let tree = this.#trees.get(file);
    if (!tree) {
      tree = proofs.treeLayers(layer, this.#pieceLayer);
      this.#trees.set(file, tree);
    }
    return proofs.buildProof(await tree, req.index, req.length, uncleCount(req.length, req.proofLayers));
  }
}
