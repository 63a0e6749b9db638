import { describe, expect, it } from 'vitest';
import { isTorrentError } from '../../../src/errors.js';
import { BLOCK_SIZE } from '../../../src/metainfo/lengths.js';
import { fullBitfield, hasPiece, isComplete } from '../../../src/picker/bits.js';
import { bitfieldOf, makePicker, pieceOf, prng } from './helpers.js';

const SEED = { bitfield: null, seed: true } as const;

describe('bits', () => {
  it('uses MSB-first order and clears spare bits', () => {
    const bf = bitfieldOf(10, [0, 9]);
    expect([...bf]).toEqual([0x80, 0x40]);
    expect(hasPiece(bf, 0) && hasPiece(bf, 9) && !hasPiece(bf, 1) && !hasPiece(bf, 100)).toBe(true);
    expect([...fullBitfield(10)]).toEqual([0xff, 0xc0]);
    expect(isComplete(fullBitfield(10), 10)).toBe(true);
    expect(isComplete(bitfieldOf(10, [0, 1, 2, 3, 4, 5, 6, 7, 8]), 10)).toBe(false);
  });
});

describe('PiecePicker geometry', () => {
  it('handles the short last block of the last piece', () => {
    const { picker } = makePicker(3, 2 * BLOCK_SIZE, {}, BLOCK_SIZE + 5000);
    expect(picker.blocksPerPiece).toBe(2);
    expect(picker.blockInfo(5)).toEqual({ piece: 2, offset: BLOCK_SIZE, length: 5000 });
    expect(picker.blockAt(2, BLOCK_SIZE)).toBe(5);
    expect(picker.blockAt(2, 2 * BLOCK_SIZE)).toBe(-1);
    expect(picker.blockAt(1, 100)).toBe(-1);
    const small = makePicker(3, 2 * BLOCK_SIZE, {}, 700).picker;
    expect(() => small.blockInfo(5)).toThrow(); // the last piece has only one block
    expect(small.blockInfo(4).length).toBe(700);
    const all = small.pickBlocks(SEED, 100);
    expect(all.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4]);
  });

  it('rejects bad indexes and priorities with invalid_argument', () => {
    const { picker } = makePicker(4, BLOCK_SIZE);
    for (const f of [() => picker.addHave(4), () => picker.setPiecePriority(0, 8), () => picker.setPiecePriority(-1, 1), () => picker.releaseRequest(99), () => picker.pieceFailed(0)]) {
      try {
        f();
        expect.unreachable();
      } catch (err) {
        expect(isTorrentError(err, 'invalid_argument')).toBe(true);
      }
    }
  });
});

describe('PiecePicker availability and rarest first', () => {
  it('counts haves, bitfields, seeds and departures', () => {
    const { picker } = makePicker(10, BLOCK_SIZE);
    const a = bitfieldOf(10, [0, 1, 2]);
    picker.addBitfield(a);
    picker.addHave(1);
    picker.addSeed();
    expect([0, 1, 2, 3].map((i) => picker.availability(i))).toEqual([2, 3, 2, 1]);
    picker.removeBitfield(a);
    picker.removeSeed();
    expect([0, 1, 2, 3].map((i) => picker.availability(i))).toEqual([0, 1, 0, 0]);
  });

  it('picks the rarest piece the peer has, then the next rarest', () => {
    const { picker } = makePicker(6, BLOCK_SIZE);
    // availability: piece 0 → 3, 1 → 1, 2 → 2, 3 → 0, 4 → 2, 5 → 3
    picker.addBitfield(bitfieldOf(6, [0, 1, 2, 4, 5]));
    picker.addBitfield(bitfieldOf(6, [0, 2, 4, 5]));
    picker.addBitfield(bitfieldOf(6, [0, 5]));
    const peer = { bitfield: bitfieldOf(6, [0, 1, 2, 4, 5]), seed: false };
    const picks = picker.pickBlocks(peer, 5);
    expect(picks[0]).toBe(1);
    expect(new Set(picks.slice(1, 3))).toEqual(new Set([2, 4]));
    expect(new Set(picks.slice(3))).toEqual(new Set([0, 5]));
    expect(picks).not.toContain(3);
  });

  it('breaks availability ties randomly', () => {
    const firsts = new Set<number>();
    for (let seed = 1; seed <= 40; seed++) {
      const { picker } = makePicker(16, BLOCK_SIZE, { random: prng(seed) });
      picker.addSeed();
      firsts.add(picker.pickBlocks(SEED, 1)[0]!);
    }
    expect(firsts.size).toBeGreaterThan(8);
  });

  it('prefers finishing a partial piece over starting a rarer one', () => {
    const { picker } = makePicker(4, 4 * BLOCK_SIZE);
    picker.addSeed();
    const first = picker.pickBlocks(SEED, 2);
    const p = pieceOf(picker, first[0]!);
    for (let i = 0; i < 4; i++) if (i !== p) picker.addHave(i); // every other piece is now more common... 
    picker.addHave(p);
    picker.addHave(p); // ...and the partial piece the most common
    const next = picker.pickBlocks(SEED, 2);
    expect(next.map((k) => pieceOf(picker, k))).toEqual([p, p]);
  });
});

describe('PiecePicker priorities and modes', () => {
  it('never picks priority 0 and picks higher priorities first', () => {
    const { picker } = makePicker(8, BLOCK_SIZE);
    picker.addSeed();
    picker.setPiecePriorities([1, 0, 7, 4, 0, 2, 7, 1]);
    const picks = picker.pickBlocks(SEED, 100);
    const prios = picks.map((k) => picker.piecePriority(pieceOf(picker, k)));
    expect(picks).not.toContain(1);
    expect(picks).not.toContain(4);
    expect(picks).toHaveLength(6);
    expect([...prios]).toEqual([...prios].sort((a, b) => b - a));
  });

  it('sequential mode picks the lowest wanted index first', () => {
    const { picker } = makePicker(8, 2 * BLOCK_SIZE, { sequential: true });
    picker.addSeed();
    picker.setPiecePriority(1, 0);
    picker.pieceVerified(0);
    const picks = picker.pickBlocks({ bitfield: bitfieldOf(8, [0, 1, 3, 4, 5, 6, 7]), seed: false }, 5);
    expect(picks.map((k) => pieceOf(picker, k))).toEqual([3, 3, 4, 4, 5]);
  });

  it('honours deadlines in deadline order before anything else', () => {
    const { picker } = makePicker(10, BLOCK_SIZE);
    picker.addSeed();
    picker.setPiecePriority(9, 0);
    picker.setPieceDeadline(7, 3000);
    picker.setPieceDeadline(2, 1000);
    picker.setPieceDeadline(9, 2000); // raises priority 0 to 1
    expect(picker.piecePriority(9)).toBe(1);
    expect(picker.pickBlocks(SEED, 3)).toEqual([2, 9, 7]);
    expect(picker.pickBlocks({ ...SEED, timeCritical: false }, 1)).not.toEqual([]);
  });

  it('re-offers a late time-critical block to another peer', () => {
    const { picker } = makePicker(4, 2 * BLOCK_SIZE);
    picker.addSeed();
    picker.setPieceDeadline(3, 500);
    const slowOut = new Set(picker.pickBlocks({ ...SEED, isRequesting: () => false }, 1));
    expect([...slowOut]).toEqual([6]);
    const fast = { ...SEED, isRequesting: () => false };
    expect(picker.pickBlocks(fast, 1)).toEqual([7]);
    picker.markLate(6);
    const dup = picker.pickBlocks({ ...SEED, isRequesting: (k: number) => k === 7 }, 1);
    expect(dup).toEqual([6]);
    expect(picker.requestCount(6)).toBe(2);
    // the slow peer itself never gets its own late block again
    picker.markLate(6);
    expect(picker.pickBlocks({ ...SEED, isRequesting: (k: number) => slowOut.has(k), allowedFast: [3] }, 1)).toEqual([]);
  });

  it('allowed-fast restricts picks to the listed pieces', () => {
    const { picker } = makePicker(10, BLOCK_SIZE);
    picker.addSeed();
    const picks = picker.pickBlocks({ ...SEED, allowedFast: [4, 8, 99] }, 10);
    expect(picks.sort((a, b) => a - b)).toEqual([4, 8]);
  });
});

describe('PiecePicker piece lifecycle', () => {
  it('goes none → partial → verifying → have, only through pieceVerified', () => {
    const { picker } = makePicker(2, 2 * BLOCK_SIZE);
    picker.addSeed();
    const [a, b] = picker.pickBlocks({ bitfield: bitfieldOf(2, [1]), seed: false }, 2);
    expect([a, b]).toEqual([2, 3]);
    expect(picker.pieceState(1)).toBe('partial');
    expect(picker.blockReceived(2, 11)).toEqual({ accepted: true, pieceComplete: false });
    picker.releaseRequest(2);
    expect(picker.blockReceived(2, 12).accepted).toBe(false);
    expect(picker.blockReceived(3, 12)).toEqual({ accepted: true, pieceComplete: true });
    picker.releaseRequest(3);
    expect(picker.pieceState(1)).toBe('verifying');
    expect(picker.haveCount).toBe(0);
    picker.pieceVerified(1);
    expect(picker.pieceState(1)).toBe('have');
    expect(picker.haveCount).toBe(1);
    expect(picker.blockReceived(2, 1).accepted).toBe(false);
  });

  it('pieceFailed returns blocks to the pool and reports contributors', () => {
    const { picker } = makePicker(1, 3 * BLOCK_SIZE);
    picker.addSeed();
    const blocks = picker.pickBlocks(SEED, 3);
    blocks.forEach((k, i) => {
      picker.blockReceived(k, i === 2 ? 8 : 5);
      picker.releaseRequest(k);
    });
    const failure = picker.pieceFailed(0);
    expect(failure.contributors.sort()).toEqual([5, 8]);
    expect([...failure.blockPeers]).toEqual([5, 5, 8]);
    expect(picker.pieceState(0)).toBe('none');
    expect(picker.pickBlocks(SEED, 5).sort()).toEqual([0, 1, 2]);
  });

  it('a released request returns its block, and an untouched piece returns to none', () => {
    const { picker } = makePicker(2, 2 * BLOCK_SIZE);
    picker.addSeed();
    const picks = picker.pickBlocks({ bitfield: bitfieldOf(2, [0]), seed: false }, 2);
    picker.releaseRequest(picks[1]!);
    expect(picker.pieceState(0)).toBe('partial');
    picker.releaseRequest(picks[0]!);
    expect(picker.pieceState(0)).toBe('none');
    expect(picker.pickBlocks({ bitfield: bitfieldOf(2, [0]), seed: false }, 2)).toEqual([0, 1]);
  });

  it('enters endgame only when every available block is requested, then duplicates', () => {
    const { picker } = makePicker(2, 2 * BLOCK_SIZE);
    picker.addSeed();
    const mine = new Set(picker.pickBlocks(SEED, 3));
    expect(picker.isEndgame()).toBe(false);
    for (const k of picker.pickBlocks(SEED, 1)) mine.add(k);
    expect(picker.isEndgame()).toBe(true);
    expect(picker.pickBlocks({ ...SEED, isRequesting: (k) => mine.has(k) }, 10)).toEqual([]);
    const other = picker.pickBlocks({ ...SEED, isRequesting: () => false }, 10);
    expect(other.sort()).toEqual([0, 1, 2, 3]);
    expect(picker.requestCount(0)).toBe(2);
    // limit of two requests per block (default)
    expect(picker.pickBlocks({ ...SEED, isRequesting: () => false }, 10)).toEqual([]);
  });

  it('isInteresting reflects wanted pieces the peer has', () => {
    const { picker } = makePicker(4, BLOCK_SIZE);
    picker.setPiecePriority(3, 0);
    picker.pieceVerified(2);
    expect(picker.isInteresting({ bitfield: bitfieldOf(4, [2, 3]), seed: false })).toBe(false);
    expect(picker.isInteresting({ bitfield: bitfieldOf(4, [1]), seed: false })).toBe(true);
  });
});
