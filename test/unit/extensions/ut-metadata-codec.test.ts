import { describe, expect, it } from 'vitest';
import oracle from 'bencode';
import { bencode } from '../../../src/metainfo/bencode.js';
import {
  checkDataMessage,
  decodeMetadataMessage,
  DEFAULT_MAX_METADATA_SIZE,
  encodeMetadataData,
  encodeMetadataReject,
  encodeMetadataRequest,
  metadataPieceCount,
  metadataPieceLength,
} from '../../../src/wire/extensions/ut-metadata-codec.js';

const enc = (o: object, tail?: Uint8Array): Uint8Array => {
  const h = bencode(o as Record<string, never>);
  if (!tail) return h;
  const out = new Uint8Array(h.length + tail.length);
  out.set(h);
  out.set(tail, h.length);
  return out;
};

describe('ut_metadata codec', () => {
  it('encodes as BEP 9 dicts (checked against the bencode package)', () => {
    const same = (a: Uint8Array, b: Uint8Array): void => expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    same(encodeMetadataRequest(3), oracle.encode({ msg_type: 0, piece: 3 }));
    same(encodeMetadataReject(7), oracle.encode({ msg_type: 2, piece: 7 }));
    const block = new Uint8Array(100).fill(9);
    const h = oracle.encode({ msg_type: 1, piece: 1, total_size: 16484 });
    same(encodeMetadataData(1, 16384 + 100, block), Buffer.concat([h, block]));
  });

  it('round-trips request, reject and data', () => {
    expect(decodeMetadataMessage(encodeMetadataRequest(5))).toEqual({ ok: true, message: { type: 'request', piece: 5 } });
    expect(decodeMetadataMessage(encodeMetadataReject(0))).toEqual({ ok: true, message: { type: 'reject', piece: 0 } });
    const block = Uint8Array.from({ length: 16384 }, (_, i) => i & 0xff);
    const r = decodeMetadataMessage(encodeMetadataData(0, 20000, block));
    expect(r.ok && r.message.type === 'data' && r.message.totalSize).toBe(20000);
    expect(r.ok && r.message.type === 'data' && [...r.message.block]).toEqual([...block]);
  });

  it('piece math: 16 KiB pieces, short last piece', () => {
    expect(metadataPieceCount(1)).toBe(1);
    expect(metadataPieceCount(16384)).toBe(1);
    expect(metadataPieceCount(16385)).toBe(2);
    expect(metadataPieceLength(16385, 1)).toBe(1);
    expect(metadataPieceLength(16385, 2)).toBe(0);
    expect(metadataPieceLength(16385, -1)).toBe(0);
    expect(DEFAULT_MAX_METADATA_SIZE).toBe(30 * 1024 * 1024);
  });

  describe('HOSTILE-INPUTS 22', () => {
    const verdict = (p: Uint8Array, max?: number): string => {
      const r = decodeMetadataMessage(p, max === undefined ? {} : { maxMetadataSize: max });
      return r.ok ? 'accept' : `${r.verdict.action}:${r.verdict.reason}`;
    };
    it('total_size ≤ 0 → drop', () => {
      expect(verdict(enc({ msg_type: 1, piece: 0, total_size: 0 }))).toBe('drop:total_size_not_positive');
      expect(verdict(enc({ msg_type: 1, piece: 0, total_size: -5 }))).toBe('drop:total_size_not_positive');
    });
    it('total_size over the limit → drop', () => {
      expect(verdict(enc({ msg_type: 1, piece: 0, total_size: 1000 }, new Uint8Array(1000)), 999)).toBe('drop:total_size_over_limit');
      expect(verdict(enc({ msg_type: 1, piece: 0, total_size: 31 * 1024 * 1024 }, new Uint8Array(16384)))).toBe('drop:total_size_over_limit');
      expect(verdict(enc({ msg_type: 1, piece: 0, total_size: 10 }, new Uint8Array(10)))).toBe('accept');
    });
    it('missing or non-integer total_size → drop', () => {
      expect(verdict(enc({ msg_type: 1, piece: 0 }, new Uint8Array(10)))).toBe('drop:bad_total_size');
      expect(verdict(enc({ msg_type: 1, piece: 0, total_size: '10' }, new Uint8Array(10)))).toBe('drop:bad_total_size');
      // a 64-bit integer beyond 2^53 is refused by the decoder
      expect(verdict(new TextEncoder().encode('d8:msg_typei1e5:piecei0e10:total_sizei9007199254740993ee'))).toBe('drop:not_bencode');
    });
    it('non-integer, negative or out-of-range piece → drop', () => {
      expect(verdict(enc({ msg_type: 0, piece: '1' }))).toBe('drop:bad_piece');
      expect(verdict(enc({ msg_type: 0 }))).toBe('drop:bad_piece');
      expect(verdict(enc({ msg_type: 0, piece: -1 }))).toBe('drop:bad_piece');
      expect(verdict(enc({ msg_type: 0, piece: [1] }))).toBe('drop:bad_piece');
      expect(verdict(new TextEncoder().encode('d8:msg_typei0e5:piecei1.5ee'))).toBe('drop:not_bencode');
      expect(verdict(enc({ msg_type: 0, piece: 30 * 64 }))).toBe('drop:piece_out_of_range');
      expect(verdict(enc({ msg_type: 0, piece: 30 * 64 - 1 }))).toBe('accept');
      // a data piece beyond its own total_size
      expect(verdict(enc({ msg_type: 1, piece: 1, total_size: 100 }, new Uint8Array(100)))).toBe('drop:piece_out_of_range');
    });
    it('block over 16 KiB or of the wrong length → drop', () => {
      expect(verdict(enc({ msg_type: 1, piece: 0, total_size: 40000 }, new Uint8Array(16385)))).toBe('drop:block_too_large');
      expect(verdict(enc({ msg_type: 1, piece: 0, total_size: 40000 }, new Uint8Array(16000)))).toBe('drop:wrong_block_length');
      expect(verdict(enc({ msg_type: 1, piece: 2, total_size: 40000 }, new Uint8Array(16384)))).toBe('drop:wrong_block_length');
      expect(verdict(enc({ msg_type: 1, piece: 2, total_size: 40000 }, new Uint8Array(40000 - 32768)))).toBe('accept');
    });
    it('garbage, non-dict, bad msg_type → drop; unknown msg_type → ignore', () => {
      expect(verdict(new Uint8Array([1, 2, 3]))).toBe('drop:not_bencode');
      expect(verdict(new Uint8Array(0))).toBe('drop:not_bencode');
      expect(verdict(enc([1, 2] as unknown as object))).toBe('drop:not_a_dict');
      expect(verdict(enc({ piece: 0 }))).toBe('drop:bad_msg_type');
      expect(verdict(enc({ msg_type: 9, piece: 0 }))).toBe('ignore:unknown_msg_type');
      expect(verdict(enc({ msg_type: 0, piece: 0 }, new Uint8Array(3)))).toBe('ignore:trailing_bytes');
    });
    it('inconsistent total_size against the fetched size → ignore', () => {
      const block = new Uint8Array(16384);
      expect(checkDataMessage({ piece: 0, totalSize: 40000, block }, 50000)).toEqual({ action: 'ignore', reason: 'inconsistent_total_size' });
      expect(checkDataMessage({ piece: 0, totalSize: 40000, block }, 40000)).toEqual({ action: 'accept' });
    });
  });
});
