import { describe, expect, it } from 'vitest';
import { FreshPieces } from '../../../src/torrent/fresh-pieces.js';

describe('FreshPieces', () => {
  it('keeps a copy, hands it out once', () => {
    const f = new FreshPieces();
    const src = new Uint8Array([1, 2, 3]);
    f.put(7, src);
    src[0] = 9; // the caller's buffer is reused: the kept bytes must not change
    expect(f.take(7)).toEqual(new Uint8Array([1, 2, 3]));
    expect(f.take(7)).toBeUndefined();
    expect(f.size).toBe(0);
  });

  it('copies out of shared memory into an ordinary buffer', () => {
    const shared = new Uint8Array(new SharedArrayBuffer(4)).fill(5);
    const f = new FreshPieces();
    f.put(1, shared);
    const got = f.take(1)!;
    expect(got.buffer instanceof SharedArrayBuffer).toBe(false);
    expect([...got]).toEqual([5, 5, 5, 5]);
  });

  it('is bounded by entries and bytes, oldest evicted first; one entry always fits', () => {
    const f = new FreshPieces(2, 10);
    f.put(1, new Uint8Array(4));
    f.put(2, new Uint8Array(4));
    f.put(3, new Uint8Array(4)); // over 2 entries: 1 goes
    expect(f.take(1)).toBeUndefined();
    f.put(4, new Uint8Array(8)); // over 10 bytes: 2 and 3 go
    expect(f.take(2)).toBeUndefined();
    expect(f.take(3)).toBeUndefined();
    f.put(5, new Uint8Array(64)); // larger than the byte bound on its own: still kept
    expect(f.take(4)).toBeUndefined();
    expect(f.take(5)).toHaveLength(64);
  });

  it('delete and clear forget pieces', () => {
    const f = new FreshPieces();
    f.put(1, new Uint8Array(1));
    f.put(2, new Uint8Array(1));
    f.delete(1);
    expect(f.take(1)).toBeUndefined();
    f.clear();
    expect(f.size).toBe(0);
  });
});

describe('FreshPieces spare buffer', () => {
  const tick = () => new Promise<void>((r) => setTimeout(r, 1));

  it('prepares a spare off the call stack; a put of that size copies into it, then a new one is prepared', async () => {
    const f = new FreshPieces();
    f.prepare(4);
    expect(f.hasSpare).toBe(false); // not on the caller's stack
    await tick();
    expect(f.hasSpare).toBe(true);
    const src = new Uint8Array([1, 2, 3, 4]);
    f.put(1, src);
    expect(f.hasSpare).toBe(false); // handed out with piece 1
    src.fill(9);
    const a = f.take(1)!;
    expect([...a]).toEqual([1, 2, 3, 4]);
    await tick();
    expect(f.hasSpare).toBe(true);
    f.put(2, new Uint8Array([5, 6, 7, 8]));
    expect(f.take(2)).not.toBe(a); // each piece its own buffer: the reader keeps `a`
    expect([...a]).toEqual([1, 2, 3, 4]);
  });

  it('no spare for a piece larger than the byte bound', async () => {
    const f = new FreshPieces(4, 8);
    f.prepare(16);
    await tick();
    expect(f.hasSpare).toBe(false);
    f.prepare(8);
    await tick();
    expect(f.hasSpare).toBe(true);
  });

  it('a put of another size allocates and leaves the spare alone', async () => {
    const f = new FreshPieces();
    f.prepare(4);
    await tick();
    f.put(1, new Uint8Array([1, 2])); // a short last piece
    expect(f.hasSpare).toBe(true);
    expect([...f.take(1)!]).toEqual([1, 2]);
  });

  it('release and clear drop the spare and cancel a pending preparation', async () => {
    const f = new FreshPieces();
    f.prepare(4);
    f.release();
    await tick();
    expect(f.hasSpare).toBe(false);
    f.prepare(4);
    await tick();
    f.clear();
    expect(f.hasSpare).toBe(false);
    f.put(1, new Uint8Array(4)); // no deadline any more: no new spare
    await tick();
    expect(f.hasSpare).toBe(false);
  });
});
