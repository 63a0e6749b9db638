import { describe, expect, it } from 'vitest';
import { bencode } from '../../../src/metainfo/bencode.js';
import { encodeMetadataData } from '../../../src/wire/extensions/ut-metadata-codec.js';
import { makeInfo, MetadataSwarm, sha1, sha256 } from './metadata-swarm.js';

function corrupt(info: Uint8Array, at: number): Uint8Array {
  const c = info.slice();
  c[at] = c[at]! ^ 0xff;
  return c;
}

describe('MetadataFetcher', () => {
  it('fetches from several peers round-robin and verifies SHA-1 (btih)', async () => {
    const info = makeInfo(70_000); // 5 pieces
    const swarm = new MetadataSwarm({ infoHashes: { v1: sha1(info) } });
    const peers = ['a', 'b', 'c'].map((k) => swarm.addPeer(k, info));
    await swarm.settle();
    expect(swarm.result).toEqual(info);
    expect(swarm.fetcher.state).toBe('done');
    for (const p of peers) expect(p.requests.length).toBeGreaterThan(0);
    expect(peers.reduce((n, p) => n + p.requests.length, 0)).toBe(5); // each piece asked once
  });

  it('verifies SHA-256 (btmh) and both hashes for hybrids; a wrong hash is never accepted', async () => {
    const info = makeInfo(20_000);
    const v2 = new MetadataSwarm({ infoHashes: { v2: sha256(info) } });
    v2.addPeer('a', info);
    await v2.settle();
    expect(v2.result).toEqual(info);
    const hybrid = new MetadataSwarm({ infoHashes: { v1: sha1(info), v2: sha256(info) } });
    hybrid.addPeer('a', info);
    await hybrid.settle();
    expect(hybrid.result).toEqual(info);
    const wrong = new MetadataSwarm({ infoHashes: { v1: sha1(info), v2: sha256(corrupt(info, 0)) } });
    wrong.addPeer('a', info);
    await wrong.settle();
    expect(wrong.result).toBeUndefined();
    expect(wrong.bad).toEqual(['a']);
  });

  it('keeps outstanding requests per peer bounded', async () => {
    const info = makeInfo(200_000); // 13 pieces
    const swarm = new MetadataSwarm({ infoHashes: { v1: sha1(info) }, maxOutstandingPerPeer: 3 });
    const p = swarm.addPeer('a', info);
    // nothing is answered until pump: the first burst is the cap
    expect(swarm.toPeers.length).toBe(3);
    await swarm.settle();
    expect(swarm.result).toEqual(info);
    expect(p.maxOutstanding).toBeLessThanOrEqual(3);
  });

  it('chooses the metadata_size most peers announce; ignores sizes ≤ 0 or over the limit', async () => {
    const info = makeInfo(30_000);
    const swarm = new MetadataSwarm({ infoHashes: { v1: sha1(info) }, maxMetadataSize: 1_000_000 });
    const liar = swarm.addPeer('liar', makeInfo(50_000)); // first: its size is chosen until outvoted
    expect(swarm.fetcher.metadataSize).toBe(liar.server.metadataSize);
    swarm.addPeer('zero', info, 0);
    swarm.addPeer('neg', info, -1);
    swarm.addPeer('huge', info, 2_000_000);
    swarm.addPeer('h1', info);
    swarm.addPeer('h2', info);
    expect(swarm.fetcher.metadataSize).toBe(info.length);
    await swarm.settle();
    expect(swarm.result).toEqual(info);
    expect(liar.requests.length).toBeLessThanOrEqual(2); // only the first round, before it was outvoted
    for (const k of ['zero', 'neg', 'huge']) expect(swarm.peers.get(k)!.requests).toEqual([]);
    // its answers to that first round carried another total_size: ignored, not used
    expect(swarm.verdicts.filter((v) => v.from === 'liar').map((v) => v.verdict)).toEqual(
      liar.requests.map(() => ({ action: 'ignore', reason: 'inconsistent_total_size' })),
    );
  });

  it('re-requests from another peer after a timeout, and still accepts the late answer', async () => {
    const info = makeInfo(40_000); // 3 pieces
    const swarm = new MetadataSwarm({ infoHashes: { v1: sha1(info) }, requestTimeoutMs: 5000 });
    const slow = swarm.addPeer('slow', info, info.length, true);
    swarm.pump();
    expect(slow.requests.length).toBe(2);
    const fast = swarm.addPeer('fast', info);
    swarm.pump();
    expect(swarm.result).toBeUndefined(); // slow still holds 2 pieces
    swarm.clock += 5000;
    swarm.fetcher.tick();
    await swarm.settle();
    expect(swarm.result).toEqual(info);
    expect(fast.requests.sort()).toEqual([0, 1, 2]);
  });

  it('a reject backs the peer off and the piece goes to others', async () => {
    const info = makeInfo(40_000);
    const swarm = new MetadataSwarm({ infoHashes: { v1: sha1(info) }, rejectBackoffMs: 60_000 });
    const empty = swarm.addPeer('empty', undefined, info.length); // has no metadata: rejects
    swarm.pump();
    expect(empty.requests.length).toBe(2);
    const good = swarm.addPeer('good', info);
    await swarm.settle();
    expect(swarm.result).toEqual(info);
    expect(empty.requests.length).toBe(2); // not asked again during the back-off
    expect(good.requests.length).toBe(3);
    expect(swarm.verdicts.filter((v) => v.from === 'empty').every((v) => v.verdict.action === 'accept')).toBe(true);
  });

  it('a peer that leaves has its pieces re-requested', async () => {
    const info = makeInfo(40_000);
    const swarm = new MetadataSwarm({ infoHashes: { v1: sha1(info) } });
    swarm.addPeer('gone', info, info.length, true);
    swarm.fetcher.removePeer('gone');
    const p = swarm.addPeer('b', info);
    await swarm.settle();
    expect(swarm.result).toEqual(info);
    expect(p.requests.sort()).toEqual([0, 1, 2]);
  });

  describe('HOSTILE-INPUTS 22 in context', () => {
    it('unsolicited data and inconsistent total_size are ignored; wrong length or piece beyond our count drops', () => {
      const info = makeInfo(40_000);
      const swarm = new MetadataSwarm({ infoHashes: { v1: sha1(info) } });
      swarm.addPeer('x', info, info.length, true); // asked for pieces 0 and 1
      const f = swarm.fetcher;
      const block = info.subarray(32768);
      expect(f.onMessage('x', encodeMetadataData(2, info.length, block)).action).toBe('ignore'); // never asked
      expect(f.onMessage('x', encodeMetadataData(0, info.length + 1, info.subarray(0, 16384)))).toEqual({
        action: 'ignore',
        reason: 'inconsistent_total_size',
      });
      // piece 3 cannot exist in our 3-piece metadata although the peer's own (bigger) total_size allows it
      const bigger = info.length + 20000;
      expect(f.onMessage('x', encodeMetadataData(3, bigger, new Uint8Array(bigger - 3 * 16384)))).toEqual({
        action: 'ignore',
        reason: 'inconsistent_total_size',
      });
      const withSize = (o: object, tail: Uint8Array): Uint8Array => {
        const h = bencode(o as Record<string, never>);
        const out = new Uint8Array(h.length + tail.length);
        out.set(h);
        out.set(tail, h.length);
        return out;
      };
      expect(f.onMessage('x', withSize({ msg_type: 1, piece: 0, total_size: info.length }, new Uint8Array(100)))).toEqual({
        action: 'drop',
        reason: 'wrong_block_length',
      });
      expect(f.onMessage('x', withSize({ msg_type: 1, piece: 0, total_size: info.length }, new Uint8Array(16385))).action).toBe('drop');
      expect(f.onMessage('x', withSize({ msg_type: 1, piece: 0, total_size: 0 }, new Uint8Array(0))).action).toBe('drop');
      expect(f.onMessage('x', encodeMetadataData(0, info.length, info.subarray(0, 16384)))).toEqual({ action: 'accept' });
      expect(f.piecesReceived).toBe(1);
    });

    it('metadata failing the hash is discarded and fetched again from other peers; contributors become suspect', async () => {
      const info = makeInfo(40_000);
      const swarm = new MetadataSwarm({ infoHashes: { v1: sha1(info) } });
      swarm.addPeer('liar', corrupt(info, 20_000)); // piece 1 is wrong
      swarm.addPeer('honest1', info);
      await swarm.settle(1); // one round: every piece arrives, the hash fails
      expect(swarm.hashFailures).toEqual([expect.arrayContaining(['honest1', 'liar'])]);
      expect(swarm.fetcher.isSuspect('liar')).toBe(true);
      expect(swarm.fetcher.isSuspect('honest1')).toBe(true);
      // a fresh peer arrives: the refetch goes to it (non-suspect) only
      const fresh = swarm.addPeer('fresh', info);
      await swarm.settle();
      expect(swarm.result).toEqual(info);
      expect(fresh.requests.sort()).toEqual([0, 1, 2]);
    });

    it('with only suspects left, solo rounds convict the liar and clear the honest peer', async () => {
      const info = makeInfo(40_000);
      const swarm = new MetadataSwarm({ infoHashes: { v1: sha1(info) } });
      swarm.addPeer('liar', corrupt(info, 100));
      swarm.addPeer('honest', info);
      await swarm.settle(40);
      expect(swarm.result).toEqual(info);
      // round 1 mixes both → both suspect; round 2 is the liar alone (first suspect) → convicted; round 3 the honest peer alone
      expect(swarm.hashFailures).toEqual([expect.arrayContaining(['liar', 'honest']), ['liar']]);
      expect(swarm.bad).toEqual(['liar']);
    });

    it('a lone peer serving metadata that fails the hash is reported bad and never asked again', async () => {
      const info = makeInfo(20_000);
      const swarm = new MetadataSwarm({ infoHashes: { v1: sha1(info) } });
      const liar = swarm.addPeer('liar', corrupt(info, 5));
      await swarm.settle(5);
      expect(swarm.bad).toEqual(['liar']);
      const asked = liar.requests.length;
      swarm.fetcher.addPeer('liar', info.length); // reconnects: still refused
      swarm.pump();
      expect(liar.requests.length).toBe(asked);
      swarm.addPeer('honest', info);
      await swarm.settle();
      expect(swarm.result).toEqual(info);
    });
  });
});
