/**
 * The interface the torrent implements to own peer connections. The peer layer sits below the torrent: it
 * never imports src/torrent or src/session, and learns everything about the torrent through these methods.
 *
 * Calls are synchronous and happen on the receive path, in wire order. Views (`bits`, `block`, `payload`)
 * are valid only until the method returns: copy what you keep. A method that throws closes that one peer with
 * kind `owner_error`; nothing else is affected. An owner may call back into the peer (request, choke, close)
 * from any method; after `close` no further method is called except `onClose`, once.
 */
import type { PeerCloseReason } from './close-reason.js';
import type { PeerSettings } from './limits.js';
import type { DecodedExtensionHandshake } from '../wire/extensions/extension-handshake.js';
import type { PeerConnection } from './peer-connection.js';

/** What a peer connection needs to know about its torrent. */
export interface PeerOwnerQueries {
  /** The 20-byte info-hash the handshake carries (v1, or v2 truncated). */
  readonly infoHash: Uint8Array;
  /** Number of pieces, or undefined while the metadata is unknown (magnet link). */
  pieceCount(): number | undefined;
  /** Size in bytes of piece `index` (only called once `pieceCount()` is known, with index below it). */
  pieceSize(index: number): number;
  /** True when we have verified piece `index` and can serve it. */
  havePiece(index: number): boolean;
  /**
   * Our bitfield bytes to send as the first message (ceil(pieceCount / 8) bytes, spare bits zero), or
   * undefined while the metadata is unknown. The connection sends have-all / have-none instead when the fast
   * extension allows and the bitfield is full / empty.
   */
  bitfield(): Uint8Array | undefined;
  /** Size of the info dict when we have it (BEP 9 `metadata_size`). */
  metadataSize(): number | undefined;
  /** Extensions we support: name → the id we want to receive it on (1..255), e.g. `ut_metadata` → 1. */
  extensions(): ReadonlyMap<string, number>;
  /** Per-torrent overrides of the connection settings, read once when the owner is bound. */
  settings?(): Partial<PeerSettings>;
  /**
   * Reads a block we have, for upload. Must resolve with exactly `length` bytes (a view is fine: the
   * connection does not modify it). A rejection makes the connection reject (fast) or skip that request.
   */
  readBlock(index: number, begin: number, length: number): Promise<Uint8Array>;
}

/** Events a peer connection reports to its torrent. */
export interface PeerOwnerEvents {
  /**
   * Both handshakes done (the remote peer id and capabilities are known) and our first messages are queued.
   * Return false to refuse the peer (closed with kind `rejected`).
   */
  onConnected?(peer: PeerConnection): boolean | void;
  /** The remote's BEP 10 extension handshake (the first, and any later update). */
  onExtensionHandshake?(peer: PeerConnection, handshake: DecodedExtensionHandshake): void;
  /** The remote's bitfield (view valid during the call; the connection keeps its own copy in `peer.bitfield`). */
  onBitfield(peer: PeerConnection, bits: Uint8Array): void;
  /** BEP 6 have-all: the remote is a seed. */
  onHaveAll(peer: PeerConnection): void;
  /** BEP 6 have-none (also implied when a fast peer sends no bitfield — not reported then). */
  onHaveNone?(peer: PeerConnection): void;
  /** A have for a piece the remote did not have before (duplicates are not reported). */
  onHave(peer: PeerConnection, index: number): void;
  /** The remote choked us. Without the fast extension its outstanding requests were discarded (BEP 3). */
  onPeerChoked(peer: PeerConnection): void;
  /** The remote unchoked us. */
  onPeerUnchoked(peer: PeerConnection): void;
  /** The remote's interest in us changed (`peer.peerInterested`). */
  onPeerInterest?(peer: PeerConnection, interested: boolean): void;
  /** A block we requested arrived (view valid during the call). Unrequested blocks are dropped, not reported. */
  onBlock(peer: PeerConnection, index: number, begin: number, block: Uint8Array): void;
  /**
   * The remote asked for a block that passed validation (in range, we have the piece, queue not full).
   * Return false to refuse it (rejected with the fast extension, else ignored); anything else queues it.
   */
  onRequest?(peer: PeerConnection, index: number, begin: number, length: number): boolean | void;
  /** We sent a block (upload accounting). */
  onBlockSent?(peer: PeerConnection, index: number, begin: number, length: number): void;
  /** BEP 6: the remote rejected one of our outstanding requests. */
  onReject(peer: PeerConnection, index: number, begin: number, length: number): void;
  /** BEP 6: the remote allows us to request `index` while choked. */
  onAllowedFast?(peer: PeerConnection, index: number): void;
  /** BEP 6: the remote suggests `index`. */
  onSuggest?(peer: PeerConnection, index: number): void;
  /** A BEP 10 extended message for one of our extensions, by name (payload view valid during the call). */
  onExtended?(peer: PeerConnection, name: string, payload: Uint8Array): void;
  /** A message id the codec does not know (e.g. BEP 52 hash request/hashes/hash reject, ids 21–23). */
  onUnknownMessage?(peer: PeerConnection, id: number, payload: Uint8Array): void;
  /** BEP 5: the remote's DHT port. */
  onDhtPort?(peer: PeerConnection, port: number): void;
  /**
   * Requests are outstanding, the remote lets us download, and no block arrived for `stallTimeoutMs`.
   * Reported once per stall; a block arriving ends the stall.
   */
  onStall?(peer: PeerConnection, outstanding: number, stalledMs: number): void;
  /** The connection closed; called exactly once, after which the peer is inert. */
  onClose(peer: PeerConnection, reason: PeerCloseReason): void;
}

/** The torrent side of a peer connection. */
export interface PeerOwner extends PeerOwnerQueries, PeerOwnerEvents {}

/**
 * Routes an incoming connection by the info-hash in its handshake (the first 48 bytes): the owner serving
 * that torrent, or undefined to drop the connection (kind `unknown_info_hash`).
 */
export type PeerRouter = (infoHash: Uint8Array) => PeerOwner | undefined;
