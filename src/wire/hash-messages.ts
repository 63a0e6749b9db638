/**
 * BEP 52 hash messages: hash request (21), hashes (22), hash reject (23). The wire decoder hands these to
 * `onUnknown` (ids it does not parse itself); this module decodes and encodes their payloads.
 *
 * Payload (all integers unsigned 32-bit, big-endian):
 *   pieces root (32 bytes) | base layer | index | length | proof layers [| hashes (32 bytes each), for 22]
 *
 * - base layer: layers above the leaves (16 KiB block hashes, layer 0) where the requested hashes lie.
 * - index: the first requested hash in the base layer; a multiple of `length`.
 * - length: hashes requested from the base layer; a power of two (the base layer of a tree is padded to a
 *   power of two, so a range that ends the padded layer is a power of two as well).
 * - proof layers: ancestor layers to prove the range with. The hashes reply holds `length` base hashes,
 *   then one uncle hash per proof layer above the range's own subtree, bottom up:
 *   `max(0, proofLayers - log2(length) + 1)` uncles (the first log2(length) − 1 layers are implied by the
 *   base hashes themselves; see {@link uncleCount}). libtorrent computes the same count.
 *
 * Decoding is strict: exact sizes, integers bounded before anything is allocated (HOSTILE-INPUTS 14–15).
 * Views returned point into the payload, which is valid only during the decoder's callback: copy to keep.
 */
import { TorrentError } from '../errors.js';

/** Message ids of BEP 52's hash messages. */
export const HashMessageId = { hashRequest: 21, hashes: 22, hashReject: 23 } as const;

/** Bytes of a hash request / hash reject payload (and of a hashes payload before its hashes). */
export const HASH_REQUEST_SIZE = 48;
/** Most base hashes we ask for or serve in one message (BEP 52: SHOULD NOT exceed 512). */
export const MAX_HASHES_PER_REQUEST = 512;
/** Largest base layer / proof layer count accepted: a tree over 2^52 bytes has fewer than 40 layers. */
export const MAX_TREE_LAYERS = 64;

/** The fields of a hash request (also of a hash reject and the head of a hashes message). */
export interface HashRequest {
  /** The file's merkle root (32 bytes). */
  readonly piecesRoot: Uint8Array;
  /** Layers above the 16 KiB block layer (0 = block hashes). */
  readonly baseLayer: number;
  /** First hash of the range in the base layer. */
  readonly index: number;
  /** Hashes in the range. */
  readonly length: number;
  /** Ancestor layers requested for the proof. */
  readonly proofLayers: number;
}

/** A decoded hashes message: the request it answers and its hashes (base range, then uncles bottom up). */
export interface HashesReply extends HashRequest {
  /** `length` base hashes followed by the uncle hashes, 32 bytes each (a view; copy to keep). */
  readonly hashes: Uint8Array;
}

/** Limits for decoding. */
export interface HashMessageLimits {
  /** Largest `length` accepted (default {@link MAX_HASHES_PER_REQUEST}). */
  readonly maxLength?: number;
}

function invalid(message: string, details: Record<string, string | number> = {}): TorrentError {
  return new TorrentError('invalid_message', message, { details });
}

function readU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) >>> 0) + (b[at + 1]! << 16) + (b[at + 2]! << 8) + b[at + 3]!;
}

function putU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

function isPow2(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

/** log2 of a power of two. */
function log2(n: number): number {
  return Math.round(Math.log2(n));
}

/** Uncle hashes a hashes reply carries for a range of `length` hashes and `proofLayers` proof layers. */
export function uncleCount(length: number, proofLayers: number): number {
  return Math.max(0, proofLayers - log2(length) + 1);
}

/**
 * Checks the shape rules every hash request must meet (whatever the tree): `length` a power of two in
 * 1..maxLength, `index` a multiple of `length`, layers below {@link MAX_TREE_LAYERS}. Throws `invalid_message`.
 */
export function checkHashRequest(r: HashRequest, limits: HashMessageLimits = {}): void {
  const maxLength = limits.maxLength ?? MAX_HASHES_PER_REQUEST;
  if (r.piecesRoot.length !== 32) throw invalid('pieces root must be 32 bytes');
  if (!isPow2(r.length) || r.length > maxLength) throw invalid(`hash request length ${r.length} is not a power of two in 1..${maxLength}`, { length: r.length });
  if (r.index % r.length !== 0) throw invalid(`hash request index ${r.index} is not a multiple of its length ${r.length}`, { index: r.index, length: r.length });
  if (r.baseLayer >= MAX_TREE_LAYERS || r.proofLayers >= MAX_TREE_LAYERS) {
    throw invalid('hash request layers out of range', { baseLayer: r.baseLayer, proofLayers: r.proofLayers });
  }
  if (r.index + r.length > 2 ** (MAX_TREE_LAYERS - 1 - r.baseLayer)) throw invalid('hash request range beyond any tree', { index: r.index });
}

function decodeHead(payload: Uint8Array): HashRequest {
  return {
    piecesRoot: payload.subarray(0, 32),
    baseLayer: readU32(payload, 32),
    index: readU32(payload, 36),
    length: readU32(payload, 40),
    proofLayers: readU32(payload, 44),
  };
}

/** Decodes a hash request (21) or hash reject (23) payload. Throws `invalid_message`. */
export function decodeHashRequest(payload: Uint8Array, limits: HashMessageLimits = {}): HashRequest {
  if (payload.length !== HASH_REQUEST_SIZE) throw invalid(`hash request payload of ${payload.length} bytes, expected ${HASH_REQUEST_SIZE}`, { length: payload.length });
  const r = decodeHead(payload);
  checkHashRequest(r, limits);
  return r;
}

/**
 * Decodes a hashes (22) payload: the size must be exactly the header plus `length` + {@link uncleCount}
 * hashes, checked from the header before the hashes are looked at. Throws `invalid_message`.
 */
export function decodeHashes(payload: Uint8Array, limits: HashMessageLimits = {}): HashesReply {
  if (payload.length < HASH_REQUEST_SIZE) throw invalid(`hashes payload of ${payload.length} bytes is shorter than its header`, { length: payload.length });
  const r = decodeHead(payload);
  checkHashRequest(r, limits);
  const expected = HASH_REQUEST_SIZE + 32 * (r.length + uncleCount(r.length, r.proofLayers));
  if (payload.length !== expected) throw invalid(`hashes payload of ${payload.length} bytes, expected ${expected}`, { length: payload.length, expected });
  return { ...r, hashes: payload.subarray(HASH_REQUEST_SIZE) };
}

function u32(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new TorrentError('invalid_argument', `${name} must be an unsigned 32-bit integer, got ${v}`);
}

function encodeWith(id: number, r: HashRequest, hashes: Uint8Array | undefined): Uint8Array {
  if (r.piecesRoot.length !== 32) throw new TorrentError('invalid_argument', 'pieces root must be 32 bytes');
  u32('baseLayer', r.baseLayer);
  u32('index', r.index);
  u32('length', r.length);
  u32('proofLayers', r.proofLayers);
  const extra = hashes?.length ?? 0;
  if (extra % 32 !== 0) throw new TorrentError('invalid_argument', 'hashes must be a multiple of 32 bytes');
  const payload = HASH_REQUEST_SIZE + extra;
  const b = new Uint8Array(5 + payload);
  putU32(b, 0, payload + 1);
  b[4] = id;
  b.set(r.piecesRoot, 5);
  putU32(b, 37, r.baseLayer);
  putU32(b, 41, r.index);
  putU32(b, 45, r.length);
  putU32(b, 49, r.proofLayers);
  if (hashes) b.set(hashes, 5 + HASH_REQUEST_SIZE);
  return b;
}

/** A whole hash request message (length prefix, id 21, payload). */
export function encodeHashRequest(r: HashRequest): Uint8Array {
  return encodeWith(HashMessageId.hashRequest, r, undefined);
}

/** A whole hash reject message (id 23) for request `r`. */
export function encodeHashReject(r: HashRequest): Uint8Array {
  return encodeWith(HashMessageId.hashReject, r, undefined);
}

/**
 * A whole hashes message (id 22) answering `r`: `hashes` holds the base range then the uncles; its size
 * must be `length` + {@link uncleCount} hashes.
 */
export function encodeHashes(r: HashRequest, hashes: Uint8Array): Uint8Array {
  const want = 32 * (r.length + uncleCount(r.length, r.proofLayers));
  if (hashes.length !== want) throw new TorrentError('invalid_argument', `hashes reply needs ${want} bytes, got ${hashes.length}`);
  return encodeWith(HashMessageId.hashes, r, hashes);
}

/** Whether two hash requests name the same range (root, layers, index, length). */
export function sameHashRequest(a: HashRequest, b: HashRequest): boolean {
  if (a.baseLayer !== b.baseLayer || a.index !== b.index || a.length !== b.length || a.proofLayers !== b.proofLayers) return false;
  for (let i = 0; i < 32; i++) if (a.piecesRoot[i] !== b.piecesRoot[i]) return false;
  return true;
}
