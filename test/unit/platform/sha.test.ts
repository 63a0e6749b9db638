import { describe, expect, it } from 'vitest';
import { sha1, sha256 } from '#platform/sha';
import { merkleRoot, padHash } from '../../../src/metainfo/merkle.js';

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

describe('platform sha', () => {
  it('hashes known vectors', async () => {
    expect(hex(await sha1(new TextEncoder().encode('abc')))).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(hex(await sha256(new TextEncoder().encode('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
  it('pads merkle trees with zero subtrees', async () => {
    const leaf = await sha256(new Uint8Array(16384).fill(1));
    const pair = new Uint8Array(64);
    pair.set(leaf, 0);
    expect(hex(await merkleRoot(leaf, 2))).toBe(hex(await sha256(pair)));
    const p1 = await padHash(1);
    expect(hex(p1)).toBe(hex(await sha256(new Uint8Array(64))));
  });
});
