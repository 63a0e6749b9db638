/**
 * Bencode encoder. Two passes over the value: the first measures (and UTF-8-encodes strings and
 * sorts dict keys once), the second writes into a single buffer allocated at the exact size.
 *
 * Key rules: `Map` keys are binary strings (one char per byte, as produced by the decoder, so raw
 * 32-byte hash keys round-trip); plain-object keys are text and encoded as UTF-8. Keys are sorted
 * bytewise; `undefined` values in plain objects are skipped. Cycles and unsupported values throw
 * `bencode_invalid_value`.
 */
import { TorrentError } from '../errors.js';
import { keyBytes } from './bencode-decode.js';
import type { BValue } from './bencode-decode.js';

/** Raw, already-bencoded bytes spliced verbatim into the output (e.g. an `info` dict as received). */
export class BencodeRaw {
  /** @param bytes exactly one bencoded value; not re-validated. */
  constructor(readonly bytes: Uint8Array) {}
}

/** Anything {@link bencode} accepts. */
export type BEncodable =
  | BValue
  | string
  | BencodeRaw
  | readonly BEncodable[]
  | ReadonlyMap<string, BEncodable>
  | { readonly [key: string]: BEncodable | undefined };

const utf8 = new TextEncoder();

type Sorted = Array<[Uint8Array, BEncodable]>;

function invalid(message: string): never {
  throw new TorrentError('bencode_invalid_value', message);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

function decimalLength(n: number): number {
  return String(n).length;
}

class Encoder {
  /** UTF-8 of string values, in visiting order. */
  private readonly strings: Uint8Array[] = [];
  /** Sorted entries of each dict, in visiting order. */
  private readonly dicts: Sorted[] = [];
  private readonly open = new Set<object>();
  private si = 0;
  private di = 0;
  private out = new Uint8Array(0);
  private pos = 0;

  measure(v: BEncodable): number {
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) invalid(`not a safe integer: ${v}`);
      return 2 + decimalLength(v === 0 ? 0 : v);
    }
    if (typeof v === 'bigint') return 2 + v.toString().length;
    if (typeof v === 'string') {
      const b = utf8.encode(v);
      this.strings.push(b);
      return decimalLength(b.length) + 1 + b.length;
    }
    if (v instanceof Uint8Array) return decimalLength(v.length) + 1 + v.length;
    if (v instanceof BencodeRaw) return v.bytes.length;
    if (typeof v !== 'object' || v === null) invalid(`cannot bencode ${v === null ? 'null' : typeof v}`);
    if (this.open.has(v)) invalid('cyclic value');
    this.open.add(v);
    let size = 2;
    if (Array.isArray(v)) {
      for (const item of v as readonly BEncodable[]) size += this.measure(item);
    } else {
      const entries: Sorted = [];
      if (v instanceof Map) {
        for (const [k, item] of v as ReadonlyMap<string, BEncodable>) entries.push([keyBytes(k), item]);
      } else {
        for (const k of Object.keys(v)) {
          const item = (v as Record<string, BEncodable | undefined>)[k];
          if (item !== undefined) entries.push([utf8.encode(k), item]);
        }
      }
      entries.sort((a, b) => compareBytes(a[0], b[0]));
      for (let i = 1; i < entries.length; i++) {
        if (compareBytes(entries[i - 1]![0], entries[i]![0]) === 0) invalid('two keys encode to the same bytes');
      }
      this.dicts.push(entries);
      for (const [k, item] of entries) size += decimalLength(k.length) + 1 + k.length + this.measure(item);
    }
    this.open.delete(v);
    return size;
  }

  encode(v: BEncodable): Uint8Array {
    const size = this.measure(v);
    this.out = new Uint8Array(size);
    this.write(v);
    if (this.pos !== size) throw new Error(`bencode size mismatch: measured ${size}, wrote ${this.pos}`);
    return this.out;
  }

  private ascii(s: string): void {
    for (let i = 0; i < s.length; i++) this.out[this.pos++] = s.charCodeAt(i);
  }

  private bytes(b: Uint8Array): void {
    this.ascii(String(b.length));
    this.out[this.pos++] = 0x3a;
    this.out.set(b, this.pos);
    this.pos += b.length;
  }

  private write(v: BEncodable): void {
    if (typeof v === 'number' || typeof v === 'bigint') {
      this.ascii(`i${v === 0 ? 0 : v}e`);
    } else if (typeof v === 'string') {
      this.bytes(this.strings[this.si++]!);
    } else if (v instanceof Uint8Array) {
      this.bytes(v);
    } else if (v instanceof BencodeRaw) {
      this.out.set(v.bytes, this.pos);
      this.pos += v.bytes.length;
    } else if (Array.isArray(v)) {
      this.out[this.pos++] = 0x6c;
      for (const item of v as readonly BEncodable[]) this.write(item);
      this.out[this.pos++] = 0x65;
    } else {
      const entries = this.dicts[this.di++]!;
      this.out[this.pos++] = 0x64;
      for (const [k, item] of entries) {
        this.bytes(k);
        this.write(item);
      }
      this.out[this.pos++] = 0x65;
    }
  }
}

/** Bencodes `value` into one exactly-sized buffer. Throws `bencode_invalid_value` on unsupported input. */
export function bencode(value: BEncodable): Uint8Array {
  return new Encoder().encode(value);
}
