/**
 * BEP 9 (ut_metadata) message codec: the payload of an extended message whose id the remote assigned to
 * `ut_metadata`. A bencoded dict `{msg_type, piece[, total_size]}`; a data message (msg_type 1) is followed
 * by the raw metadata block.
 *
 * Decoding never throws: it returns a {@link MetadataDecodeResult} whose failure side carries a verdict.
 *   - `ignore`: drop this message, keep the peer (unknown msg_type, as BEP 9 asks; trailing bytes after a
 *     request / reject).
 *   - `drop`: the peer sent something no correct client sends (not bencode, not a dict, missing or
 *     non-integer / negative / impossible piece, total_size ≤ 0 or over the limit, a block over 16 KiB):
 *     disconnect it (HOSTILE-INPUTS 22).
 * Checks that need the torrent's state (piece beyond this metadata's piece count, total_size differing from
 * the size we fetch, a block of the wrong length for its piece) live in {@link checkDataMessage} and the
 * fetcher.
 *
 * Limit: {@link DEFAULT_MAX_METADATA_SIZE} is libtorrent's `max_metadata_size` default, 30 MiB
 * (3 * 1024 * 10240), the same cap the extension handshake applies to `metadata_size`.
 */
import { bdecode, bencode, isDict } from '../../metainfo/bencode.js';
import type { BValue } from '../../metainfo/bencode.js';
import { isTorrentError, TorrentError } from '../../errors.js';
import { DEFAULT_MAX_METADATA_SIZE } from './extension-handshake.js';

export { DEFAULT_MAX_METADATA_SIZE };

/** Extension name in the BEP 10 `m` dict. */
export const UT_METADATA = 'ut_metadata';
/** Metadata is exchanged in 16 KiB pieces; only the last may be shorter. */
export const METADATA_PIECE_SIZE = 16 * 1024;
/** Longest bencoded header we parse (a real one is under 60 bytes). */
const MAX_HEADER_TOKENS = 32;

/** A decoded ut_metadata message. `block` is a view into the payload: copy it to keep it. */
export type MetadataMessage =
  | { readonly type: 'request'; readonly piece: number }
  | { readonly type: 'data'; readonly piece: number; readonly totalSize: number; readonly block: Uint8Array }
  | { readonly type: 'reject'; readonly piece: number };

/** What to do with a message (or a peer) after looking at it. */
export type MessageVerdict =
  | { readonly action: 'accept' }
  | { readonly action: 'ignore'; readonly reason: string }
  | { readonly action: 'drop'; readonly reason: string };

/** Result of {@link decodeMetadataMessage}. */
export type MetadataDecodeResult =
  | { readonly ok: true; readonly message: MetadataMessage }
  | { readonly ok: false; readonly verdict: Exclude<MessageVerdict, { action: 'accept' }> };

/** Limits for {@link decodeMetadataMessage}. */
export interface MetadataCodecLimits {
  /** Largest `total_size` accepted (default {@link DEFAULT_MAX_METADATA_SIZE}). */
  maxMetadataSize?: number;
}

/** The verdict constant for accepted messages. */
export const ACCEPT: MessageVerdict = Object.freeze({ action: 'accept' });

/** Number of 16 KiB pieces of metadata of `size` bytes (size ≥ 1). */
export function metadataPieceCount(size: number): number {
  return Math.ceil(size / METADATA_PIECE_SIZE);
}

/** Length of metadata piece `piece` for metadata of `size` bytes (0 when out of range). */
export function metadataPieceLength(size: number, piece: number): number {
  const count = metadataPieceCount(size);
  if (!Number.isInteger(piece) || piece < 0 || piece >= count) return 0;
  return piece === count - 1 ? size - piece * METADATA_PIECE_SIZE : METADATA_PIECE_SIZE;
}

function header(type: number, piece: number, totalSize?: number): Uint8Array {
  if (!Number.isSafeInteger(piece) || piece < 0) throw new TorrentError('invalid_argument', `bad metadata piece ${piece}`);
  const d = new Map<string, BValue>([['msg_type', type], ['piece', piece]]);
  if (totalSize !== undefined) d.set('total_size', totalSize);
  return bencode(d);
}

/** Encodes a request for metadata piece `piece`. */
export function encodeMetadataRequest(piece: number): Uint8Array {
  return header(0, piece);
}

/** Encodes a reject of metadata piece `piece`. */
export function encodeMetadataReject(piece: number): Uint8Array {
  return header(2, piece);
}

/** Encodes a data message: the header dict followed by `block` (allocated once). */
export function encodeMetadataData(piece: number, totalSize: number, block: Uint8Array): Uint8Array {
  if (!Number.isSafeInteger(totalSize) || totalSize < 1) throw new TorrentError('invalid_argument', `bad total_size ${totalSize}`);
  if (block.length > METADATA_PIECE_SIZE) throw new TorrentError('invalid_argument', 'metadata block over 16 KiB');
  const h = header(1, piece, totalSize);
  const out = new Uint8Array(h.length + block.length);
  out.set(h, 0);
  out.set(block, h.length);
  return out;
}

function ignore(reason: string): MetadataDecodeResult {
  return { ok: false, verdict: { action: 'ignore', reason } };
}
function drop(reason: string): MetadataDecodeResult {
  return { ok: false, verdict: { action: 'drop', reason } };
}

/** Decodes the dict at the start of `payload`; returns it and where it ends, or undefined when malformed. */
function decodeHeader(payload: Uint8Array): { value: BValue; end: number } | undefined {
  const opts = { maxDepth: 2, maxTokens: MAX_HEADER_TOKENS, strict: false, largeIntegers: 'reject' } as const;
  try {
    return { value: bdecode(payload, opts), end: payload.length };
  } catch (err) {
    // A data message: the dict is followed by the block. The decoder tells where the dict ended.
    if (!isTorrentError(err, 'bdecode_trailing_data')) return undefined;
    const end = err.details.offset;
    if (typeof end !== 'number' || end <= 0 || end > payload.length) return undefined;
    try {
      return { value: bdecode(payload.subarray(0, end), opts), end };
    } catch {
      return undefined;
    }
  }
}

/** Decodes a ut_metadata payload. Never throws; see the module notes for the verdicts. */
export function decodeMetadataMessage(payload: Uint8Array, limits: MetadataCodecLimits = {}): MetadataDecodeResult {
  const maxSize = limits.maxMetadataSize ?? DEFAULT_MAX_METADATA_SIZE;
  const h = decodeHeader(payload);
  if (h === undefined) return drop('not_bencode');
  if (!isDict(h.value)) return drop('not_a_dict');
  const type = h.value.get('msg_type');
  if (typeof type !== 'number') return drop('bad_msg_type');
  if (type !== 0 && type !== 1 && type !== 2) return ignore('unknown_msg_type');
  const piece = h.value.get('piece');
  if (typeof piece !== 'number' || !Number.isInteger(piece) || piece < 0) return drop('bad_piece');
  if (piece >= metadataPieceCount(maxSize)) return drop('piece_out_of_range');
  const trailing = payload.length - h.end;
  if (type === 0 || type === 2) {
    if (trailing !== 0) return ignore('trailing_bytes');
    return { ok: true, message: type === 0 ? { type: 'request', piece } : { type: 'reject', piece } };
  }
  const totalSize = h.value.get('total_size');
  if (typeof totalSize !== 'number' || !Number.isInteger(totalSize)) return drop('bad_total_size');
  if (totalSize <= 0) return drop('total_size_not_positive');
  if (totalSize > maxSize) return drop('total_size_over_limit');
  if (trailing > METADATA_PIECE_SIZE) return drop('block_too_large');
  if (piece >= metadataPieceCount(totalSize)) return drop('piece_out_of_range');
  if (trailing !== metadataPieceLength(totalSize, piece)) return drop('wrong_block_length');
  return { ok: true, message: { type: 'data', piece, totalSize, block: payload.subarray(h.end) } };
}

/**
 * Checks a decoded data message against the metadata size we are fetching: a different `total_size` is
 * ignored (the peer disagrees with the size we chose; its data cannot be used), a piece beyond our piece
 * count drops the peer.
 */
export function checkDataMessage(msg: { piece: number; totalSize: number; block: Uint8Array }, size: number): MessageVerdict {
  if (msg.totalSize !== size) return { action: 'ignore', reason: 'inconsistent_total_size' };
  if (msg.piece >= metadataPieceCount(size)) return { action: 'drop', reason: 'piece_out_of_range' };
  if (msg.block.length !== metadataPieceLength(size, msg.piece)) return { action: 'drop', reason: 'wrong_block_length' };
  return ACCEPT;
}
