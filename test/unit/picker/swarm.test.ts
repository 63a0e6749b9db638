// A simulated swarm: peers with random bitfields and rates, a silent peer, a corrupting peer and a peer
// that chokes us now and then drive PiecePicker + RequestTracker to completion in bounded steps.
import { describe, expect, it } from 'vitest';
import { BLOCK_SIZE } from '../../../src/metainfo/lengths.js';
import { fullBitfield, isComplete } from '../../../src/picker/bits.js';
import { RequestTracker } from '../../../src/picker/request-tracker.js';
import { bitfieldOf, makePicker, prng } from './helpers.js';

interface SimPeer {
  id: number;
  bitfield: Uint8Array;
  seed: boolean;
  blocksPerStep: number;
  silent: boolean;
  corrupt: boolean;
  flaky: boolean;
  fast: boolean;
}

function simulate(seed: number, pieces: number, blocksPerPiece: number, peerCount: number) {
  const random = prng(seed);
  const { picker } = makePicker(pieces, blocksPerPiece * BLOCK_SIZE, { random }, BLOCK_SIZE + 123);
  const tracker = new RequestTracker(picker, { requestTimeoutMs: 1000 });
  const peers: SimPeer[] = [];
  for (let id = 0; id < peerCount; id++) {
    const have: number[] = [];
    for (let i = 0; i < pieces; i++) if (random() < 0.35) have.push(i);
    const bitfield = id === 0 ? fullBitfield(pieces) : bitfieldOf(pieces, have);
    const s = isComplete(bitfield, pieces);
    peers.push({ id, bitfield, seed: s, blocksPerStep: 1 + Math.floor(random() * 6), silent: id === 1, corrupt: id === 2, flaky: id === 3, fast: random() < 0.5 });
  }
  // the union must cover every piece: peer 0 is a seed, announced with a full bitfield
  for (const p of peers) {
    if (p.seed) picker.addSeed();
    else picker.addBitfield(p.bitfield);
    tracker.addPeer(p.id, { bitfield: p.bitfield, seed: p.seed, fastExtension: p.fast, reqq: 64 });
    tracker.setChoked(p.id, false);
  }
  const contributedBad = new Set<number>();
  const badBlocks = new Set<number>();
  let failures = 0;
  let now = 0;
  let steps = 0;
  let snubbedSilent = false;
  let duplicates = 0;
  while (!picker.isFinished() && steps < 20_000) {
    steps++;
    now += 100;
    tracker.tick(now);
    if (tracker.peerIds().includes(1) && tracker.isSnubbed(1)) snubbedSilent = true;
    tracker.fillAll(now);
    for (const p of peers) {
      if (!tracker.peerIds().includes(p.id)) continue;
      if (p.flaky && random() < 0.05) {
        const choked = !tracker.isChoked(p.id);
        tracker.setChoked(p.id, choked);
        if (choked && p.fast) for (const k of tracker.requests(p.id)) tracker.onReject(p.id, k);
        continue;
      }
      if (p.silent) continue;
      for (const k of tracker.requests(p.id).slice(0, p.blocksPerStep)) {
        if (!tracker.peerIds().includes(p.id)) break; // banned below
        const arrival = tracker.onBlock(p.id, k, now);
        duplicates += arrival.cancels.length;
        if (arrival.accepted && p.corrupt) badBlocks.add(k);
        if (!arrival.pieceComplete) continue;
        const piece = picker.blockInfo(k).piece;
        const base = piece * picker.blocksPerPiece;
        let bad = false;
        for (let b = 0; b < picker.blocksPerPiece; b++) if (badBlocks.delete(base + b)) bad = true;
        if (!bad) {
          picker.pieceVerified(piece);
          continue;
        }
        failures++;
        const failure = picker.pieceFailed(piece);
        failure.blockPeers.forEach((peer, b) => {
          if (peer === 2) contributedBad.add(base + b);
        });
        // smart ban, simplified: the corrupting peer goes after its second bad piece
        if (failures >= 2 && tracker.peerIds().includes(2)) {
          tracker.removePeer(2);
          if (peers[2]!.seed) picker.removeSeed();
          else picker.removeBitfield(peers[2]!.bitfield);
        }
      }
    }
    // bookkeeping invariant: the picker's request counts equal the tracker's outstanding entries
    if (steps % 50 === 0) {
      const counts = new Map<number, number>();
      for (const id of tracker.peerIds()) for (const k of tracker.requests(id)) counts.set(k, (counts.get(k) ?? 0) + 1);
      for (const [k, n] of counts) expect(picker.requestCount(k)).toBe(n);
    }
  }
  return { picker, steps, failures, snubbedSilent, duplicates, contributedBad };
}

describe('simulated swarm', () => {
  for (const seed of [1, 2, 3]) {
    it(`completes with a silent, a corrupting and a flaky peer (seed ${seed})`, () => {
      const pieces = 400;
      const r = simulate(seed, pieces, 4, 12);
      const missing = [...Array(pieces).keys()].filter((i) => r.picker.pieceState(i) !== "have").map((i) => `${i}:${r.picker.pieceState(i)}:${r.picker.availability(i)}`);
      expect(missing).toEqual([]);
      expect(r.picker.isFinished()).toBe(true);
      expect(r.picker.haveCount).toBe(pieces);
      // bounded: 1600 blocks with ~35 blocks/step of capacity must not take more than a few hundred steps
      console.log(`seed ${seed}: ${r.steps} steps, ${r.failures} failures, ${r.duplicates} endgame cancels`);
      expect(r.steps).toBeLessThan(1500);
      expect(r.snubbedSilent).toBe(true);
      if (r.failures > 0) expect(r.contributedBad.size).toBeGreaterThan(0);
      for (let i = 0; i < pieces; i++) expect(r.picker.pieceState(i)).toBe('have');
    });
  }
});
