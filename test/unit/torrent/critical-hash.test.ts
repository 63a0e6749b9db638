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

/** A piece buffer as the store keeps it: each block is copied in before the running hash sees it. */
class Piece {
  readonly buf = new Uint8Array(PIECE);
  constructor(readonly c: CriticalHashes, readonly i = 0) {}
  put(k: number, bytes = block(k), critical = true): void {
    this.buf.set(bytes, k * 16_384);
    this.c.block(this.i, k * 16_384, bytes, critical, this.buf);
  }
}

describe('CriticalHashes (running SHA-1 of critical pieces)', () => {
  it('in-order blocks are hashed as they arrive; the piece matches at completion', () => {
    const c = new CriticalHashes(torrent());
    const p = new Piece(c);
    for (let k = 0; k < 4; k++) p.put(k);
    expect(c.finish(0, p.buf)).toBe(true);
    expect(c.size).toBe(0);
  });

  it('blocks ahead of the cursor are fed from the buffer once the gap fills; a gap left is hashed at completion', () => {
    const c = new CriticalHashes(torrent());
    const p = new Piece(c);
    p.put(2); // ahead: noted
    p.put(1);
    p.put(0); // fills the gap: 0, 1 and 2 are fed
    p.buf.fill(0, 0, 3 * 16_384); // what was fed is no longer read: a changed prefix does not change the answer
    p.put(3);
    expect(c.finish(0, p.buf)).toBe(true);
    const q = new Piece(c);
    q.put(3);
    q.put(2);
    q.put(1); // block 0 last: nothing fed until completion
    expect(c.size).toBe(1);
    q.buf.set(block(0), 0);
    expect(c.finish(0, q.buf)).toBe(true);
  });

  it('a bad block fed in order fails the piece; a bad tail in the buffer fails it too', () => {
    const c = new CriticalHashes(torrent());
    const p = new Piece(c);
    p.put(0, new Uint8Array(16_384));
    expect(c.finish(0, data)).toBe(false);
    const bad = data.slice();
    bad[PIECE - 1] = bad[PIECE - 1]! ^ 1;
    new Piece(c).put(0);
    expect(c.finish(0, bad)).toBe(false);
  });

  it('a block again for a range already hashed (the piece started over) drops the running hash', () => {
    const c = new CriticalHashes(torrent());
    const p = new Piece(c);
    p.put(0);
    p.put(1);
    p.put(0, new Uint8Array(16_384)); // a new attempt: the buffer may now differ from what was fed
    expect(c.size).toBe(0);
    expect(c.finish(0, data)).toBeUndefined(); // the caller hashes the whole piece
    p.put(3);
    p.put(3); // again for a block noted ahead: dropped too
    expect(c.size).toBe(0);
    c.block(0, 0, block(0), true, undefined); // not buffered (write-through): never started
    expect(c.size).toBe(0);
  });

  it('starts only for a critical v1 piece, bounded, and forgets pieces on retain/drop', () => {
    const c = new CriticalHashes(torrent(), 2);
    new Piece(c, 0).put(0, block(0), false);
    expect(c.size).toBe(0);
    for (let i = 0; i < 3; i++) new Piece(c, i).put(1);
    expect(c.size).toBe(2);
    c.retain((i) => i !== 0);
    expect(c.size).toBe(1);
    c.drop(1);
    expect(c.size).toBe(0);
    const v2 = new CriticalHashes(torrent('hybrid'));
    new Piece(v2).put(0);
    expect(v2.size).toBe(0);
  });
});
