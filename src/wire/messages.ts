/**
 * Peer wire message vocabulary (BEP 3, BEP 6 fast extension, BEP 10 extension protocol): message ids,
 * default limits, the {@link WireHandler} the decoder dispatches to, and the {@link WireMessage} union the
 * encoder accepts. Types and constants only; see WIRE.md for the parser's states and limits.
 */

/** Message ids of the peer wire protocol. Keep-alive has no id (a zero length prefix). */
export const MessageId = {
  choke: 0,
  unchoke: 1,
  interested: 2,
  notInterested: 3,
  have: 4,
  bitfield: 5,
  request: 6,
  piece: 7,
  cancel: 8,
  /** BEP 5: the sender's DHT port. */
  port: 9,
  /** BEP 6 (fast extension). */
  suggest: 13,
  /** BEP 6 (fast extension). */
  haveAll: 14,
  /** BEP 6 (fast extension). */
  haveNone: 15,
  /** BEP 6 (fast extension). */
  reject: 16,
  /** BEP 6 (fast extension). */
  allowedFast: 17,
  /** BEP 10 (extension protocol). */
  extended: 20,
} as const;

/** One of the numeric ids in {@link MessageId}. */
export type KnownMessageId = (typeof MessageId)[keyof typeof MessageId];

/** The standard block size: the largest request libtorrent and most clients serve (16 KiB). */
export const BLOCK_SIZE = 16 * 1024;

/** Default largest block accepted in a `piece` message and largest length allowed in a `request`. */
export const DEFAULT_MAX_BLOCK_SIZE = BLOCK_SIZE;
/** Default limit for messages without a tighter rule (bitfield before the piece count is known, unknown ids). */
export const DEFAULT_MAX_MESSAGE_SIZE = 1024 * 1024;
/** Default limit for a BEP 10 extended message (id byte + extension id + payload). */
export const DEFAULT_MAX_EXTENDED_SIZE = 2 * 1024 * 1024;
/** Hard ceiling: a length prefix at or above 2^31 is always rejected, whatever the settings say. */
export const MAX_LENGTH_PREFIX = 0x7fffffff;

/**
 * Receives decoded messages from a {@link WireDecoder}. One object per connection; the decoder calls its
 * methods synchronously, in wire order, without allocating closures or promises.
 *
 * Views (`bits`, `block`, `payload`) may point into the socket's receive buffers: they are valid only until
 * the method returns. Copy (`slice()`) anything kept longer. A method that throws makes the decoder fail.
 */
export interface WireHandler {
  /** A zero-length message. */
  onKeepAlive(): void;
  onChoke(): void;
  onUnchoke(): void;
  onInterested(): void;
  onNotInterested(): void;
  /** `index` is below the piece count when the decoder knows it. */
  onHave(index: number): void;
  /** Raw bitfield bytes (high bit of byte 0 = piece 0). Size and spare bits checked when the piece count is known. */
  onBitfield(bits: Uint8Array): void;
  /** `length` is in 1..maxBlockSize. */
  onRequest(index: number, begin: number, length: number): void;
  /** `block` is a view valid until this method returns; copy to keep. Its length is in 1..maxBlockSize. */
  onPiece(index: number, begin: number, block: Uint8Array): void;
  onCancel(index: number, begin: number, length: number): void;
  /** BEP 5 DHT port (0..65535, unvalidated). */
  onPort(port: number): void;
  /** BEP 6; only when fast was negotiated. */
  onSuggest(index: number): void;
  /** BEP 6; only when fast was negotiated. */
  onHaveAll(): void;
  /** BEP 6; only when fast was negotiated. */
  onHaveNone(): void;
  /** BEP 6; only when fast was negotiated. */
  onReject(index: number, begin: number, length: number): void;
  /** BEP 6; only when fast was negotiated. */
  onAllowedFast(index: number): void;
  /** BEP 10: `id` is the extended message id (0 = extension handshake); `payload` is a view. */
  onExtended(id: number, payload: Uint8Array): void;
  /** A message id this codec does not know (e.g. BEP 52 hash messages); `payload` is a view. */
  onUnknown(id: number, payload: Uint8Array): void;
}

/** A block address: piece index, byte offset in the piece, length. */
export interface BlockRef {
  readonly index: number;
  readonly begin: number;
  readonly length: number;
}

/** A decoded or to-be-encoded message, as plain data (tests, batching). The hot path uses {@link WireHandler}. */
export type WireMessage =
  | { readonly type: 'keepAlive' }
  | { readonly type: 'choke' }
  | { readonly type: 'unchoke' }
  | { readonly type: 'interested' }
  | { readonly type: 'notInterested' }
  | { readonly type: 'have'; readonly index: number }
  | { readonly type: 'bitfield'; readonly bits: Uint8Array }
  | { readonly type: 'request'; readonly index: number; readonly begin: number; readonly length: number }
  | { readonly type: 'piece'; readonly index: number; readonly begin: number; readonly block: Uint8Array }
  | { readonly type: 'cancel'; readonly index: number; readonly begin: number; readonly length: number }
  | { readonly type: 'port'; readonly port: number }
  | { readonly type: 'suggest'; readonly index: number }
  | { readonly type: 'haveAll' }
  | { readonly type: 'haveNone' }
  | { readonly type: 'reject'; readonly index: number; readonly begin: number; readonly length: number }
  | { readonly type: 'allowedFast'; readonly index: number }
  | { readonly type: 'extended'; readonly id: number; readonly payload: Uint8Array }
  | { readonly type: 'unknown'; readonly id: number; readonly payload: Uint8Array };

/** Bytes a bitfield needs for `pieceCount` pieces. */
export function bitfieldBytes(pieceCount: number): number {
  return Math.ceil(pieceCount / 8);
}
