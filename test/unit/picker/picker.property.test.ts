// fast-check properties of the piece picker's invariants (see src/picker/PICKER.md).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BLOCK_SIZE } from '../../../src/metainfo/lengths.js';
import { hasPiece } from '../../../src/picker/bits.js';
import type { PiecePicker } from '../../../src/picker/piece-picker.js';
import { bitfieldOf, makePicker, pieceOf, prng } from './helpers.js';

interface Torrent {
  pieces: number;
  bpp: number;
  lastLength: number;
  peers: number[][];
  prios: number[];
  seed: number;
}

const torrentArb: fc.Arbitrary<Torrent> = fc
  .record({ pieces: fc.integer({ min: 1, max: 40 }), bpp: fc.integer({ min: 1, max: 4 }), seed: fc.integer() })
  .chain(({ pieces, bpp, seed }) =>
    fc.record({
      pieces: fc.constant(pieces),
      bpp: fc.constant(bpp),
      seed: fc.constant(seed),
      lastLength: fc.integer({ min: 1, max: bpp * BLOCK_SIZE }),
      peers: fc.array(fc.uniqueArray(fc.integer({ min: 0, max: pieces - 1 }), { maxLength: pieces }), { minLength: 1, maxLength: 6 }),
      prios: fc.array(fc.integer({ min: 0, max: 7 }), { minLength: pieces, maxLength: pieces }),
    }),
  );

type Op = { kind: 'pick'; peer: number; max: number } | { kind: 'recv'; pick: number } | { kind: 'release'; pick: number } | { kind: 'hash'; ok: boolean };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('pick' as const), peer: fc.nat(), max: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('recv' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('hash' as const), ok: fc.boolean() }),
);

function setup(t: Torrent): { picker: PiecePicker; bitfields: Uint8Array[] } {
  const { picker } = makePicker(t.pieces, t.bpp * BLOCK_SIZE, { random: prng(t.seed) }, t.lastLength);
  const bitfields = t.peers.map((ps) => bitfieldOf(t.pieces, ps));
  for (const bf of bitfields) picker.addBitfield(bf);
  picker.setPiecePriorities(t.prios);
  return { picker, bitfields };
}

describe('PiecePicker properties', () => {
  it('never picks a piece the peer lacks, never priority 0, never a block twice outside endgame; request counts stay exact; drains to completion', () => {
    fc.assert(
      fc.property(torrentArb, fc.array(opArb, { maxLength: 80 }), (t, ops) => {
        const { picker, bitfields } = setup(t);
        const out: Array<Set<number>> = bitfields.map(() => new Set());
        const verifying: number[] = [];
        const model = (k: number): number => out.reduce((n, s) => n + (s.has(k) ? 1 : 0), 0);
        const allOut = (): Array<[number, number]> => out.flatMap((s, p) => [...s].map((k) => [p, k] as [number, number]));
        for (const op of ops) {
          if (op.kind === 'pick') {
            const p = op.peer % bitfields.length;
            const picks = picker.pickBlocks({ bitfield: bitfields[p]!, seed: false, isRequesting: (k) => out[p]!.has(k) }, op.max);
            expect(new Set(picks).size).toBe(picks.length);
            const endgame = picker.isEndgame(); // duplicates only once no free block anyone has is left
            let sawDuplicate = false;
            for (const k of picks) {
              if (model(k) > 0) sawDuplicate = true;
              else expect(sawDuplicate).toBe(false); // free blocks are all handed out before any duplicate
              const piece = pieceOf(picker, k);
              expect(hasPiece(bitfields[p]!, piece)).toBe(true);
              expect(picker.piecePriority(piece)).toBeGreaterThan(0);
              expect(out[p]!.has(k)).toBe(false);
              if (!endgame) expect(model(k)).toBe(0);
              expect(picker.isBlockReceived(k)).toBe(false);
              out[p]!.add(k);
            }
          } else if (op.kind === 'recv' || op.kind === 'release') {
            const list = allOut();
            if (list.length === 0) continue;
            const [p, k] = list[op.pick % list.length]!;
            out[p]!.delete(k);
            if (op.kind === 'recv') {
              const r = picker.blockReceived(k, p);
              if (r.pieceComplete) verifying.push(pieceOf(picker, k));
            }
            picker.releaseRequest(k);
          } else if (verifying.length > 0) {
            const piece = verifying.shift()!;
            if (op.ok) picker.pieceVerified(piece);
            else expect(picker.pieceFailed(piece).contributors.length).toBeGreaterThan(0);
          }
          for (const [, k] of allOut()) expect(picker.requestCount(k)).toBe(model(k));
        }
        // drain: every wanted block that some peer has is eventually requested and the torrent finishes
        for (const [p, k] of allOut()) {
          out[p]!.delete(k);
          picker.releaseRequest(k);
        }
        for (const piece of verifying) picker.pieceVerified(piece);
        for (let round = 0; round < t.pieces * t.bpp + 5; round++) {
          let progress = false;
          bitfields.forEach((bf, p) => {
            for (const k of picker.pickBlocks({ bitfield: bf, seed: false, isRequesting: () => false }, 4)) {
              progress = true;
              if (picker.blockReceived(k, p).pieceComplete) picker.pieceVerified(pieceOf(picker, k));
              picker.releaseRequest(k);
            }
          });
          if (!progress) break;
        }
        const reachable = new Set(t.peers.flat());
        for (let i = 0; i < t.pieces; i++) {
          const wanted = t.prios[i]! > 0 && reachable.has(i);
          if (wanted) expect(picker.pieceState(i)).toBe('have');
          else if (t.prios[i] === 0) expect(['none', 'have']).toContain(picker.pieceState(i));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('the first pick is a piece of the highest priority and least availability the peer has', () => {
    fc.assert(
      fc.property(torrentArb, (t) => {
        const { picker, bitfields } = setup(t);
        const bf = bitfields[0]!;
        const candidates = t.peers[0]!.filter((i) => t.prios[i]! > 0);
        const picks = picker.pickBlocks({ bitfield: bf, seed: false }, 1);
        if (candidates.length === 0) {
          expect(picks).toEqual([]);
          return;
        }
        const best = Math.max(...candidates.map((i) => t.prios[i]!));
        const top = candidates.filter((i) => t.prios[i] === best);
        const rarest = Math.min(...top.map((i) => picker.availability(i)));
        const piece = pieceOf(picker, picks[0]!);
        expect(picker.piecePriority(piece)).toBe(best);
        expect(picker.availability(piece)).toBe(rarest);
      }),
      { numRuns: 300 },
    );
  });

  it('serves time-critical pieces in deadline order', () => {
    fc.assert(
      fc.property(torrentArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 1e6 })), { maxLength: 10 }), (t, dls) => {
        const { picker } = setup(t);
        picker.addSeed();
        const deadline = new Map<number, number>();
        for (const [p, d] of dls) {
          picker.setPieceDeadline(p % t.pieces, d);
          deadline.set(p % t.pieces, d);
        }
        const picks = picker.pickBlocks({ bitfield: null, seed: true }, 10_000);
        const order: number[] = [];
        for (const k of picks) {
          const p = pieceOf(picker, k);
          if (order[order.length - 1] !== p) order.push(p);
        }
        const expected = [...deadline].sort((a, b) => a[1] - b[1] || a[0] - b[0]).map(([p]) => p);
        expect(order.slice(0, expected.length)).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });
});
