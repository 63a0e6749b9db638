import { describe, expect, it } from 'vitest';
// The npm `bencode` package is a test oracle for ENCODING only; it never decodes anything here.
import oracle from 'bencode';
import {
  bdecode,
  bdecodeWithSpans,
  bencode,
  BencodeRaw,
  binaryKey,
  getBytes,
  getDict,
  getInt,
  getList,
  getString,
  keyBytes,
} from '../../../src/metainfo/bencode.js';
import type { BDict, BValue } from '../../../src/metainfo/bencode.js';
import { isTorrentError } from '../../../src/errors.js';

const enc = new TextEncoder();
const b = (s: string): Uint8Array => enc.encode(s);
const str = (v: BValue | undefined): string => new TextDecoder().decode(v as Uint8Array);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (isTorrentError(err)) return err.code;
    throw err;
  }
  return undefined;
}

describe('bdecode', () => {
  it('decodes integers, strings, lists and dicts', () => {
    expect(bdecode(b('i42e'))).toBe(42);
    expect(bdecode(b('i-7e'))).toBe(-7);
    expect(bdecode(b('i0e'))).toBe(0);
    expect(str(bdecode(b('4:spam')))).toBe('spam');
    expect(bdecode(b('0:'))).toEqual(new Uint8Array(0));
    const l = bdecode(b('l4:spami3ee')) as BValue[];
    expect(l).toHaveLength(2);
    expect(str(l[0])).toBe('spam');
    expect(l[1]).toBe(3);
    const d = bdecode(b('d3:cow3:moo4:spaml1:a1:bee')) as BDict;
    expect([...d.keys()]).toEqual(['cow', 'spam']);
    expect(str(d.get('cow'))).toBe('moo');
  });

  it('returns strings as views into the input, not copies', () => {
    const input = b('d3:key5:valuee');
    const v = (bdecode(input) as BDict).get('key') as Uint8Array;
    expect(v.buffer).toBe(input.buffer);
    expect(v.byteOffset).toBe(8);
  });

  it('keeps raw binary keys and __proto__ as plain data', () => {
    const key = new Uint8Array([0xff, 0x00, 0x80]);
    const input = new Uint8Array([...b('d3:'), ...key, ...b('i1e9:__proto__i2e11:constructori3ee')]);
    // '\xff\x00\x80' > '__proto__' > 'constructor' bytewise? No: sort order must hold, so build it sorted.
    expect(codeOf(() => bdecode(input))).toBe('bdecode_unsorted_keys');
    const sorted = bencode(new Map<string, BValue>([[binaryKey(key), 1], ['__proto__', 2], ['constructor', 3]]));
    const d = bdecode(sorted) as BDict;
    expect(d.get('__proto__')).toBe(2);
    expect(d.get('constructor')).toBe(3);
    expect(keyBytes([...d.keys()].find((k) => k.length === 3)!)).toEqual(key);
    expect(Object.getPrototypeOf(d)).toBe(Map.prototype);
  });

  it.each([
    ['i-0e', 'bdecode_invalid_integer'],
    ['i03e', 'bdecode_invalid_integer'],
    ['i-03e', 'bdecode_invalid_integer'],
    ['ie', 'bdecode_invalid_integer'],
    ['i-e', 'bdecode_invalid_integer'],
    ['i+1e', 'bdecode_invalid_integer'],
    ['i1.5e', 'bdecode_invalid_integer'],
    [`i${'9'.repeat(70)}e`, 'bdecode_invalid_integer'],
    ['i12', 'bdecode_unexpected_eof'],
    ['01:a', 'bdecode_invalid_string_length'],
    ['-1:a', 'bdecode_invalid_token'],
    ['l-3:e', 'bdecode_invalid_token'],
    ['999999999:ab', 'bdecode_invalid_string_length'],
    ['5:abc', 'bdecode_invalid_string_length'],
    ['3', 'bdecode_invalid_string_length'],
    ['d1:a', 'bdecode_unexpected_eof'],
    ['', 'bdecode_unexpected_eof'],
    ['l', 'bdecode_unexpected_eof'],
    ['e', 'bdecode_invalid_token'],
    ['x', 'bdecode_invalid_token'],
    ['di1ei2ee', 'bdecode_invalid_token'],
    ['d1:ae', 'bdecode_invalid_token'],
    ['d1:bi1e1:ai2ee', 'bdecode_unsorted_keys'],
    ['d1:ai1e1:ai2ee', 'bdecode_duplicate_key'],
    ['i1ei2e', 'bdecode_trailing_data'],
    ['le ', 'bdecode_trailing_data'],
  ])('rejects %j with %s', (input, code) => {
    expect(codeOf(() => bdecode(b(input)))).toBe(code);
  });

  it('handles integers beyond 2^53 as bigint or rejects them per option', () => {
    expect(bdecode(b('i9007199254740991e'))).toBe(Number.MAX_SAFE_INTEGER);
    expect(bdecode(b('i-9007199254740991e'))).toBe(-Number.MAX_SAFE_INTEGER);
    expect(bdecode(b('i9007199254740992e'))).toBe(9007199254740992n);
    expect(bdecode(b('i9223372036854775807e'))).toBe(9223372036854775807n);
    expect(bdecode(b('i-9223372036854775808e'))).toBe(-9223372036854775808n);
    expect(codeOf(() => bdecode(b('i9223372036854775808e')))).toBe('bdecode_invalid_integer');
    expect(codeOf(() => bdecode(b('i9007199254740992e'), { largeIntegers: 'reject' }))).toBe('bdecode_invalid_integer');
  });

  it('accepts unsorted keys in lenient mode but still rejects duplicates', () => {
    const d = bdecode(b('d1:bi1e1:ai2ee'), { strict: false }) as BDict;
    expect(d.get('a')).toBe(2);
    expect(codeOf(() => bdecode(b('d1:bi1e1:ai2e1:bi3ee'), { strict: false }))).toBe('bdecode_duplicate_key');
  });

  it('bounds nesting depth without recursion', () => {
    expect(bdecode(b('l'.repeat(100) + 'e'.repeat(100)))).toBeInstanceOf(Array);
    expect(codeOf(() => bdecode(b('l'.repeat(101) + 'e'.repeat(101))))).toBe('bdecode_depth_exceeded');
    // A million-deep input with the limit lifted: no stack overflow, because the decoder is iterative.
    const deep = 1_000_000;
    const v = bdecode(b('l'.repeat(deep) + 'e'.repeat(deep)), { maxDepth: Infinity });
    expect(Array.isArray(v)).toBe(true);
  });

  it('bounds the token count', () => {
    const many = b('l' + 'i1e'.repeat(2_000_001) + 'e');
    expect(codeOf(() => bdecode(many))).toBe('bdecode_token_limit_exceeded');
    expect(codeOf(() => bdecode(b('li1ei2ee'), { maxTokens: 2 }))).toBe('bdecode_token_limit_exceeded');
    expect(bdecode(b('li1ei2ee'), { maxTokens: 3 })).toEqual([1, 2]);
  });

  it('reports raw spans of dicts and lists', () => {
    const input = b('d4:infod1:ai1ee4:listl0:ee');
    const { value, spanOf } = bdecodeWithSpans(input);
    const info = (value as BDict).get('info') as BDict;
    const list = (value as BDict).get('list') as BValue[];
    expect(spanOf(info)).toEqual({ start: 7, end: 15 });
    expect(new TextDecoder().decode(input.subarray(spanOf(list)!.start, spanOf(list)!.end))).toBe('l0:e');
    expect(spanOf(value as BDict)).toEqual({ start: 0, end: input.length });
  });

  it('decodes a 2 MB torrent-like dict, keeping the big string as a view (speed: test/bench/metainfo.bench.ts)', () => {
    const pieces = new Uint8Array(2_000_000);
    const input = bencode({ info: { length: 1, name: 'x', 'piece length': 16384, pieces }, announce: 'http://t' });
    const info = (bdecode(input) as BDict).get('info') as BDict;
    const decoded = info.get('pieces') as Uint8Array;
    expect(decoded.length).toBe(2_000_000);
    expect(decoded.buffer).toBe(input.buffer);
  });
});

describe('bencode', () => {
  it('matches the npm bencode oracle on plain values', () => {
    const value = {
      announce: 'http://tracker/announce',
      'creation date': 1700000000,
      info: { name: 'ünïcødé', 'piece length': 262144, files: [{ length: 5, path: ['a', 'b.txt'] }], pieces: new Uint8Array([1, 2, 3]) },
      neg: -12,
      zero: 0,
      list: [[], {}, 'x'],
    };
    expect(bencode(value)).toEqual(new Uint8Array(oracle.encode(value)));
  });

  it('sorts keys bytewise (UTF-8 for object keys, binary for Map keys)', () => {
    expect(new TextDecoder().decode(bencode({ b: 1, a: 2, B: 3, é: 4, z: 5 }))).toBe('d1:Bi3e1:ai2e1:bi1e1:zi5e2:éi4ee');
    const m = new Map<string, BValue>([['\xff', 1], ['\x00', 2]]);
    expect(bencode(m)).toEqual(new Uint8Array([0x64, 0x31, 0x3a, 0x00, 0x69, 0x32, 0x65, 0x31, 0x3a, 0xff, 0x69, 0x31, 0x65, 0x65]));
  });

  it('encodes bigint, -0, raw spliced bytes, and skips undefined object fields', () => {
    expect(str(bencode(2n ** 60n))).toBe('i1152921504606846976e');
    expect(str(bencode(-0))).toBe('i0e');
    expect(str(bencode({ a: new BencodeRaw(b('li1ee')), u: undefined }))).toBe('d1:ali1eee');
  });

  it('rejects unsupported values with bencode_invalid_value', () => {
    expect(codeOf(() => bencode(1.5))).toBe('bencode_invalid_value');
    expect(codeOf(() => bencode(2 ** 60))).toBe('bencode_invalid_value');
    expect(codeOf(() => bencode(null as never))).toBe('bencode_invalid_value');
    expect(codeOf(() => bencode(new Map([['\u0100', 1]])))).toBe('bencode_invalid_value');
    const cyclic: BValue[] = [];
    cyclic.push(cyclic);
    expect(codeOf(() => bencode(cyclic))).toBe('bencode_invalid_value');
  });

  it('round-trips decode → encode byte for byte', () => {
    const input = b('d1:ai-5e1:bl0:3:xyzd1:ci1eee1:dde3:zzzi9007199254740993ee');
    expect(bencode(bdecode(input))).toEqual(input);
  });
});

describe('typed accessors', () => {
  const d = bdecode(b('d1:ai1e1:bd0:i0ee1:cle1:s3:é!e')) as BDict;
  it('return values of the right type and undefined when absent', () => {
    expect(getInt(d, 'a')).toBe(1);
    expect(getDict(d, 'b')?.get('')).toBe(0);
    expect(getList(d, 'c')).toEqual([]);
    expect(getString(d, 's')).toBe('é!');
    expect(getBytes(d, 'missing')).toBeUndefined();
  });
  it('throw typed errors on the wrong type or a missing required field', () => {
    expect(codeOf(() => getInt(d, 's', { code: 'torrent_invalid_length' }))).toBe('torrent_invalid_length');
    expect(codeOf(() => getBytes(d, 'missing', { required: true }))).toBe('torrent_invalid');
  });
});
