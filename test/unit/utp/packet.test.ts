// uTP codec (BEP 29 header + selective ACK), 16-bit sequence arithmetic and the reorder buffer.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ST_DATA, ST_FIN, ST_RESET, ST_STATE, ST_SYN, decodePacket, encodePacket, seqAdd, seqDiff, seqLess } from '../../../transports/utp/packet.js';
import { ReorderBuffer } from '../../../transports/utp/reorder.js';

const fields = fc.record({
  type: fc.constantFrom(ST_DATA, ST_FIN, ST_STATE, ST_RESET, ST_SYN),
  connectionId: fc.integer({ min: 0, max: 0xffff }),
  timestamp: fc.integer({ min: 0, max: 0xffffffff }),
  timestampDiff: fc.integer({ min: 0, max: 0xffffffff }),
  wndSize: fc.integer({ min: 0, max: 0xffffffff }),
  seqNr: fc.integer({ min: 0, max: 0xffff }),
  ackNr: fc.integer({ min: 0, max: 0xffff }),
  sackWords: fc.integer({ min: 0, max: 32 }),
  payload: fc.uint8Array({ maxLength: 1400 }),
});

describe('uTP packet codec', () => {
  it('encodes the 20-byte header as BEP 29 lays it out', () => {
    const b = encodePacket({ type: ST_SYN, connectionId: 0x1234, timestamp: 0x01020304, timestampDiff: 0x05060708, wndSize: 0x0a0b0c0d, seqNr: 0xfffe, ackNr: 0x0001 });
    expect(Array.from(b)).toEqual([0x41, 0, 0x12, 0x34, 1, 2, 3, 4, 5, 6, 7, 8, 0x0a, 0x0b, 0x0c, 0x0d, 0xff, 0xfe, 0, 1]);
  });

  it('round-trips any header, selective ACK and payload (fast-check)', () => {
    fc.assert(fc.property(fields, (f) => {
      const sack = f.sackWords > 0 ? new Uint8Array(f.sackWords * 4).map((_, i) => (i * 37 + f.seqNr) & 255) : undefined;
      const payload = f.type === ST_DATA || f.type === ST_FIN ? f.payload : new Uint8Array(0); // a FIN may carry the last bytes
      const p = decodePacket(encodePacket({ ...f, sack, payload }));
      expect(p).toBeDefined();
      if (!p) return;
      expect([p.type, p.connectionId, p.timestamp, p.timestampDiff, p.wndSize, p.seqNr, p.ackNr]).toEqual([f.type, f.connectionId, f.timestamp, f.timestampDiff, f.wndSize, f.seqNr, f.ackNr]);
      expect(p.sack === undefined ? undefined : Array.from(p.sack)).toEqual(sack === undefined ? undefined : Array.from(sack));
      expect(Array.from(p.payload)).toEqual(Array.from(payload));
    }), { numRuns: 300 });
  });

  it('ignores bad versions, unknown types, short headers and malformed extensions', () => {
    const ok = encodePacket({ type: ST_STATE, connectionId: 1, timestamp: 0, timestampDiff: 0, wndSize: 0, seqNr: 1, ackNr: 1 });
    expect(decodePacket(ok)).toBeDefined();
    expect(decodePacket(ok.subarray(0, 19))).toBeUndefined();
    const v2 = ok.slice(); v2[0] = (ST_STATE << 4) | 2;
    expect(decodePacket(v2)).toBeUndefined();
    const t5 = ok.slice(); t5[0] = (5 << 4) | 1;
    expect(decodePacket(t5)).toBeUndefined();
    const ext = (type: number, len: number, bytes: number, next = 0): Uint8Array => {
      const b = new Uint8Array(20 + 2 + bytes); b.set(ok); b[1] = type; b[20] = next; b[21] = len; return b;
    };
    expect(decodePacket(ext(1, 4, 4))).toBeDefined();
    expect(decodePacket(ext(1, 8, 4))).toBeUndefined(); // overruns the datagram
    expect(decodePacket(ext(1, 3, 3))?.sack?.length).toBe(3); // not word-sized: libtorrent sends these (see packet.ts)
    expect(decodePacket(ext(1, 0, 0))).toBeUndefined(); // empty bitmask
    expect(decodePacket(ext(2, 4, 4))?.sack).toBeUndefined(); // unknown extension: skipped
    expect(decodePacket(ext(2, 4, 4, 1))).toBeUndefined(); // chain points past the end
    const fat = new Uint8Array(25); fat.set(ok); // payload on a STATE packet
    expect(decodePacket(fat)).toBeUndefined();
  });

  it('16-bit sequence arithmetic wraps (fast-check)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: -32767, max: 32767 }), (a, n) => {
      // exactly 2^15 apart is ambiguous in serial-number arithmetic (each comes "before" the other), so it is left out
      const b = seqAdd(a, n);
      expect(b).toBeGreaterThanOrEqual(0);
      expect(b).toBeLessThanOrEqual(0xffff);
      expect(seqDiff(b, a)).toBe(n);
      expect(seqLess(a, b)).toBe(n > 0);
    }));
    expect(seqLess(0xffff, 0)).toBe(true);
    expect(seqAdd(0xffff, 1)).toBe(0);
  });
});

describe('uTP reorder buffer', () => {
  it('restores order from any permutation within its window, across wraparound (fast-check)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 0xffff }),
      fc.integer({ min: 1, max: 200 }).chain((n) => fc.tuple(fc.constant(n), fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i), { minLength: n, maxLength: n }))),
      (start, [n, order]) => {
        const rb = new ReorderBuffer(256);
        let next = start; // next expected
        const out: number[] = [];
        for (const i of order) {
          const seq = seqAdd(start, i);
          if (seq === next) {
            out.push(i);
            next = seqAdd(next, 1);
            for (let c = rb.take(next); c !== undefined; c = rb.take(next)) {
              out.push(c[0] as number);
              next = seqAdd(next, 1);
            }
          } else {
            expect(rb.insert(seq, next, new Uint8Array([i]))).toBe(true);
          }
        }
        expect(out).toEqual(Array.from({ length: n }, (_, i) => i));
        expect(rb.count).toBe(0);
        expect(rb.bytes).toBe(0);
      },
    ));
  });

  it('refuses packets outside its window and duplicates; builds the selective ACK bitmask', () => {
    const rb = new ReorderBuffer(64);
    expect(rb.insert(10, 10, new Uint8Array(1))).toBe(false); // that is the next expected, not ahead
    expect(rb.insert(9, 10, new Uint8Array(1))).toBe(false); // behind
    expect(rb.insert(10 + 64, 10, new Uint8Array(1))).toBe(false); // beyond capacity
    expect(rb.insert(12, 10, new Uint8Array(3))).toBe(true);
    expect(rb.insert(12, 10, new Uint8Array(3))).toBe(false);
    expect(rb.insert(45, 10, new Uint8Array(1))).toBe(true);
    // ack_nr = 9 (10 missing): bit i is seq 11 + i → 12 is bit 1, 45 is bit 34.
    const sack = rb.sack(9);
    expect(sack?.length).toBe(8);
    expect(sack?.[0]).toBe(0b10);
    expect(sack?.[4]).toBe(0b100);
    expect(rb.bytes).toBe(4);
  });
});
