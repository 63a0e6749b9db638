import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { MAX_RANGES, contentRange, parseRange, unsatisfiedRange } from '../../../src/stream/range.js';
import type { RangeDecision } from '../../../src/stream/range.js';
import { contentTypeFor, DEFAULT_CONTENT_TYPE } from '../../../src/stream/mime.js';

const full: RangeDecision = { kind: 'full' };
const bad: RangeDecision = { kind: 'malformed' };
const no: RangeDecision = { kind: 'unsatisfiable' };
const part = (start: number, end: number): RangeDecision => ({ kind: 'partial', start, end });

describe('parseRange (size 1000)', () => {
  const cases: Array<[string | undefined | null, RangeDecision]> = [
    [undefined, full],
    [null, full],
    ['', full],
    ['bytes=0-499', part(0, 499)],
    ['bytes=500-999', part(500, 999)],
    ['bytes=500-', part(500, 999)],
    ['bytes=-1', part(999, 999)],
    ['bytes=-500', part(500, 999)],
    ['bytes=-5000', part(0, 999)],
    ['bytes=0-0', part(0, 0)],
    ['bytes=999-999', part(999, 999)],
    ['bytes=0-5000', part(0, 999)], // last-pos past the end is clamped (RFC 9110 §14.1.2)
    ['bytes=0-99999999999999', part(0, 999)],
    ['BYTES=1-2', part(1, 2)],
    ['bytes = 1-2', part(1, 2)],
    [' bytes=1-2 ', part(1, 2)],
    // other units are ignored (MUST, §14.2)
    ['items=0-5', full],
    ['=0-5', full],
    // several ranges: ignored, whole file
    ['bytes=0-1,5-6', full],
    ['bytes=0-1, 5-', full],
    [`bytes=${Array.from({ length: MAX_RANGES + 1 }, (_, i) => `${i}-${i}`).join(',')}`, no],
    // unsatisfiable → 416
    ['bytes=1000-', no],
    ['bytes=1000-1000', no],
    ['bytes=5000-6000', no],
    ['bytes=500-100', no], // reversed
    ['bytes=-0', no],
    ['bytes=99999999999999-', no],
    // malformed → 400
    ['bytes', bad],
    ['bytes=', bad],
    ['bytes=-', bad],
    ['bytes=abc', bad],
    ['bytes=1-2-3', bad],
    ['bytes=--5', bad],
    ['bytes=+1-2', bad],
    ['bytes=-1-2', bad],
    ['bytes=1.5-2', bad],
    ['bytes=0x10-0x20', bad],
    ['bytes=1e3-', bad],
    ['bytes=0-1,', bad],
    ['bytes=0-1,,2-3', bad],
    ['bytes=0-1,abc', bad],
    ['bytes=\u0661-2', bad], // Arabic-Indic digit is not a DIGIT
    ['bytes=12345678901234567-', bad], // 17 digits
    ['bytes=0-' + '9'.repeat(2000), bad],
    ['garbage', bad],
  ];
  test.each(cases)('%j', (header, want) => {
    expect(parseRange(header, 1000)).toEqual(want);
  });
});

describe('parseRange edge sizes', () => {
  test('an empty file satisfies no byte range', () => {
    expect(parseRange('bytes=0-', 0)).toEqual(no);
    expect(parseRange('bytes=-5', 0)).toEqual(no);
    expect(parseRange(undefined, 0)).toEqual(full);
  });
  test('a one-byte file', () => {
    expect(parseRange('bytes=0-', 1)).toEqual(part(0, 0));
    expect(parseRange('bytes=-1', 1)).toEqual(part(0, 0));
    expect(parseRange('bytes=1-', 1)).toEqual(no);
  });
  test('sizes beyond 4 GiB', () => {
    const size = 10 * 2 ** 32 + 7;
    expect(parseRange('bytes=42949672960-', size)).toEqual(part(42949672960, size - 1));
    expect(parseRange('bytes=-7', size)).toEqual(part(size - 7, size - 1));
  });
});

test('property: never throws, partial ranges lie inside the file', () => {
  const headers = fc.oneof(
    fc.string({ maxLength: 80 }),
    fc.tuple(fc.option(fc.nat({ max: 5000 })), fc.option(fc.nat({ max: 5000 }))).map(([a, b]) => `bytes=${a ?? ''}-${b ?? ''}`),
  );
  fc.assert(
    fc.property(headers, fc.nat({ max: 4000 }), (h, size) => {
      const d = parseRange(h, size);
      if (d.kind === 'partial') {
        expect(Number.isSafeInteger(d.start) && Number.isSafeInteger(d.end)).toBe(true);
        expect(0 <= d.start && d.start <= d.end && d.end < size).toBe(true);
      }
    }),
    { numRuns: 2000 },
  );
});

test('Content-Range values', () => {
  expect(contentRange(0, 499, 1000)).toBe('bytes 0-499/1000');
  expect(unsatisfiedRange(1000)).toBe('bytes */1000');
});

test('content types by extension', () => {
  expect(contentTypeFor('a/b/Movie.MP4')).toBe('video/mp4');
  expect(contentTypeFor('x.webm')).toBe('video/webm');
  expect(contentTypeFor('x.mkv')).toBe('video/x-matroska');
  expect(contentTypeFor('x.mp3')).toBe('audio/mpeg');
  expect(contentTypeFor('x.ogg')).toBe('audio/ogg');
  expect(contentTypeFor('x.m4a')).toBe('audio/mp4');
  expect(contentTypeFor('x.wav')).toBe('audio/wav');
  expect(contentTypeFor('x.flac')).toBe('audio/flac');
  expect(contentTypeFor('x.jpg')).toBe('image/jpeg');
  expect(contentTypeFor('x.png')).toBe('image/png');
  expect(contentTypeFor('x.gif')).toBe('image/gif');
  expect(contentTypeFor('x.txt')).toBe('text/plain; charset=utf-8');
  expect(contentTypeFor('x.srt')).toBe('text/plain; charset=utf-8');
  expect(contentTypeFor('x.vtt')).toBe('text/vtt; charset=utf-8');
  expect(contentTypeFor('x.html')).toBe('text/html; charset=utf-8');
  expect(contentTypeFor('x.unknown')).toBe(DEFAULT_CONTENT_TYPE);
  expect(contentTypeFor('.mp4')).toBe(DEFAULT_CONTENT_TYPE); // a hidden file with no extension
  expect(contentTypeFor('noext')).toBe(DEFAULT_CONTENT_TYPE);
  expect(contentTypeFor('dir.mp4/file')).toBe(DEFAULT_CONTENT_TYPE);
  expect(contentTypeFor('x.__proto__')).toBe(DEFAULT_CONTENT_TYPE);
  expect(contentTypeFor('x.constructor')).toBe(DEFAULT_CONTENT_TYPE);
});
