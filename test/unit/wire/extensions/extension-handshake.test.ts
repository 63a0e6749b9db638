import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bencode } from '../../../../src/metainfo/bencode.js';
import {
  DEFAULT_MAX_REQQ,
  MAX_EXTENSIONS,
  decodeExtensionHandshake,
  encodeExtensionHandshake,
} from '../../../../src/wire/extensions/extension-handshake.js';
import { isTorrentError } from '../../../../src/errors.js';
import { WireDecoder } from '../../../../src/wire/decoder.js';
import { encodeExtended } from '../../../../src/wire/encoder.js';
import { Recorder } from '../recorder.js';

const te = new TextEncoder();
const raw = (s: string) => te.encode(s);

function catchErr(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('BEP 10 extension handshake', () => {
  it('encodes canonical bencode (sorted keys, byte-exact) and decodes it back', () => {
    const h = {
      m: new Map([['ut_metadata', 2], ['ut_pex', 1], ['lt_donthave', 0]]),
      v: 'swarmkit 0.1.0 ✓',
      p: 6881,
      reqq: 500,
      yourip: Uint8Array.of(127, 0, 0, 1),
      ipv4: Uint8Array.of(10, 0, 0, 2),
      ipv6: new Uint8Array(16).fill(0xfe),
      metadataSize: 31337,
      uploadOnly: true,
    };
    const bytes = encodeExtensionHandshake(h);
    const bin = (b: Uint8Array) => String.fromCharCode(...b);
    const literal =
      'd' +
      '4:ipv4' + '4:' + bin(Uint8Array.of(10, 0, 0, 2)) +
      '4:ipv6' + '16:' + bin(new Uint8Array(16).fill(0xfe)) +
      '1:md11:lt_donthavei0e11:ut_metadatai2e6:ut_pexi1ee' +
      '13:metadata_sizei31337e' +
      '1:pi6881e' +
      '4:reqqi500e' +
      '11:upload_onlyi1e' +
      '1:v' + `${raw('swarmkit 0.1.0 ✓').length}:` + bin(raw('swarmkit 0.1.0 ✓')) +
      '6:yourip4:' + bin(Uint8Array.of(127, 0, 0, 1)) +
      'e';
    expect(bytes).toEqual(Uint8Array.from(literal, (c) => c.charCodeAt(0)));
    const back = decodeExtensionHandshake(bytes);
    expect({ ...back, raw: undefined }).toEqual({ ...h, raw: undefined });
  });

  it('ignores unknown keys and wrong-typed or out-of-range fields, keeps the rest', () => {
    const payload = bencode({
      m: { ut_metadata: 3, bad_neg: -1, bad_big: 256, bad_str: raw('x'), ok_max: 255 },
      p: 70000,
      reqq: -5,
      yourip: Uint8Array.of(1, 2, 3),
      ipv4: new Uint8Array(16),
      ipv6: new Uint8Array(4),
      metadata_size: 0,
      v: 12,
      e: 1,
      complete_ago: 3,
      nested: { deep: [1, 2, { x: raw('y') }] },
    });
    const h = decodeExtensionHandshake(payload);
    expect([...h.m]).toEqual([['ok_max', 255], ['ut_metadata', 3]]);
    expect(h.p).toBeUndefined();
    expect(h.reqq).toBeUndefined();
    expect(h.yourip).toBeUndefined();
    expect(h.ipv4).toBeUndefined();
    expect(h.ipv6).toBeUndefined();
    expect(h.metadataSize).toBeUndefined();
    expect(h.v).toBeUndefined();
    expect(h.raw.get('complete_ago')).toBe(3);
  });

  it('clamps reqq and drops metadata_size over the limit', () => {
    const p = bencode({ m: {}, reqq: 1_000_000, metadata_size: 40 * 1024 * 1024, yourip: new Uint8Array(16) });
    const h = decodeExtensionHandshake(p);
    expect(h.reqq).toBe(DEFAULT_MAX_REQQ);
    expect(h.metadataSize).toBeUndefined();
    expect(h.yourip?.length).toBe(16);
    const h2 = decodeExtensionHandshake(p, { maxReqq: 50, maxMetadataSize: 64 * 1024 * 1024 });
    expect(h2.reqq).toBe(50);
    expect(h2.metadataSize).toBe(40 * 1024 * 1024);
  });

  it('accepts a dict with unsorted keys and no m; caps the number of extensions kept', () => {
    const unsorted = raw('d1:pi6881e1:md6:ut_pexi1eee');
    const h = decodeExtensionHandshake(unsorted);
    expect(h.p).toBe(6881);
    expect([...h.m]).toEqual([['ut_pex', 1]]);
    expect(decodeExtensionHandshake(raw('de')).m.size).toBe(0);
    const many: Record<string, number> = {};
    for (let i = 0; i < 1000; i++) many[`x${String(i).padStart(4, '0')}`] = (i % 255) + 1;
    expect(decodeExtensionHandshake(bencode({ m: many })).m.size).toBe(MAX_EXTENSIONS);
  });

  it('rejects non-dict or malformed payloads with invalid_message', () => {
    for (const s of ['', 'le', 'i3e', '4:spam', 'd1:mde', 'd1:m', 'd1:mi1e1:mi2ee', 'de1:x', 'd3:fooi-0ee', 'l-3:e', '999999999:ab']) {
      expect(isTorrentError(catchErr(() => decodeExtensionHandshake(raw(s))), 'invalid_message'), s).toBe(true);
    }
    const deep = raw('d1:x' + 'l'.repeat(200) + 'e'.repeat(200) + 'e');
    expect(isTorrentError(catchErr(() => decodeExtensionHandshake(deep)), 'invalid_message')).toBe(true);
  });

  it('travels as extended message 0 through the wire decoder', () => {
    const r = new Recorder();
    let got: ReturnType<typeof decodeExtensionHandshake> | undefined;
    r.onExtended = (id, payload) => {
      if (id === 0) got = decodeExtensionHandshake(payload);
    };
    const d = new WireDecoder(r, { extended: true });
    const msg = encodeExtended(0, encodeExtensionHandshake({ m: new Map([['ut_metadata', 1]]), metadataSize: 1234, v: 'x' }));
    for (let i = 0; i < msg.length; i++) d.write(msg.subarray(i, i + 1));
    expect(got?.m.get('ut_metadata')).toBe(1);
    expect(got?.metadataSize).toBe(1234);
    expect(got?.v).toBe('x');
  });

  it('encoder validates fields', () => {
    expect(isTorrentError(catchErr(() => encodeExtensionHandshake({ m: new Map([['a', 256]]) })), 'invalid_argument')).toBe(true);
    expect(isTorrentError(catchErr(() => encodeExtensionHandshake({ m: new Map(), p: 0 })), 'invalid_argument')).toBe(true);
    expect(isTorrentError(catchErr(() => encodeExtensionHandshake({ m: new Map(), yourip: new Uint8Array(5) })), 'invalid_argument')).toBe(true);
  });

  it('fuzz: random bytes decode or fail with invalid_message only', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.string().map((s) => raw('d' + s + 'e'))), (b) => {
        try {
          const h = decodeExtensionHandshake(b);
          for (const id of h.m.values()) expect(id >= 0 && id <= 255).toBe(true);
        } catch (err) {
          expect(isTorrentError(err, 'invalid_message')).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
