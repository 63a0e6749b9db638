// BEP 52 hash message codec: round trips, exact sizes, and hostile lengths / indices rejected as invalid_message.
import { describe, test, expect } from 'vitest';
import {
  HASH_REQUEST_SIZE, HashMessageId, checkHashRequest, decodeHashRequest, decodeHashes, encodeHashReject, encodeHashRequest, encodeHashes,
  sameHashRequest, uncleCount,
} from '../../../src/wire/index.js';
import type { HashRequest } from '../../../src/wire/index.js';
import { isTorrentError } from '../../../src/errors.js';

const root = new Uint8Array(32).map((_, i) => i + 1);
const req: HashRequest = { piecesRoot: root, baseLayer: 2, index: 1024, length: 512, proofLayers: 11 };

function payloadOf(msg: Uint8Array): { len: number; id: number; payload: Uint8Array } {
  const len = new DataView(msg.buffer, msg.byteOffset).getUint32(0);
  return { len, id: msg[4]!, payload: msg.subarray(5) };
}

function expectInvalid(fn: () => unknown): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(isTorrentError(err, 'invalid_message')).toBe(true);
}

describe('hash messages', () => {
  test('hash request and hash reject round-trip with the BEP 52 layout', () => {
    const m = encodeHashRequest(req);
    const { len, id, payload } = payloadOf(m);
    expect(id).toBe(HashMessageId.hashRequest);
    expect(len).toBe(1 + HASH_REQUEST_SIZE);
    expect(payload.subarray(0, 32)).toEqual(root);
    expect([...payload.subarray(32, 48)]).toEqual([0, 0, 0, 2, 0, 0, 4, 0, 0, 0, 2, 0, 0, 0, 0, 11]);
    const back = decodeHashRequest(payload);
    expect(sameHashRequest(back, req)).toBe(true);
    const rj = payloadOf(encodeHashReject(req));
    expect(rj.id).toBe(HashMessageId.hashReject);
    expect(sameHashRequest(decodeHashRequest(rj.payload), req)).toBe(true);
  });

  test('hashes round-trip: base range then uncles, count from proof layers', () => {
    expect(uncleCount(512, 11)).toBe(3); // layers 1..8 implied by the range, 9..11 are uncles
    expect(uncleCount(4, 1)).toBe(0);
    expect(uncleCount(1, 0)).toBe(1);
    const hashes = new Uint8Array(32 * (512 + 3)).map((_, i) => i & 0xff);
    const { id, payload } = payloadOf(encodeHashes(req, hashes));
    expect(id).toBe(HashMessageId.hashes);
    const r = decodeHashes(payload);
    expect(sameHashRequest(r, req)).toBe(true);
    expect(r.hashes).toEqual(hashes);
  });

  test('hashes of the wrong size for their header are rejected', () => {
    const hashes = new Uint8Array(32 * 515);
    const { payload } = payloadOf(encodeHashes(req, hashes));
    expectInvalid(() => decodeHashes(payload.subarray(0, payload.length - 32)));
    expectInvalid(() => decodeHashes(payload.subarray(0, payload.length - 1)));
    expectInvalid(() => decodeHashes(payload.subarray(0, 20)));
    const longer = new Uint8Array(payload.length + 32);
    longer.set(payload);
    expectInvalid(() => decodeHashes(longer));
    expect(() => encodeHashes(req, new Uint8Array(32))).toThrow();
  });

  test('hostile lengths, indices and layers are rejected before anything is allocated', () => {
    const bad = (patch: Partial<HashRequest>): Uint8Array => payloadOf(encodeHashRequest({ ...req, ...patch })).payload;
    expectInvalid(() => decodeHashRequest(bad({ length: 0, index: 0 })));
    expectInvalid(() => decodeHashRequest(bad({ length: 3, index: 0 })));
    expectInvalid(() => decodeHashRequest(bad({ length: 1024, index: 0 }))); // over the 512 limit
    expectInvalid(() => decodeHashRequest(bad({ length: 0x80000000, index: 0 })));
    expectInvalid(() => decodeHashRequest(bad({ index: 100 }))); // not a multiple of the length
    expectInvalid(() => decodeHashRequest(bad({ baseLayer: 64 })));
    expectInvalid(() => decodeHashRequest(bad({ proofLayers: 0xffffffff })));
    expectInvalid(() => decodeHashRequest(bad({ baseLayer: 60, index: 0x7ffffe00 }))); // beyond any tree
    expectInvalid(() => decodeHashRequest(new Uint8Array(47)));
    expectInvalid(() => decodeHashRequest(new Uint8Array(49)));
    // A huge claimed proof depth in a hashes header cannot make us wait for or allocate anything.
    const h = payloadOf(encodeHashRequest({ ...req, proofLayers: 0xffffffff })).payload;
    expectInvalid(() => decodeHashes(h));
    expect(() => checkHashRequest({ ...req, length: 1024 }, { maxLength: 1024 })).not.toThrow();
  });

  test('encoders refuse bad arguments (our bugs) with invalid_argument', () => {
    expect(() => encodeHashRequest({ ...req, piecesRoot: new Uint8Array(20) })).toThrow();
    expect(() => encodeHashRequest({ ...req, index: -1 })).toThrow();
    expect(() => encodeHashRequest({ ...req, length: 1.5 })).toThrow();
  });
});
