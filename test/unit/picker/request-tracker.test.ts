import { describe, expect, it } from 'vitest';
import { BLOCK_SIZE } from '../../../src/metainfo/lengths.js';
import { RateMeter } from '../../../src/picker/rate.js';
import { RequestTracker } from '../../../src/picker/request-tracker.js';
import { makePicker } from './helpers.js';

function setup(pieces = 64, blocksPerPiece = 4, options = {}) {
  const { picker } = makePicker(pieces, blocksPerPiece * BLOCK_SIZE);
  picker.addSeed();
  const tracker = new RequestTracker(picker, options);
  return { picker, tracker };
}

describe('RateMeter', () => {
  it('converges to a steady rate and decays when idle', () => {
    const m = new RateMeter(1000);
    for (let t = 0; t <= 10_000; t += 100) m.add(10_000, t); // 100 kB/s
    expect(m.rate(10_000)).toBeGreaterThan(90_000);
    expect(m.rate(10_000)).toBeLessThan(110_000);
    expect(m.rate(20_000)).toBeLessThan(100);
  });
});

describe('RequestTracker', () => {
  it('sizes the pipeline by rate × latency / block size, clamped to [2, reqq]', () => {
    const { tracker } = setup();
    tracker.addPeer(1, { bitfield: null, seed: true, reqq: 40 });
    tracker.setChoked(1, false);
    expect(tracker.queueDepth(1, 0)).toBe(2);
    expect(tracker.fill(1, 0)).toHaveLength(2);
    // 10 blocks/s for 20 s → ~160 KiB/s → 3 s of data ≈ 30 blocks
    let t = 0;
    for (; t < 20_000; t += 100) {
      const [k] = tracker.requests(1);
      tracker.onBlock(1, k!, t);
      tracker.fill(1, t);
    }
    const depth = tracker.queueDepth(1, t);
    expect(depth).toBeGreaterThanOrEqual(27);
    expect(depth).toBeLessThanOrEqual(33);
    expect(tracker.outstanding(1)).toBeLessThanOrEqual(depth);
    tracker.updatePeer(1, { reqq: 5 });
    expect(tracker.queueDepth(1, t)).toBe(5);
  });

  it('times out a silent peer: blocks go back to the pool, the peer is snubbed until data arrives', () => {
    const { picker, tracker } = setup(1, 2, { requestTimeoutMs: 1000 });
    tracker.addPeer(1, { bitfield: null, seed: true });
    tracker.addPeer(2, { bitfield: null, seed: true });
    tracker.setChoked(1, false);
    tracker.setChoked(2, false);
    const slow = tracker.fill(1, 0);
    expect(slow).toHaveLength(2);
    expect(tracker.tick(999)).toEqual([]);
    const timedOut = tracker.tick(1000);
    expect(timedOut.map((x) => x.block).sort()).toEqual([...slow].sort());
    expect(tracker.isSnubbed(1)).toBe(true);
    expect(tracker.queueDepth(1, 1000)).toBe(1);
    for (const k of slow) expect(picker.requestCount(k)).toBe(0);
    const taken = [...tracker.fill(2, 1000), ...tracker.fill(2, 1000)];
    expect(taken.sort()).toEqual([...slow].sort());
    // a late block from the snubbed peer is still accepted and cancels the other peer's request
    const arrival = tracker.onBlock(1, slow[0]!, 1100);
    expect(arrival.accepted).toBe(true);
    expect(arrival.cancels).toEqual([{ peer: 2, block: slow[0] }]);
    expect(tracker.isSnubbed(1)).toBe(false);
    expect(picker.requestCount(slow[0]!)).toBe(0);
  });

  it('choke without the fast extension frees all requests; with it, only rejects free them', () => {
    const { picker, tracker } = setup();
    tracker.addPeer(1, { bitfield: null, seed: true });
    tracker.addPeer(2, { bitfield: null, seed: true, fastExtension: true });
    tracker.setChoked(1, false);
    tracker.setChoked(2, false);
    const a = tracker.fill(1, 0);
    const b = tracker.fill(2, 0);
    expect(tracker.setChoked(1, true).sort()).toEqual(a.sort());
    for (const k of a) expect(picker.requestCount(k)).toBe(0);
    expect(tracker.fill(1, 0)).toEqual([]);
    expect(tracker.setChoked(2, true)).toEqual([]);
    expect(tracker.outstanding(2)).toBe(2);
    expect(tracker.onReject(2, b[0]!)).toBe(true);
    expect(tracker.onReject(2, b[0]!)).toBe(false);
    expect(picker.requestCount(b[0]!)).toBe(0);
    expect(tracker.outstanding(2)).toBe(1);
    // choked with an allowed-fast set: only those pieces are requested
    tracker.setAllowedFast(2, [40]);
    expect(tracker.fill(2, 0).map((k) => picker.blockInfo(k).piece)).toEqual([40]);
    expect(tracker.removePeer(2)).toHaveLength(2);
    expect(picker.pieceState(40)).toBe('none');
  });

  it('endgame duplicates are cancelled when the block arrives', () => {
    const { picker, tracker } = setup(1, 4);
    for (const id of [1, 2]) {
      tracker.addPeer(id, { bitfield: null, seed: true });
      tracker.setChoked(id, false);
    }
    const first = [...tracker.fill(1, 0), ...tracker.fill(2, 0)];
    expect(first.sort()).toEqual([0, 1, 2, 3]);
    expect(picker.isEndgame()).toBe(true);
    tracker.onBlock(1, tracker.requests(1)[0]!, 10);
    const dup = tracker.fill(1, 10);
    expect(dup).toHaveLength(1);
    expect(tracker.requests(2)).toContain(dup[0]);
    const arrival = tracker.onBlock(1, dup[0]!, 20);
    expect(arrival.cancels).toEqual([{ peer: 2, block: dup[0] }]);
    expect(tracker.requests(2)).not.toContain(dup[0]);
    expect(picker.requestCount(dup[0]!)).toBe(0);
  });

  it('fillAll offers time-critical pieces to the fastest peer and re-requests late blocks elsewhere', () => {
    const { picker, tracker } = setup(512, 2, { lateAfterMs: 500 });
    for (const id of [1, 2, 3]) {
      tracker.addPeer(id, { bitfield: null, seed: true });
      tracker.setChoked(id, false);
    }
    // peer 2 is fast, peer 3 is medium, peer 1 slow
    for (let t = 0; t < 5000; t += 50) {
      for (const [id, every] of [[2, 50], [3, 100], [1, 1000]] as const) {
        if (t % every !== 0) continue;
        const [k] = tracker.fill(id, t);
        if (k !== undefined) tracker.onBlock(id, k, t);
      }
    }
    for (const id of [1, 2, 3]) for (const k of tracker.requests(id)) tracker.onReject(id, k);
    expect(picker.pieceState(30)).toBe('none');
    picker.setPieceDeadline(30, 6000);
    const fills = tracker.fillAll(5000);
    const holders = [...fills].filter(([, ks]) => ks.some((k) => picker.blockInfo(k).piece === 30)).map(([id]) => id);
    expect(holders).toEqual([2]);
    tracker.tick(5600);
    for (const k of tracker.requests(3)) tracker.onReject(3, k); // room for peer 3
    const again = tracker.fill(3, 5600);
    const late = again.filter((k) => picker.blockInfo(k).piece === 30);
    expect(late.length).toBeGreaterThan(0);
    for (const k of late) expect(picker.requestCount(k)).toBe(2); // duplicated, the first request still stands
  });

  it('dropUnwanted releases requests for pieces with priority 0 and no deadline, and only those', () => {
    const { picker, tracker } = setup(8, 4);
    picker.setPiecePriorities(new Array(8).fill(0));
    picker.setPieceDeadline(2, 0);
    picker.setPieceDeadline(5, 100);
    tracker.addPeer(1, { bitfield: null, seed: true, reqq: 64 });
    tracker.setChoked(1, false);
    for (let t = 0; t < 4; t++) tracker.fill(1, t * 1000); // room grows only with the rate: fill a few times
    const before = tracker.requests(1).map((k) => picker.blockInfo(k).piece);
    expect(new Set(before)).toEqual(new Set([2, 5]));
    expect(tracker.dropUnwanted()).toEqual([]); // both still have deadlines
    picker.resetPieceDeadline(2); // the reader seeked away from piece 2 ...
    picker.setPiecePriority(2, 0); // ... and its priority goes back to the file's (the deadline had raised it to 1)
    const dropped = tracker.dropUnwanted();
    expect(dropped.length).toBe(before.filter((p) => p === 2).length);
    expect(dropped.every((d) => d.peer === 1 && picker.blockInfo(d.block).piece === 2)).toBe(true);
    expect(tracker.requests(1).every((k) => picker.blockInfo(k).piece === 5)).toBe(true);
    for (const d of dropped) expect(picker.requestCount(d.block)).toBe(0); // released in the picker
    picker.setPiecePriority(5, 4);
    picker.resetPieceDeadline(5); // wanted anyway: kept
    expect(tracker.dropUnwanted()).toEqual([]);
  });
});
