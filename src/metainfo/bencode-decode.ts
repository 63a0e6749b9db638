/**
 * Strict, iterative bencode decoder for untrusted bytes (torrent files, tracker replies, DHT and
 * extension messages).
 *
 * Invariants (see HOSTILE-INPUTS.md cases 1–5):
 * - No recursion: an explicit stack of open containers, so depth is bounded by `maxDepth`, never by
 *   the JS call stack.
 * - No allocation driven by a claimed size: a string length is parsed as an unsigned decimal and
 *   compared with the bytes actually left before anything is created; strings are `subarray` views.
 * - Every value (integer, string, list, dict) counts as one token; more than `maxTokens` fails fast.
 * - Canonical form only: integers without `+`, leading zeros or `-0`; string lengths without leading
 *   zeros; dict keys are strings, in strictly ascending bytewise order (`strict`, the default) or
 *   merely unique (`strict: false`, for the outer dict of real-world .torrent files).
 * - Dict keys become "binary strings" (one char per byte) in a `Map`, so `__proto__` is only data.
 */
import { TorrentError } from '../errors.js';
import type { ErrorCode } from '../errors.js';

/** A decoded bencode value. Byte strings are `Uint8Array` views into the input. */
export type BValue = number | bigint | Uint8Array | BValue[] | BDict;
/** A decoded dictionary; keys are binary strings (one char per byte, see {@link binaryKey}). */
export type BDict = Map<string, BValue>;

/** Options for {@link bdecode}. */
export interface BdecodeOptions {
  /** Maximum nesting of lists/dicts (default 100). */
  maxDepth?: number;
  /** Maximum number of values in the input (default 2,000,000). */
  maxTokens?: number;
  /** Reject unsorted dict keys (default true). Duplicate keys are always rejected. */
  strict?: boolean;
  /**
   * Integers outside ±(2^53 − 1): `'bigint'` (default) returns a bigint when it fits in a signed
   * 64-bit integer, `'reject'` throws `bdecode_invalid_integer`. Beyond 64 bits is always rejected.
   */
  largeIntegers?: 'bigint' | 'reject';
}

/** Byte range `[start, end)` of a value within the decoded input. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** Result of {@link bdecodeWithSpans}. */
export interface DecodedWithSpans {
  readonly value: BValue;
  /** Raw byte span of a dict or list that is part of `value` (undefined for anything else). */
  spanOf(v: BDict | BValue[]): Span | undefined;
}

const DEFAULT_MAX_DEPTH = 100;
const DEFAULT_MAX_TOKENS = 2_000_000;
const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);
/** Digits in the longest int64 ("9223372036854775807"); longer integers are rejected unread. */
const MAX_INT_DIGITS = 19;

const C_0 = 0x30;
const C_9 = 0x39;
const C_COLON = 0x3a;
const C_D = 0x64;
const C_E = 0x65;
const C_I = 0x69;
const C_L = 0x6c;
const C_MINUS = 0x2d;

function fail(code: ErrorCode, message: string, offset: number): never {
  throw new TorrentError(code, `${message} at offset ${offset}`, { details: { offset } });
}

/** Converts raw bytes to a binary string (one char per byte), the key form used in {@link BDict}. */
export function binaryKey(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192) as unknown as number[]);
  }
  return s;
}

/** Converts a binary-string key back to its bytes; throws if a char is above 0xFF. */
export function keyBytes(key: string): Uint8Array {
  const out = new Uint8Array(key.length);
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c > 0xff) throw new TorrentError('bencode_invalid_value', 'binary key has a char above 0xFF', { details: { index: i } });
    out[i] = c;
  }
  return out;
}

/** One open container on the explicit stack. */
interface Frame {
  readonly list: BValue[] | undefined;
  readonly dict: BDict | undefined;
  readonly start: number;
  /** The dict key waiting for its value (undefined when the next item is a key). */
  key: string | undefined;
  lastKey: string | undefined;
}

class Decoder {
  pos = 0;
  tokens = 0;
  readonly stack: Frame[] = [];
  readonly spans: WeakMap<object, Span> | undefined;
  readonly maxDepth: number;
  readonly maxTokens: number;
  readonly strict: boolean;
  readonly bigints: boolean;

  constructor(readonly buf: Uint8Array, opts: BdecodeOptions, withSpans: boolean) {
    this.maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.maxTokens = opts.maxTokens ?? DEFAULT_MAX_TOKENS;
    this.strict = opts.strict ?? true;
    this.bigints = (opts.largeIntegers ?? 'bigint') === 'bigint';
    this.spans = withSpans ? new WeakMap() : undefined;
  }

  decode(): BValue {
    const buf = this.buf;
    if (buf.length === 0) fail('bdecode_unexpected_eof', 'empty input', 0);
    let result: BValue | undefined;
    for (;;) {
      if (this.pos >= buf.length) fail('bdecode_unexpected_eof', 'input ends inside a value', this.pos);
      const top = this.stack[this.stack.length - 1];
      const c = buf[this.pos]!;
      let value: BValue;
      if (c === C_E) {
        if (top === undefined) fail('bdecode_invalid_token', "unexpected 'e'", this.pos);
        if (top.key !== undefined) fail('bdecode_invalid_token', 'dict key without a value', this.pos);
        this.pos++;
        this.stack.pop();
        value = (top.list ?? top.dict)!;
        this.spans?.set(value, { start: top.start, end: this.pos });
      } else {
        if (++this.tokens > this.maxTokens) fail('bdecode_token_limit_exceeded', `more than ${this.maxTokens} tokens`, this.pos);
        const expectingKey = top?.dict !== undefined && top.key === undefined;
        if (expectingKey && (c < C_0 || c > C_9)) fail('bdecode_invalid_token', 'dict key is not a string', this.pos);
        if (c === C_L || c === C_D) {
          if (this.stack.length >= this.maxDepth) fail('bdecode_depth_exceeded', `nesting deeper than ${this.maxDepth}`, this.pos);
          const frame: Frame = c === C_L
            ? { list: [], dict: undefined, start: this.pos, key: undefined, lastKey: undefined }
            : { list: undefined, dict: new Map(), start: this.pos, key: undefined, lastKey: undefined };
          this.pos++;
          this.stack.push(frame);
          continue;
        }
        if (c === C_I) value = this.readInt();
        else if (c >= C_0 && c <= C_9) value = this.readString();
        else fail('bdecode_invalid_token', `unexpected byte 0x${c.toString(16).padStart(2, '0')}`, this.pos);
        if (expectingKey) {
          this.setKey(top, value as Uint8Array);
          continue;
        }
      }
      // `value` is complete: attach it to its parent, or finish.
      const parent = this.stack[this.stack.length - 1];
      if (parent === undefined) {
        result = value;
        break;
      }
      if (parent.list !== undefined) parent.list.push(value);
      else {
        parent.dict!.set(parent.key!, value);
        parent.key = undefined;
      }
    }
    if (this.pos !== buf.length) fail('bdecode_trailing_data', `${buf.length - this.pos} bytes after the value`, this.pos);
    return result;
  }

  private setKey(frame: Frame, raw: Uint8Array): void {
    const key = binaryKey(raw);
    const last = frame.lastKey;
    if (last !== undefined) {
      // Binary strings compare like their bytes (all chars ≤ 0xFF).
      if (key === last || frame.dict!.has(key)) fail('bdecode_duplicate_key', 'duplicate dict key', this.pos - raw.length);
      if (this.strict && key < last) fail('bdecode_unsorted_keys', 'dict keys not in ascending order', this.pos - raw.length);
    }
    frame.key = key;
    frame.lastKey = key;
  }

  private readString(): Uint8Array {
    const buf = this.buf;
    const start = this.pos;
    let p = start;
    if (buf[p] === C_0 && buf[p + 1] !== C_COLON) fail('bdecode_invalid_string_length', 'string length with a leading zero', start);
    let len = 0;
    const remaining = buf.length - start;
    for (;;) {
      if (p >= buf.length) fail('bdecode_unexpected_eof', 'input ends inside a string length', p);
      const d = buf[p]!;
      if (d === C_COLON) break;
      if (d < C_0 || d > C_9) fail('bdecode_invalid_string_length', 'string length is not a decimal number', p);
      len = len * 10 + (d - C_0);
      // Checked digit by digit: the claimed length can never exceed what is actually there.
      if (len > remaining) fail('bdecode_invalid_string_length', 'string longer than the remaining input', start);
      p++;
    }
    p++;
    if (len > buf.length - p) fail('bdecode_invalid_string_length', 'string longer than the remaining input', start);
    this.pos = p + len;
    return buf.subarray(p, p + len);
  }

  private readInt(): number | bigint {
    const buf = this.buf;
    const start = this.pos;
    let p = start + 1;
    const neg = buf[p] === C_MINUS;
    if (neg) p++;
    const digitsStart = p;
    let n = 0;
    for (;;) {
      if (p >= buf.length) fail('bdecode_unexpected_eof', 'input ends inside an integer', p);
      const d = buf[p]!;
      if (d === C_E) break;
      if (d < C_0 || d > C_9) fail('bdecode_invalid_integer', 'integer contains a non-digit', p);
      if (p - digitsStart >= MAX_INT_DIGITS) fail('bdecode_invalid_integer', 'integer has too many digits', start);
      n = n * 10 + (d - C_0);
      p++;
    }
    const digits = p - digitsStart;
    if (digits === 0) fail('bdecode_invalid_integer', 'integer without digits', start);
    if (buf[digitsStart] === C_0 && (digits > 1 || neg)) fail('bdecode_invalid_integer', 'non-canonical integer (leading zero or -0)', start);
    this.pos = p + 1;
    if (digits <= 15) return neg ? -n : n;
    let big = 0n;
    for (let i = digitsStart; i < p; i++) big = big * 10n + BigInt(buf[i]! - C_0);
    if (neg) big = -big;
    if (big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(big);
    if (!this.bigints) fail('bdecode_invalid_integer', 'integer beyond 2^53', start);
    if (big > INT64_MAX || big < INT64_MIN) fail('bdecode_invalid_integer', 'integer beyond 64 bits', start);
    return big;
  }
}

/** Decodes one bencoded value that must span all of `bytes`. Throws {@link TorrentError} (`bdecode_*`). */
export function bdecode(bytes: Uint8Array, opts: BdecodeOptions = {}): BValue {
  return new Decoder(bytes, opts, false).decode();
}

/** Like {@link bdecode}, and also reports the raw byte span of every dict and list. */
export function bdecodeWithSpans(bytes: Uint8Array, opts: BdecodeOptions = {}): DecodedWithSpans {
  const d = new Decoder(bytes, opts, true);
  const value = d.decode();
  const spans = d.spans!;
  return { value, spanOf: (v) => spans.get(v) };
}
