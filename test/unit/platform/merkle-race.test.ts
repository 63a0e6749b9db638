// padHash is filled lazily and asynchronously; concurrent first calls must not corrupt its cache.
// Runs in a fresh module instance so the cache starts cold.
import { describe, expect, it, vi } from 'vitest';
import { sha256 } from '#platform/sha';

describe('merkle padHash', () => {
  it('gives the right pads when first called concurrently at different heights', async () => {
    vi.resetModules();
    const { padHash } = await import('../../../src/metainfo/merkle.js');
    const got = await Promise.all([padHash(1), padHash(5), padHash(3), padHash(2), padHash(4)]);
    let want: Uint8Array = new Uint8Array(32);
    const expected: Uint8Array[] = [want];
    for (let h = 1; h <= 5; h++) {
      const pair = new Uint8Array(64);
      pair.set(want, 0);
      pair.set(want, 32);
      want = await sha256(pair);
      expected.push(want);
    }
    expect(got.map((b) => Buffer.from(b).toString('hex'))).toEqual([1, 5, 3, 2, 4].map((h) => Buffer.from(expected[h]!).toString('hex')));
  });
});
