/**
 * BEP 10 extension handshake: the bencoded dict carried by extended message id 0.
 *
 * Decoding is lenient about content and strict about bounds: unknown keys are ignored (kept in `raw`), a
 * field of the wrong type or out of range is dropped rather than failing the connection, extension ids outside
 * 0..255 are dropped, `reqq` is clamped, `metadata_size` above the limit is dropped. Only bytes that are not a
 * bencoded dict fail, with `invalid_message`.
 *
 * Dict key order: we decode with `strict: false` (unsorted keys accepted, duplicates still rejected) because
 * a misordered handshake from an otherwise working client costs nothing to accept.
 */
import { TorrentError } from '../../errors.js';
import { bdecode, bencode, binaryKey, decodeUtf8Lossy, isDict, keyBytes } from '../../metainfo/bencode.js';
import type { BDict, BValue } from '../../metainfo/bencode.js';

/** Default cap for the peer's `reqq` (libtorrent's max_allowed_in_request_queue). */
export const DEFAULT_MAX_REQQ = 2000;
/** Default largest `metadata_size` accepted (libtorrent's max_metadata_size, 30 MiB). */
export const DEFAULT_MAX_METADATA_SIZE = 30 * 1024 * 1024;
/** Most `m` entries kept; the rest are ignored. */
export const MAX_EXTENSIONS = 128;
/** Longest client name (`v`) kept, in bytes. */
const MAX_VERSION_BYTES = 256;
/** Longest extension name kept, in bytes. */
const MAX_NAME_BYTES = 64;

/** A decoded (or to-be-encoded) extension handshake. */
export interface ExtensionHandshake {
  /** Extension name → the id the sender wants to receive it on (1..255; 0 = disabled/removed). */
  readonly m: ReadonlyMap<string, number>;
  /** Client name and version, e.g. `swarmkit 0.1.0`. */
  readonly v?: string;
  /** The sender's listen port (1..65535). */
  readonly p?: number;
  /** How many outstanding requests the sender accepts (clamped to 1..maxReqq when decoded). */
  readonly reqq?: number;
  /** Our address as the sender sees it: 4 (IPv4) or 16 (IPv6) bytes. */
  readonly yourip?: Uint8Array;
  /** The sender's IPv4 address (4 bytes). */
  readonly ipv4?: Uint8Array;
  /** The sender's IPv6 address (16 bytes). */
  readonly ipv6?: Uint8Array;
  /** BEP 9: size of the info dict in bytes (1..maxMetadataSize). */
  readonly metadataSize?: number;
  /** BEP 21: the sender is a seed or partial seed that will not download. */
  readonly uploadOnly?: boolean;
}

/** A decoded handshake plus the whole dict, for extensions that read their own keys (its byte strings are views into the payload). */
export interface DecodedExtensionHandshake extends ExtensionHandshake {
  readonly raw: BDict;
}

/** Limits for {@link decodeExtensionHandshake}. */
export interface ExtensionHandshakeLimits {
  /** `reqq` is clamped to this. Default {@link DEFAULT_MAX_REQQ}. */
  maxReqq?: number;
  /** A larger `metadata_size` is dropped. Default {@link DEFAULT_MAX_METADATA_SIZE}. */
  maxMetadataSize?: number;
}

function asInt(v: BValue | undefined): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

function asBytes(v: BValue | undefined, ...lengths: number[]): Uint8Array | undefined {
  return v instanceof Uint8Array && lengths.includes(v.length) ? v.slice() : undefined;
}

/**
 * Decodes the payload of extended message 0 (the bytes after the extended id). Throws
 * `TorrentError('invalid_message')` when the payload is not a well-formed bencoded dict.
 */
export function decodeExtensionHandshake(payload: Uint8Array, limits: ExtensionHandshakeLimits = {}): DecodedExtensionHandshake {
  const maxReqq = limits.maxReqq ?? DEFAULT_MAX_REQQ;
  const maxMetadataSize = limits.maxMetadataSize ?? DEFAULT_MAX_METADATA_SIZE;
  let root: BValue;
  try {
    root = bdecode(payload, { strict: false, maxDepth: 16, maxTokens: 8192, largeIntegers: 'reject' });
  } catch (err) {
    throw new TorrentError('invalid_message', 'extension handshake is not valid bencode', { cause: err });
  }
  if (!isDict(root)) throw new TorrentError('invalid_message', 'extension handshake is not a dictionary');

  const m = new Map<string, number>();
  const md = root.get('m');
  if (isDict(md)) {
    for (const [key, value] of md) {
      if (m.size >= MAX_EXTENSIONS) break;
      const id = asInt(value);
      if (id === undefined || id < 0 || id > 255 || key.length === 0 || key.length > MAX_NAME_BYTES) continue;
      m.set(decodeUtf8Lossy(keyBytes(key)), id);
    }
  }

  const out: { -readonly [K in keyof DecodedExtensionHandshake]: DecodedExtensionHandshake[K] } = { m, raw: root };
  const v = root.get('v');
  if (v instanceof Uint8Array) out.v = decodeUtf8Lossy(v.subarray(0, MAX_VERSION_BYTES));
  const p = asInt(root.get('p'));
  if (p !== undefined && p >= 1 && p <= 0xffff) out.p = p;
  const reqq = asInt(root.get('reqq'));
  if (reqq !== undefined && reqq >= 1) out.reqq = Math.min(reqq, maxReqq);
  const yourip = asBytes(root.get('yourip'), 4, 16);
  if (yourip) out.yourip = yourip;
  const ipv4 = asBytes(root.get('ipv4'), 4);
  if (ipv4) out.ipv4 = ipv4;
  const ipv6 = asBytes(root.get('ipv6'), 16);
  if (ipv6) out.ipv6 = ipv6;
  const size = asInt(root.get('metadata_size'));
  if (size !== undefined && size >= 1 && size <= maxMetadataSize) out.metadataSize = size;
  const uo = asInt(root.get('upload_only'));
  if (uo !== undefined) out.uploadOnly = uo !== 0;
  return out;
}

/** Encodes an extension handshake dict (the payload for `encodeExtended(0, ...)`). Validates every field. */
export function encodeExtensionHandshake(h: ExtensionHandshake): Uint8Array {
  const m = new Map<string, BValue>();
  for (const [name, id] of h.m) {
    if (!Number.isInteger(id) || id < 0 || id > 255) {
      throw new TorrentError('invalid_argument', `extension id for ${name} must be in 0..255, got ${id}`);
    }
    m.set(binaryKey(new TextEncoder().encode(name)), id);
  }
  const d = new Map<string, BValue>([['m', m]]);
  if (h.v !== undefined) d.set('v', new TextEncoder().encode(h.v));
  if (h.p !== undefined) d.set('p', checkedInt('p', h.p, 1, 0xffff));
  if (h.reqq !== undefined) d.set('reqq', checkedInt('reqq', h.reqq, 1, 0x7fffffff));
  if (h.yourip !== undefined) d.set('yourip', checkedBytes('yourip', h.yourip, 4, 16));
  if (h.ipv4 !== undefined) d.set('ipv4', checkedBytes('ipv4', h.ipv4, 4));
  if (h.ipv6 !== undefined) d.set('ipv6', checkedBytes('ipv6', h.ipv6, 16));
  if (h.metadataSize !== undefined) d.set('metadata_size', checkedInt('metadataSize', h.metadataSize, 1, Number.MAX_SAFE_INTEGER));
  if (h.uploadOnly !== undefined) d.set('upload_only', h.uploadOnly ? 1 : 0);
  return bencode(d);
}

function checkedInt(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new TorrentError('invalid_argument', `${name} must be in ${min}..${max}, got ${v}`);
  return v;
}

function checkedBytes(name: string, v: Uint8Array, ...lengths: number[]): Uint8Array {
  if (!lengths.includes(v.length)) throw new TorrentError('invalid_argument', `${name} must be ${lengths.join(' or ')} bytes, got ${v.length}`);
  return v;
}
