import { describe, expect, it } from 'vitest';
import { WireDecoder } from '../../../src/wire/decoder.js';
import type { WireDecoderOptions } from '../../../src/wire/decoder.js';
import * as enc from '../../../src/wire/encoder.js';
import type { WireMessage } from '../../../src/wire/messages.js';
import { isTorrentError } from '../../../src/errors.js';
import type { ErrorCode } from '../../../src/errors.js';
import { Recorder, feedBytewise } from './recorder.js';

const all: WireDecoderOptions = { fast: true, extended: true };

function decodeAll(bytes: Uint8Array, opts: WireDecoderOptions = all, bytewise = false): WireMessage[] {
  const r = new Recorder();
  const d = new WireDecoder(r, opts);
  if (bytewise) feedBytewise(d, bytes);
  else d.write(bytes);
  expect(d.bufferedBytes).toBe(0);
  return r.messages;
}

function expectCode(fn: () => unknown, code: ErrorCode): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(isTorrentError(caught, code), `expected TorrentError ${code}, got ${String(caught)}`).toBe(true);
}

function u32be(n: number): number[] {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
}

/** Raw frame: length prefix (explicit, may lie), id, payload bytes. */
function frame(len: number, id: number, payload: number[] = []): Uint8Array {
  return Uint8Array.from([...u32be(len), id, ...payload]);
}

const block = Uint8Array.from({ length: 16384 }, (_, i) => (i * 31) & 255);

const cases: Array<[WireMessage, Uint8Array, number[]]> = [
  [{ type: 'keepAlive' }, enc.encodeKeepAlive(), [0, 0, 0, 0]],
  [{ type: 'choke' }, enc.encodeChoke(), [0, 0, 0, 1, 0]],
  [{ type: 'unchoke' }, enc.encodeUnchoke(), [0, 0, 0, 1, 1]],
  [{ type: 'interested' }, enc.encodeInterested(), [0, 0, 0, 1, 2]],
  [{ type: 'notInterested' }, enc.encodeNotInterested(), [0, 0, 0, 1, 3]],
  [{ type: 'have', index: 0x01020304 }, enc.encodeHave(0x01020304), [0, 0, 0, 5, 4, 1, 2, 3, 4]],
  [{ type: 'bitfield', bits: Uint8Array.of(0xff, 0x80) }, enc.encodeBitfield(Uint8Array.of(0xff, 0x80)), [0, 0, 0, 3, 5, 0xff, 0x80]],
  [{ type: 'request', index: 1, begin: 16384, length: 16384 }, enc.encodeRequest(1, 16384, 16384), [0, 0, 0, 13, 6, 0, 0, 0, 1, 0, 0, 0x40, 0, 0, 0, 0x40, 0]],
  [{ type: 'piece', index: 2, begin: 3, block: Uint8Array.of(9, 8, 7) }, enc.encodePiece(2, 3, Uint8Array.of(9, 8, 7)), [0, 0, 0, 12, 7, 0, 0, 0, 2, 0, 0, 0, 3, 9, 8, 7]],
  [{ type: 'cancel', index: 0xffffffff, begin: 0, length: 1 }, enc.encodeCancel(0xffffffff, 0, 1), [0, 0, 0, 13, 8, 255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 1]],
  [{ type: 'port', port: 6881 }, enc.encodePort(6881), [0, 0, 0, 3, 9, 0x1a, 0xe1]],
  [{ type: 'suggest', index: 7 }, enc.encodeSuggest(7), [0, 0, 0, 5, 13, 0, 0, 0, 7]],
  [{ type: 'haveAll' }, enc.encodeHaveAll(), [0, 0, 0, 1, 14]],
  [{ type: 'haveNone' }, enc.encodeHaveNone(), [0, 0, 0, 1, 15]],
  [{ type: 'reject', index: 5, begin: 32768, length: 100 }, enc.encodeReject(5, 32768, 100), [0, 0, 0, 13, 16, 0, 0, 0, 5, 0, 0, 0x80, 0, 0, 0, 0, 100]],
  [{ type: 'allowedFast', index: 258 }, enc.encodeAllowedFast(258), [0, 0, 0, 5, 17, 0, 0, 1, 2]],
  [{ type: 'extended', id: 3, payload: Uint8Array.of(100, 101) }, enc.encodeExtended(3, Uint8Array.of(100, 101)), [0, 0, 0, 4, 20, 3, 100, 101]],
  [{ type: 'extended', id: 0, payload: new Uint8Array(0) }, enc.encodeExtended(0, new Uint8Array(0)), [0, 0, 0, 2, 20, 0]],
  [{ type: 'unknown', id: 21, payload: Uint8Array.of(1, 2, 3) }, enc.encodeMessage({ type: 'unknown', id: 21, payload: Uint8Array.of(1, 2, 3) }), [0, 0, 0, 4, 21, 1, 2, 3]],
];

describe('wire codec: every message both ways', () => {
  for (const [msg, bytes, wire] of cases) {
    it(`${msg.type} encodes to the BEP 3/6/10 bytes and decodes back (whole and byte by byte)`, () => {
      expect([...bytes]).toEqual(wire);
      expect([...enc.encodeMessage(msg)]).toEqual(wire);
      expect(enc.encodedSize(msg)).toBe(wire.length);
      expect(decodeAll(bytes)).toEqual([msg]);
      expect(decodeAll(bytes, all, true)).toEqual([msg]);
    });
  }

  it('a full 16 KiB piece round-trips, and header + block (writev) equals the one-buffer encoding', () => {
    const header = enc.encodePieceHeader(9, 16384, block.length);
    expect(header.length).toBe(13);
    const joined = new Uint8Array(13 + block.length);
    joined.set(header);
    joined.set(block, 13);
    expect(joined).toEqual(enc.encodePiece(9, 16384, block));
    expect(decodeAll(joined)).toEqual([{ type: 'piece', index: 9, begin: 16384, block }]);
  });

  it('batch builders equal the concatenation of single messages', () => {
    const list = [{ index: 1, begin: 0, length: 16384 }, { index: 2, begin: 16384, length: 100 }, { index: 0xfffffffe, begin: 7, length: 1 }];
    const concat = (parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
    expect(enc.encodeRequests(list)).toEqual(concat(list.map((r) => enc.encodeRequest(r.index, r.begin, r.length))));
    expect(enc.encodeCancels(list)).toEqual(concat(list.map((r) => enc.encodeCancel(r.index, r.begin, r.length))));
    expect(enc.encodeRejects(list)).toEqual(concat(list.map((r) => enc.encodeReject(r.index, r.begin, r.length))));
    expect(enc.encodeHaves([3, 1, 4])).toEqual(concat([3, 1, 4].map((i) => enc.encodeHave(i))));
    const msgs = cases.map((c) => c[0]);
    const batch = enc.encodeBatch(msgs);
    expect(batch).toEqual(concat(cases.map((c) => c[1])));
    expect(decodeAll(batch)).toEqual(msgs);
    expect(enc.encodeRequests([]).length).toBe(0);
  });

  it('encoder rejects arguments that cannot be put on the wire', () => {
    expectCode(() => enc.encodeHave(-1), 'invalid_argument');
    expectCode(() => enc.encodeHave(2 ** 32), 'invalid_argument');
    expectCode(() => enc.encodeRequest(1, 1.5, 1), 'invalid_argument');
    expectCode(() => enc.encodePort(65536), 'invalid_argument');
    expectCode(() => enc.encodeExtended(256, new Uint8Array(0)), 'invalid_argument');
    expectCode(() => enc.encodeRequests([{ index: 0, begin: 0, length: NaN }]), 'invalid_argument');
  });
});

describe('wire decoder: views, buffering, options', () => {
  it('passes a piece block as a view of the received chunk when it lies in one chunk', () => {
    const msg = enc.encodePiece(1, 0, block);
    const chunk = new Uint8Array(msg.length + 10);
    chunk.set(msg, 5);
    const r = new Recorder();
    const d = new WireDecoder(r);
    d.write(chunk.subarray(5, 5 + msg.length));
    const view = r.views[0]!;
    expect(view.buffer).toBe(chunk.buffer);
    expect(view.byteOffset).toBe(5 + 13);
    expect(view.length).toBe(block.length);
  });

  it('copies a block spanning chunks once, and holds at most one message buffered', () => {
    const msg = enc.encodePiece(1, 0, block);
    const r = new Recorder();
    const d = new WireDecoder(r);
    d.write(msg.subarray(0, 8000));
    expect(d.bufferedBytes).toBe(8000 - 5); // the length prefix and id are already consumed
    d.write(msg.subarray(8000));
    expect(r.messages).toEqual([{ type: 'piece', index: 1, begin: 0, block }]);
    expect(r.views[0]!.buffer).not.toBe(msg.buffer);
    expect(d.bufferedBytes).toBe(0);
  });

  it('never keeps the caller\'s chunk: a stream fed through one reused, then scribbled-over buffer decodes intact', () => {
    const big = new Uint8Array(300_000).map((_, i) => (i * 13) & 0xff); // an extended message over many chunks
    const blk = new Uint8Array(16384).map((_, i) => (i * 5 + 1) & 0xff);
    const parts = [
      enc.encodeBitfield(Uint8Array.of(0xf0)),
      enc.encodePiece(3, 16384, blk),
      enc.encodeExtended(1, big),
      enc.encodeHave(2),
      enc.encodePiece(1, 0, blk),
      enc.encodeExtended(2, Uint8Array.of(9, 8, 7)),
    ];
    const stream = new Uint8Array(Buffer.concat(parts));
    const want = decodeAll(stream, { ...all, maxExtendedSize: 400_000 });
    for (const size of [1000, 7001, 65536]) {
      const r = new Recorder();
      const d = new WireDecoder(r, { ...all, maxExtendedSize: 400_000 });
      const reused = new Uint8Array(size);
      for (let at = 0; at < stream.length; at += size) {
        const n = Math.min(size, stream.length - at);
        reused.set(stream.subarray(at, at + n));
        d.write(reused.subarray(0, n));
        reused.fill(0xee); // the transport reuses its buffer: nothing the decoder kept may point into it
        expect(d.bufferedBytes).toBeLessThanOrEqual(300_000 + 2);
      }
      expect(r.messages).toEqual(want);
      // Only piece blocks are views; bitfield / extended payloads handed out are copies the handler may keep.
      const kept = r.views.filter((v, i) => r.messages[i]?.type !== 'piece');
      expect(kept.every((v) => v.buffer !== reused.buffer)).toBe(true);
      expect(Buffer.from(kept[1]!).equals(Buffer.from(big))).toBe(true);
    }
  });

  it('rejects fast messages unless fast was negotiated, extended unless BEP 10 was negotiated', () => {
    for (const m of [enc.encodeHaveAll(), enc.encodeHaveNone(), enc.encodeSuggest(1), enc.encodeReject(1, 0, 1), enc.encodeAllowedFast(1)]) {
      expectCode(() => decodeAll(m, { extended: true }), 'invalid_message');
    }
    expectCode(() => decodeAll(enc.encodeExtended(0, Uint8Array.of(100, 101)), { fast: true }), 'invalid_message');
    const d = new WireDecoder(new Recorder());
    d.fast = true;
    d.extended = true;
    d.write(enc.encodeHaveAll());
    d.write(enc.encodeExtended(1, Uint8Array.of(1)));
  });

  it('keeps failing after an error and drops its buffers', () => {
    const r = new Recorder();
    const d = new WireDecoder(r);
    expectCode(() => d.write(Uint8Array.of(...frame(2, 4, [0]), 1, 2, 3)), 'invalid_message');
    expect(d.destroyed).toBe(true);
    expect(d.bufferedBytes).toBe(0);
    expectCode(() => d.write(enc.encodeChoke()), 'invalid_message');
    expect(r.messages).toEqual([]);
  });

  it('a handler may destroy the decoder or feed it re-entrantly', () => {
    const r = new Recorder();
    const d = new WireDecoder(r);
    r.onChoke = () => d.destroy();
    d.write(Uint8Array.from([...enc.encodeInterested(), ...enc.encodeChoke(), ...enc.encodeUnchoke()]));
    expect(r.messages).toEqual([{ type: 'interested' }]);
    d.write(enc.encodeUnchoke()); // ignored after destroy
    expect(r.messages.length).toBe(1);

    const r2 = new Recorder();
    const d2 = new WireDecoder(r2);
    r2.onChoke = () => d2.write(enc.encodeUnchoke());
    d2.write(Uint8Array.from([...enc.encodeChoke(), ...enc.encodeInterested()]));
    expect(r2.messages).toEqual([{ type: 'interested' }, { type: 'unchoke' }]);
  });

  it('a handler exception kills the decoder and propagates', () => {
    const r = new Recorder();
    const d = new WireDecoder(r);
    r.onHave = () => {
      throw new Error('boom');
    };
    expect(() => d.write(enc.encodeHave(1))).toThrow('boom');
    expect(d.destroyed).toBe(true);
  });

  it('validates its options', () => {
    expectCode(() => new WireDecoder(new Recorder(), { maxBlockSize: 0 }), 'invalid_argument');
    expectCode(() => new WireDecoder(new Recorder(), { maxMessageSize: 2 ** 31 }), 'invalid_argument');
    expectCode(() => new WireDecoder(new Recorder(), { pieceCount: -1 }), 'invalid_argument');
    expectCode(() => new WireDecoder(new Recorder(), { pieceCount: 1.5 }), 'invalid_argument');
  });

  it('honours a larger configured block size', () => {
    const big = new Uint8Array(32768);
    expectCode(() => decodeAll(enc.encodePiece(0, 0, big)), 'message_too_large');
    expect(decodeAll(enc.encodePiece(0, 0, big), { maxBlockSize: 32768 })).toEqual([{ type: 'piece', index: 0, begin: 0, block: big }]);
    expect(decodeAll(enc.encodeRequest(0, 0, 32768), { maxBlockSize: 32768 })).toEqual([{ type: 'request', index: 0, begin: 0, length: 32768 }]);
  });
});

describe('hostile inputs 14–17 at codec level', () => {
  it('14: a length prefix at or above 2^31 is message_too_large, before any payload arrives', () => {
    for (const len of [0x80000000, 0xffffffff, 0x7fffffff]) {
      const r = new Recorder();
      const d = new WireDecoder(r, all);
      expectCode(() => d.write(Uint8Array.from(u32be(len))), 'message_too_large');
    }
  });

  it('14: a piece over 16 KiB + 9, an extended message over its limit, a huge unknown message → message_too_large on the header alone', () => {
    expectCode(() => decodeAll(frame(16384 + 10, 7)), 'message_too_large');
    expectCode(() => decodeAll(frame(16384 + 9 + 1000, 7)), 'message_too_large');
    expectCode(() => decodeAll(frame(2 * 1024 * 1024 + 1, 20)), 'message_too_large');
    expectCode(() => decodeAll(frame(1024 * 1024 + 1, 99)), 'message_too_large');
    expectCode(() => decodeAll(frame(1024 * 1024 + 1, 5)), 'message_too_large'); // bitfield, piece count unknown
    expectCode(() => decodeAll(frame(3 * 1024 * 1024, 20), { extended: true, maxExtendedSize: 1 << 20 }), 'message_too_large');
    // exactly at the limits is fine (header only: nothing is dispatched yet, the rest would be waited for)
    const d = new WireDecoder(new Recorder(), all);
    d.write(frame(16384 + 9, 7));
    expect(d.destroyed).toBe(false);
  });

  it('15: wrong length for a fixed-size id → invalid_message', () => {
    const bad: Array<[number, number]> = [
      [0, 2], [1, 5], [2, 2], [3, 9],
      [4, 2], [4, 4], [4, 6], // a 1-byte have, short and long haves
      [6, 12], [6, 14], [8, 1], [8, 17],
      [9, 2], [9, 4],
      [13, 1], [14, 2], [15, 5], [16, 9], [17, 6],
      [7, 9], [7, 1], // piece with no block
      [20, 1], // extended without its id byte
    ];
    for (const [id, len] of bad) {
      expectCode(() => decodeAll(frame(len, id, new Array<number>(Math.max(0, len - 1)).fill(0))), 'invalid_message');
    }
  });

  it('16: bitfield of the wrong size or with spare bits set; have/suggest/allowed-fast/request/piece index out of range', () => {
    const opts = { ...all, pieceCount: 10 }; // 2 bytes, 6 spare bits
    expect(decodeAll(enc.encodeBitfield(Uint8Array.of(0xff, 0xc0)), opts)).toEqual([{ type: 'bitfield', bits: Uint8Array.of(0xff, 0xc0) }]);
    expectCode(() => decodeAll(enc.encodeBitfield(Uint8Array.of(0xff, 0xe0)), opts), 'invalid_message');
    expectCode(() => decodeAll(enc.encodeBitfield(Uint8Array.of(0xff, 0xc1)), opts), 'invalid_message');
    expectCode(() => decodeAll(enc.encodeBitfield(Uint8Array.of(0xff)), opts), 'invalid_message');
    expectCode(() => decodeAll(enc.encodeBitfield(Uint8Array.of(0xff, 0, 0)), opts), 'invalid_message');
    expectCode(() => decodeAll(frame(1 + 1000, 5), opts), 'invalid_message'); // rejected on the header
    expect(decodeAll(enc.encodeBitfield(Uint8Array.of(0xff)), { pieceCount: 8 })).toEqual([{ type: 'bitfield', bits: Uint8Array.of(0xff) }]);
    expect(decodeAll(enc.encodeHave(9), opts)).toEqual([{ type: 'have', index: 9 }]);
    for (const m of [enc.encodeHave(10), enc.encodeHave(0xffffffff), enc.encodeSuggest(10), enc.encodeAllowedFast(10),
      enc.encodeRequest(10, 0, 1), enc.encodeCancel(10, 0, 1), enc.encodeReject(10, 0, 1), enc.encodePiece(10, 0, Uint8Array.of(1))]) {
      expectCode(() => decodeAll(m, opts), 'invalid_message');
    }
  });

  it('16: the piece count can be learnt later (magnet): before it any bitfield size is taken, after it the exact size', () => {
    const r = new Recorder();
    const d = new WireDecoder(r);
    d.write(enc.encodeBitfield(new Uint8Array(100)));
    d.write(enc.encodeHave(5000));
    expect(d.pieceCount).toBeUndefined();
    d.pieceCount = 3;
    d.write(enc.encodeHave(2));
    expectCode(() => d.write(enc.encodeHave(3)), 'invalid_message');
    expect(r.messages.map((m) => m.type)).toEqual(['bitfield', 'have', 'have']);
  });

  it('16: with 2^21 pieces the exact bitfield (256 KiB) is accepted, and a piece count beyond 1 MiB of bits raises the limit exactly', () => {
    const big = 8 * 2 * 1024 * 1024; // 16 Mi pieces → 2 MiB bitfield, over the generic 1 MiB limit
    const bits = new Uint8Array(big / 8);
    expect(decodeAll(enc.encodeBitfield(bits), { pieceCount: big })[0]?.type).toBe('bitfield');
    expectCode(() => decodeAll(frame(big / 8, 5), { pieceCount: big }), 'invalid_message'); // one byte short
    expectCode(() => decodeAll(frame(1 + big / 8 + 1, 5), { pieceCount: big }), 'message_too_large'); // over every limit
  });

  it('17: a request over 16 KiB or of zero length → invalid_message', () => {
    expectCode(() => decodeAll(enc.encodeRequest(0, 0, 16385)), 'invalid_message');
    expectCode(() => decodeAll(enc.encodeRequest(0, 0, 0xffffffff)), 'invalid_message');
    expectCode(() => decodeAll(enc.encodeRequest(0, 0, 0)), 'invalid_message');
    expect(decodeAll(enc.encodeRequest(0, 0, 16384))).toEqual([{ type: 'request', index: 0, begin: 0, length: 16384 }]);
  });

  it('messages before an invalid one are delivered, nothing after it', () => {
    const r = new Recorder();
    const d = new WireDecoder(r);
    const bytes = Uint8Array.from([...enc.encodeUnchoke(), ...enc.encodeHave(1), ...frame(2, 4, [0]), ...enc.encodeChoke()]);
    expectCode(() => d.write(bytes), 'invalid_message');
    expect(r.messages).toEqual([{ type: 'unchoke' }, { type: 'have', index: 1 }]);
  });
});
