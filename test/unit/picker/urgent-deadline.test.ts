// Urgent time-critical pieces (deadline passed, blocks missing): whole piece requested at once, alone.
import { describe, expect, it } from 'vitest';
import { BLOCK_SIZE } from '../../../src/metainfo/lengths.js';
import { RequestTracker } from '../../../src/picker/request-tracker.js';
import { makePicker } from './helpers.js';

const BPP = 64; // a 1 MiB piece of 16 KiB blocks

function setup(reqq?: number, minBatch = 32) {
  const { picker } = makePicker(32, BPP * BLOCK_SIZE, { defaultPriority: 0 });
  picker.addSeed();
  const tracker = new RequestTracker(picker, { minBatch });
  tracker.addPeer(1, { bitfield: null, seed: true, ...(reqq === undefined ? {} : { reqq }) }, 0);
  tracker.setChoked(1, false);
  return { picker, tracker };
}

const piecesOf = (ks: readonly number[]): number[] => [...new Set(ks.map((k) => Math.floor(k / BPP)))];

describe('urgent deadline pieces', () => {
  it('a fresh peer (no rate yet) is asked for the whole due piece at once, and for nothing else', () => {
    const { picker, tracker } = setup();
    picker.setPieceDeadline(10, 1000); // due at t=1000
    picker.setPieceDeadline(11, 1250); // read-ahead, not due yet
    const ks = tracker.fill(1, 1000);
    expect(ks).toHaveLength(BPP);
    expect(piecesOf(ks)).toEqual([10]);
    // While piece 10 is not all in, refills add nothing from other pieces.
    for (const k of ks.slice(0, 40)) tracker.onBlock(1, k, 1001);
    expect(tracker.fill(1, 1001)).toEqual([]);
  });

  it('once every block of the urgent piece arrived, the rest is picked at the normal depth', () => {
    const { picker, tracker } = setup();
    picker.setPieceDeadline(10, 0);
    picker.setPieceDeadline(11, 250);
    const first = tracker.fill(1, 0);
    for (const k of first) tracker.onBlock(1, k, 1);
    expect(picker.pieceState(10)).toBe('verifying');
    const next = tracker.fill(1, 2);
    expect(next.length).toBeGreaterThan(0);
    expect(next.length).toBeLessThanOrEqual(tracker.queueDepth(1, 2));
    expect(piecesOf(next)).toEqual([11]);
  });

  it('urgent blocks go out even when the room left is under the refill batch', () => {
    const { picker, tracker } = setup(80, 128); // batch min(128, 80 / 4) = 20
    picker.setPieceDeadline(10, 0);
    expect(tracker.fill(1, 0)).toHaveLength(BPP); // 16 of 80 left
    picker.setPieceDeadline(12, 0); // a second reader blocks on piece 12
    const ks = tracker.fill(1, 1);
    expect(ks).toHaveLength(80 - BPP);
    expect(piecesOf(ks)).toEqual([12]);
  });

  it('the whole-piece request respects the peer reqq', () => {
    const { picker, tracker } = setup(20);
    picker.setPieceDeadline(5, 0);
    expect(tracker.fill(1, 0)).toHaveLength(20);
  });

  it('a deadline still ahead is not urgent: rate-based depth, normal picking', () => {
    const { picker, tracker } = setup();
    picker.setPieceDeadline(3, 5000);
    expect(picker.hasUrgent({ bitfield: null, seed: true }, 0)).toBe(false);
    expect(tracker.fill(1, 0)).toHaveLength(2); // the depth floor of a peer with no measured rate
    expect(picker.hasUrgent({ bitfield: null, seed: true }, 5000)).toBe(true);
  });

  it('a peer without the urgent piece keeps picking normally', () => {
    const { picker } = makePicker(32, BPP * BLOCK_SIZE);
    const bf = new Uint8Array(4);
    bf[0] = 0x40; // piece 1 only
    picker.addBitfield(bf);
    picker.setPieceDeadline(20, 0);
    expect(picker.hasUrgent({ bitfield: bf, seed: false }, 10)).toBe(false);
    const ks = picker.pickBlocks({ bitfield: bf, seed: false, now: 10 }, 8);
    expect(piecesOf(ks)).toEqual([1]);
  });
});
