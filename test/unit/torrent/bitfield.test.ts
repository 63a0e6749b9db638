import { describe, test, expect } from 'vitest';
import fc from 'fast-check';
import { Bitfield, popcount } from '../../../src/torrent/bitfield.js';
import { isTorrentError } from '../../../src/errors.js';

describe('Bitfield', () => {
  test('BitTorrent bit order, count, spare bits stay zero', () => {
    const b = new Bitfield(10);
    expect(b.set(0)).toBe(true);
    expect(b.set(0)).toBe(false);
    b.set(9);
    expect([...b.toBytes()]).toEqual([0x80, 0x40]);
    expect(b.count).toBe(2);
    b.setAll();
    expect([...b.toBytes()]).toEqual([0xff, 0xc0]);
    expect(b.all).toBe(true);
    expect(b.clear(3)).toBe(true);
    expect(b.count).toBe(9);
    expect([...b.indexes()]).toEqual([0, 1, 2, 4, 5, 6, 7, 8, 9]);
  });

  test('fromBytes rejects wrong lengths and spare bits', () => {
    const err = (f: () => unknown): string | undefined => { try { f(); } catch (e) { return isTorrentError(e) ? e.code : 'other'; } return undefined; };
    expect(err(() => Bitfield.fromBytes(new Uint8Array([0xff]), 10))).toBe('invalid_message');
    expect(err(() => Bitfield.fromBytes(new Uint8Array([0xff, 0xe0]), 10))).toBe('invalid_message');
    expect(Bitfield.fromBytes(new Uint8Array([0xff, 0xc0]), 10).count).toBe(10);
    expect(err(() => new Bitfield(4).get(4))).toBe('invalid_argument');
    expect(err(() => new Bitfield(4).set(-1))).toBe('invalid_argument');
    expect(err(() => new Bitfield(4).get(1.5))).toBe('invalid_argument');
  });

  test('count matches popcount after any sequence of operations', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 200 }), fc.array(fc.tuple(fc.boolean(), fc.nat()), { maxLength: 300 }), (size, ops) => {
      const b = new Bitfield(size);
      const ref = new Set<number>();
      for (const [on, raw] of ops) {
        const i = raw % size;
        if (on) { b.set(i); ref.add(i); } else { b.clear(i); ref.delete(i); }
      }
      expect(b.count).toBe(ref.size);
      expect(popcount(b.toBytes())).toBe(ref.size);
      expect(Bitfield.fromBytes(b.toBytes(), size).count).toBe(ref.size);
      for (let i = 0; i < size; i++) expect(b.get(i)).toBe(ref.has(i));
    }));
  });
});
