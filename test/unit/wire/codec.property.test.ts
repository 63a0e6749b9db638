// Property: any sequence of valid messages, encoded and fed to the decoder in any chunking, produces exactly the
// same handler calls in the same order — and a batch encoding equals the concatenation of single encodings.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { WireDecoder } from '../../../src/wire/decoder.js';
import { encodeBatch, encodeMessage } from '../../../src/wire/encoder.js';
import type { WireMessage } from '../../../src/wire/messages.js';
import { Recorder, feedSplit } from './recorder.js';

const PIECES = 37; // 5 bytes of bitfield, 3 spare bits
const u32 = fc.nat({ max: 0xffffffff });
const index = fc.nat({ max: PIECES - 1 });
const blockLength = fc.integer({ min: 1, max: 16384 });
const bytes = (max: number) => fc.uint8Array({ maxLength: max });
const knownIds = new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 14, 15, 16, 17, 20]);

const message: fc.Arbitrary<WireMessage> = fc.oneof(
  fc.constantFrom<WireMessage>(
    { type: 'keepAlive' }, { type: 'choke' }, { type: 'unchoke' }, { type: 'interested' },
    { type: 'notInterested' }, { type: 'haveAll' }, { type: 'haveNone' },
  ),
  index.map((i): WireMessage => ({ type: 'have', index: i })),
  index.map((i): WireMessage => ({ type: 'suggest', index: i })),
  index.map((i): WireMessage => ({ type: 'allowedFast', index: i })),
  fc.uint8Array({ minLength: 5, maxLength: 5 }).map((b): WireMessage => {
    b[4] = b[4]! & 0xe0; // clear the 3 spare bits
    return { type: 'bitfield', bits: b };
  }),
  fc.tuple(index, u32, blockLength).map(([i, b, l]): WireMessage => ({ type: 'request', index: i, begin: b, length: l })),
  fc.tuple(index, u32, u32).map(([i, b, l]): WireMessage => ({ type: 'cancel', index: i, begin: b, length: l })),
  fc.tuple(index, u32, u32).map(([i, b, l]): WireMessage => ({ type: 'reject', index: i, begin: b, length: l })),
  fc.tuple(index, u32, fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 600 }), fc.constant(new Uint8Array(16384).fill(7))))
    .map(([i, b, block]): WireMessage => ({ type: 'piece', index: i, begin: b, block })),
  fc.nat({ max: 0xffff }).map((port): WireMessage => ({ type: 'port', port })),
  fc.tuple(fc.nat({ max: 255 }), bytes(300)).map(([id, payload]): WireMessage => ({ type: 'extended', id, payload })),
  fc.tuple(fc.nat({ max: 255 }).filter((id) => !knownIds.has(id)), bytes(300))
    .map(([id, payload]): WireMessage => ({ type: 'unknown', id, payload })),
);

describe('wire codec property', () => {
  it('any message sequence, any chunking → the same handler calls', () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 40 }), fc.array(fc.nat(), { maxLength: 60 }), (msgs, cuts) => {
        const wire = encodeBatch(msgs);
        const singles = msgs.map(encodeMessage);
        expect(wire.length).toBe(singles.reduce((n, b) => n + b.length, 0));
        const r = new Recorder();
        const d = new WireDecoder(r, { fast: true, extended: true, pieceCount: PIECES });
        feedSplit(d, wire, cuts);
        expect(r.messages).toEqual(msgs);
        expect(d.bufferedBytes).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('a trailing partial message stays buffered (bounded) until the rest arrives', () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 10 }), fc.nat(), (msgs, cut) => {
        const wire = encodeBatch(msgs);
        const at = cut % (wire.length + 1);
        const r = new Recorder();
        const d = new WireDecoder(r, { fast: true, extended: true, pieceCount: PIECES });
        d.write(wire.subarray(0, at));
        expect(d.bufferedBytes).toBeLessThanOrEqual(16384 + 13);
        d.write(wire.subarray(at));
        expect(r.messages).toEqual(msgs);
      }),
      { numRuns: 300 },
    );
  });
});
