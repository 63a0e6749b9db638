import { describe, expect, it } from 'vitest';
import { initialChokerState, runChoker, type ChokerPeer, type ChokerState } from '../../../src/picker/choker.js';
import { prng } from './helpers.js';

function peer(id: number, over: Partial<ChokerPeer> = {}): ChokerPeer {
  return { id, interested: true, choked: true, downloadRate: 0, uploadRate: 0, ...over };
}

describe('runChoker (downloading, tit-for-tat)', () => {
  it('unchokes the limit − 1 best downloaders plus one optimistic; uninterested peers take no slot', () => {
    const peers = [
      peer(1, { downloadRate: 500 }),
      peer(2, { downloadRate: 900, interested: false }),
      peer(3, { downloadRate: 300 }),
      peer(4, { downloadRate: 100, choked: false }),
      peer(5, { downloadRate: 50 }),
      peer(6, { downloadRate: 800 }),
    ];
    const d = runChoker(peers, 0, { unchokeSlotsLimit: 4, seeding: false, random: prng(3) });
    expect(d.unchoked.slice(0, 3)).toEqual([6, 1, 3]);
    expect(d.optimistic).toBeDefined();
    expect([4, 5]).toContain(d.optimistic);
    expect(d.unchoked).toHaveLength(4);
    expect(d.unchoked).not.toContain(2);
    expect(d.unchoke).not.toContain(2);
    expect(d.choke).not.toContain(2);
    if (d.optimistic === 5) expect(d.choke).toEqual([4]);
  });

  it('keeps the optimistic peer for 30 s (3 rounds of 10 s), then rotates to one not yet tried', () => {
    let peers = [peer(1, { downloadRate: 100 }), peer(2), peer(3), peer(4)];
    let state: ChokerState = initialChokerState;
    const seen: number[] = [];
    for (let round = 0; round < 9; round++) {
      const d = runChoker(peers, round * 10_000, { unchokeSlotsLimit: 2, seeding: false, random: prng(round + 1) }, state);
      state = d.state;
      seen.push(d.optimistic!);
      peers = peers.map((p) => ({ ...p, choked: !d.unchoked.includes(p.id) }));
    }
    expect(seen.slice(0, 3).every((x) => x === seen[0])).toBe(true);
    expect(seen.slice(3, 6).every((x) => x === seen[3])).toBe(true);
    expect(seen.slice(6, 9).every((x) => x === seen[6])).toBe(true);
    expect(new Set([seen[0], seen[3], seen[6]])).toEqual(new Set([2, 3, 4]));
  });

  it('unlimited slots unchoke every interested peer', () => {
    const d = runChoker([peer(1), peer(2, { interested: false }), peer(3)], 0, { unchokeSlotsLimit: -1, seeding: false });
    expect(d.unchoke.sort()).toEqual([1, 3]);
    expect(d.optimistic).toBeUndefined();
  });
});

describe('runChoker (seeding)', () => {
  it('fastest_upload ranks by our upload rate', () => {
    const peers = [peer(1, { uploadRate: 10 }), peer(2, { uploadRate: 90 }), peer(3, { uploadRate: 50 }), peer(4, { uploadRate: 70, downloadRate: 1e9 })];
    const d = runChoker(peers, 0, { unchokeSlotsLimit: 3, seeding: true, seedChokingAlgorithm: 'fastest_upload', random: prng(1) });
    expect(d.unchoked.slice(0, 2)).toEqual([2, 4]);
  });

  it('round_robin rotates peers that used their quota in favour of those waiting longest', () => {
    const quota = 1000;
    let peers = [1, 2, 3, 4].map((id) => peer(id, { uploadRate: id * 10 }));
    let state: ChokerState = initialChokerState;
    const regularSets: number[][] = [];
    for (let round = 0; round < 4; round++) {
      const now = round * 10_000;
      const d = runChoker(peers, now, { unchokeSlotsLimit: 2, seeding: true, seedChokingAlgorithm: 'round_robin', roundRobinQuota: quota, optimisticUnchokeIntervalMs: 1e12, random: prng(7) }, state);
      state = d.state;
      regularSets.push(d.unchoked.filter((id) => id !== d.optimistic));
      peers = peers.map((p) => {
        const on = d.unchoked.includes(p.id);
        const newly = on && p.choked;
        return { ...p, choked: !on, lastUnchokedAt: newly ? now : p.lastUnchokedAt, uploadedSinceUnchoke: on ? (newly ? 0 : (p.uploadedSinceUnchoke ?? 0)) + 600 : 0 };
      });
    }
    // a regular slot holder stays for two rounds (600 B < quota, then 1200 B ≥ quota) and then yields
    expect(regularSets[0]).toEqual(regularSets[1]);
    expect(regularSets[2]).not.toEqual(regularSets[1]);
    expect(new Set(regularSets.flat()).size).toBeGreaterThan(1);
  });
});
