import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CriticalHashes } from '../../../src/torrent/swarm/critical-hash.js';
import type { VerifiableTorrent } from '../../../src/torrent/piece-hash.js';

const PIECE = 4 * 16_384;
const data = Uint8Array.from({ length: PIECE }, (_, i) => (i * 31 + 7) & 255);
const sha1 = (d: Uint8Array) => new Uint8Array(createHash('sha1').update(d).digest());

function torrent(version: 'v1' | 'v2' | 'hybrid' = 'v1', hash = sha1(data)): VerifiableTorrent {
  return { pieceLength: PIECE, pieceCount: 1, metaVersion: version, files: [{ offset: 0, length: PIECE, pad: false }], pieceSize: () => PIECE, pieceHash: () => hash, pieceLayer: () => undefined };
}
const block = (k: number) => data.subarray(k * 16_384, (k + 1) * 16_384);

describe('CriticalHashes (running SHA-1 of critical pieces)', () => {
  it('in-order blocks are hashed as they arrive; the piece matches at completion', () => {
    const c = new CriticalHashes(torrent());
    for (let k = 0; k < 4; k++) c.block(0, k * 16_384, block(k), true);
    expect(c.finish(0, data)).toBe(true);
    expect(c.size).toBe(0);
  });

  it('out-of-order blocks leave the tail to hash from the buffer at completion', () => {
    const c = new CriticalHashes(torrent());
    c.block(0, 0, block(0), true);
    c.block(0, 2 * 16_384, block(2), true); // skipped: not at the cursor
    c.block(0, 16_384, block(1), true);
    c.block(0, 3 * 16_384, block(3), true);
    expect(c.finish(0, data)).toBe(true);
  });

  it('a bad block fed in order fails the piece; a bad tail in the buffer fails it too', () => {
    const c = new CriticalHashes(torrent());
    c.block(0, 0, new Uint8Array(16_384), true);
    expect(c.finish(0, data)).toBe(false);
    const bad = data.slice();
    bad[PIECE - 1] = bad[PIECE - 1]! ^ 1;
    c.block(0, 0, block(0), true);
    expect(c.finish(0, bad)).toBe(false);
  });

  it('a block again for a range already hashed (the piece started over) drops the running hash', () => {
    const c = new CriticalHashes(torrent());
    c.block(0, 0, block(0), true);
    c.block(0, 16_384, block(1), true);
    c.block(0, 0, new Uint8Array(16_384), true); // a new attempt: the buffer may now differ from what was fed
    expect(c.size).toBe(0);
    expect(c.finish(0, data)).toBeUndefined(); // the caller hashes the whole piece
  });

  it('starts only at the first block of a critical v1 piece, bounded, and forgets pieces on retain/drop', () => {
    const c = new CriticalHashes(torrent(), 2);
    c.block(0, 0, block(0), false);
    c.block(1, 16_384, block(1), true);
    expect(c.size).toBe(0);
    for (let i = 0; i < 3; i++) c.block(i, 0, block(0), true);
    expect(c.size).toBe(2);
    c.retain((i) => i !== 0);
    expect(c.size).toBe(1);
    c.drop(1);
    expect(c.size).toBe(0);
    const v2 = new CriticalHashes(torrent('hybrid'));
    v2.block(0, 0, block(0), true);
    expect(v2.size).toBe(0);
  });
});
