// Shared piece buffers and the fast copy into them (src/platform/hash-shared.node.ts).
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { copyInto, sharedBytes } from '../../../src/platform/hash-shared.node.js';

describe('hash-shared (node)', () => {
  test('sharedBytes: zeroed, exactly the size, over a SharedArrayBuffer of that size', () => {
    // 4 KiB: a plain SharedArrayBuffer; 64 KiB multiples: the memory of a shared WebAssembly.Memory (page-aligned)
    for (const size of [4096, 65536, 1024 * 1024, 3 * 65536]) {
      const b = sharedBytes(size);
      expect(b.length).toBe(size);
      expect(b.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(b.buffer.byteLength).toBe(size);
      expect(b.byteOffset).toBe(0);
      expect(b.every((x) => x === 0)).toBe(true);
    }
  });

  test('copyInto writes exactly src at the offset, into shared buffers, their views and plain arrays', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), fc.nat(200), fc.nat(50), (src, at, extra) => {
      const size = at + src.length + extra;
      for (const dst of [sharedBytes(size), sharedBytes(size + 7).subarray(0, size), new Uint8Array(size)]) {
        dst.fill(0xaa);
        copyInto(dst, src, at);
        const want = new Uint8Array(size).fill(0xaa);
        want.set(src, at);
        expect(Array.from(dst)).toEqual(Array.from(want));
      }
    }));
  });

  test('the source may be a view into a larger buffer (a socket chunk)', () => {
    const chunk = Uint8Array.from({ length: 100 }, (_, i) => i);
    const dst = sharedBytes(64);
    copyInto(dst, chunk.subarray(13, 13 + 32), 16);
    expect(Array.from(dst.subarray(16, 48))).toEqual(Array.from({ length: 32 }, (_, i) => i + 13));
    expect(dst[15]).toBe(0);
    expect(dst[48]).toBe(0);
  });
});
