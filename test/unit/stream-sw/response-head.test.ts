// The status and headers the page decides for a worker request (range.ts + mime.ts + If-Range).
import { expect, test } from 'vitest';
import { planResponse } from '../../../src/stream/sw/response-head.js';

const file = { infoHash: 'cd'.repeat(20), fileIndex: 1, path: 'Show/Episode.WEBM', length: 1000 };
const etag = `"${'cd'.repeat(20)}-1"`;
const get = (range: string | null, ifRange: string | null = null) => planResponse({ method: 'GET', range, ifRange }, file);
const header = (p: ReturnType<typeof get>, name: string) => p.headers.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];

test('no Range: 200 with the whole file', () => {
  const p = get(null);
  expect(p).toMatchObject({ status: 200, body: true, start: 0, end: 999 });
  expect(header(p, 'content-length')).toBe('1000');
  expect(header(p, 'content-type')).toBe('video/webm');
  expect(header(p, 'accept-ranges')).toBe('bytes');
  expect(header(p, 'etag')).toBe(etag);
  expect(header(p, 'x-content-type-options')).toBe('nosniff');
  expect(header(p, 'content-range')).toBeUndefined();
});

test('one range: 206 with Content-Range and the range length', () => {
  for (const [range, start, end] of [['bytes=0-', 0, 999], ['bytes=100-199', 100, 199], ['bytes=900-5000', 900, 999], ['bytes=-10', 990, 999], ['bytes=999-', 999, 999]] as const) {
    const p = get(range);
    expect(p, range).toMatchObject({ status: 206, body: true, start, end });
    expect(header(p, 'content-range')).toBe(`bytes ${start}-${end}/1000`);
    expect(header(p, 'content-length')).toBe(String(end - start + 1));
  }
});

test('unsatisfiable → 416 bytes */size; malformed → 400; neither has a body', () => {
  for (const r of ['bytes=1000-', 'bytes=5-4', 'bytes=-0']) {
    const p = get(r);
    expect(p, r).toMatchObject({ status: 416, body: false });
    expect(header(p, 'content-range')).toBe('bytes */1000');
  }
  for (const r of ['bytes=abc', 'bytes=--5', 'bytes=1-2-3', 'bytes=']) expect(get(r), r).toMatchObject({ status: 400, body: false });
  expect(get('items=0-5')).toMatchObject({ status: 200, body: true });
});

test('HEAD has the same head and no body; If-Range with another validator sends the whole file', () => {
  const head = planResponse({ method: 'HEAD', range: 'bytes=10-19', ifRange: null }, file);
  expect(head).toMatchObject({ status: 206, body: false, start: 10, end: 19 });
  expect(get('bytes=10-19', etag)).toMatchObject({ status: 206, start: 10, end: 19 });
  expect(get('bytes=10-19', '"other"')).toMatchObject({ status: 200, start: 0, end: 999 });
});

test('an empty file: 200 without a body, and any range is unsatisfiable', () => {
  const empty = { ...file, length: 0 };
  expect(planResponse({ method: 'GET', range: null, ifRange: null }, empty)).toMatchObject({ status: 200, body: false });
  expect(planResponse({ method: 'GET', range: 'bytes=0-', ifRange: null }, empty)).toMatchObject({ status: 416, body: false });
});
