/**
 * Bencode (BEP 3): our own strict decoder for all untrusted input and a size-first encoder.
 *
 * The npm `bencode` package must never see untrusted bytes — its 4.0.1 decoder loops forever on
 * `l-3:e` and allocates from claimed lengths. It is used only as a test oracle for encoding
 * (test/unit/metainfo/bencode.test.ts, test/fuzz/).
 *
 * Decoding lives in bencode-decode.ts, encoding in bencode-encode.ts; this module re-exports both
 * and adds typed accessors for dict fields.
 */
import { TorrentError } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import type { BDict, BValue } from './bencode-decode.js';

export { bdecode, bdecodeWithSpans, binaryKey, keyBytes } from './bencode-decode.js';
export type { BDict, BValue, BdecodeOptions, DecodedWithSpans, Span } from './bencode-decode.js';
export { bencode, BencodeRaw } from './bencode-encode.js';
export type { BEncodable } from './bencode-encode.js';

/** Options for the typed accessors: the error code to throw, and whether the field must exist. */
export interface GetOptions {
  /** Error code when the field is missing (if required) or has the wrong type. Default `torrent_invalid`. */
  code?: ErrorCode;
  /** Throw when the field is absent (default false: return undefined). */
  required?: boolean;
}

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });
const utf8Lossy = new TextDecoder('utf-8');

/** True for a decoded dict. */
export function isDict(v: BValue | undefined): v is BDict {
  return v instanceof Map;
}

/** Decodes UTF-8, replacing invalid sequences with U+FFFD. */
export function decodeUtf8Lossy(b: Uint8Array): string {
  return utf8Lossy.decode(b);
}

/** Decodes UTF-8, returning undefined when the bytes are not valid UTF-8. */
export function decodeUtf8Strict(b: Uint8Array): string | undefined {
  try {
    return utf8Fatal.decode(b);
  } catch {
    return undefined;
  }
}

function field<T>(d: BDict, key: string, kind: string, test: (v: BValue) => v is BValue & T, opts: GetOptions): T | undefined {
  const v = d.get(key);
  const code = opts.code ?? 'torrent_invalid';
  if (v === undefined) {
    if (opts.required) throw new TorrentError(code, `missing field '${key}'`, { details: { field: key } });
    return undefined;
  }
  if (!test(v)) throw new TorrentError(code, `field '${key}' is not ${kind}`, { details: { field: key } });
  return v;
}

const isBytes = (v: BValue): v is Uint8Array => v instanceof Uint8Array;
const isSafeInt = (v: BValue): v is number => typeof v === 'number';
const isList = (v: BValue): v is BValue[] => Array.isArray(v);

/** A byte-string field. */
export function getBytes(d: BDict, key: string, opts: GetOptions = {}): Uint8Array | undefined {
  return field(d, key, 'a byte string', isBytes, opts);
}

/** A safe-integer field (bigints are rejected as the wrong type). */
export function getInt(d: BDict, key: string, opts: GetOptions = {}): number | undefined {
  return field(d, key, 'a safe integer', isSafeInt, opts);
}

/** A UTF-8 text field, decoded lossily. */
export function getString(d: BDict, key: string, opts: GetOptions = {}): string | undefined {
  const b = getBytes(d, key, opts);
  return b === undefined ? undefined : decodeUtf8Lossy(b);
}

/** A dict field. */
export function getDict(d: BDict, key: string, opts: GetOptions = {}): BDict | undefined {
  return field(d, key, 'a dictionary', isDict, opts);
}

/** A list field. */
export function getList(d: BDict, key: string, opts: GetOptions = {}): BValue[] | undefined {
  return field(d, key, 'a list', isList, opts);
}
