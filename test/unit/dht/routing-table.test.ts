import { describe, expect, it } from 'vitest';
import { RoutingTable } from '../../../src/dht/routing-table.js';
import { commonPrefixBits, randomIdWithPrefix } from '../../../src/dht/node-id.js';

const own = new Uint8Array(20); // all zero: bucket i holds ids whose first set bit is bit i
const ip = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
const MIN = 60_000;

describe('RoutingTable', () => {
  it('holds K nodes in a bucket and splits only the bucket containing our id', () => {
    const t = new RoutingTable(own, 0, { k: 8 });
    // 20 nodes all far away (bit 0 set): they fill bucket 0 after the first split, the rest go to replacements
    let n = 0;
    for (let i = 0; i < 20; i++) t.add(randomIdWithPrefix(own, 0), ip(n++), 1000, 0);
    expect(t.bucketCount).toBe(2);
    expect(t.counts().nodes).toBe(8);
    expect(t.counts().replacements).toBe(8);
    // nodes close to us keep splitting the last bucket
    for (let b = 1; b < 10; b++) for (let i = 0; i < 3; i++) t.add(randomIdWithPrefix(own, b), ip(n++), 1000, 0);
    expect(t.bucketCount).toBeGreaterThan(2);
    for (const node of t.nodes()) expect(t.bucketIndex(node.id)).toBe(Math.min(commonPrefixBits(node.id, own), t.bucketCount - 1));
    expect(t.counts().buckets).toBeLessThanOrEqual(160);
  });

  it('never adds our own id, and ignores a known id from a new address', () => {
    const t = new RoutingTable(own, 0);
    expect(t.add(own, '1.1.1.1', 1, 0)).toBe('own-id');
    const id = randomIdWithPrefix(own, 3);
    expect(t.add(id, '1.1.1.1', 1, 0)).toBe('live');
    expect(t.add(id, '2.2.2.2', 1, 0)).toBe('id-moved');
    expect(t.nodes()[0]?.host).toBe('1.1.1.1');
  });

  it('keeps at most one entry per IP (case 26) unless restrictIps is off', () => {
    const t = new RoutingTable(own, 0);
    expect(t.add(randomIdWithPrefix(own, 1), '5.5.5.5', 1, 0)).toBe('live');
    expect(t.add(randomIdWithPrefix(own, 2), '5.5.5.5', 2, 0)).toBe('ip-taken');
    expect(t.counts().nodes).toBe(1);
    const loose = new RoutingTable(own, 0, { restrictIps: false });
    for (let i = 0; i < 5; i++) loose.add(randomIdWithPrefix(own, i), '127.0.0.1', 1000 + i, 0);
    expect(loose.counts().nodes).toBe(5);
  });

  it('drops a node after maxFailCount failures and promotes a replacement', () => {
    const t = new RoutingTable(own, 0, { k: 2, maxFailCount: 2 });
    const far = Array.from({ length: 4 }, () => randomIdWithPrefix(own, 0));
    // two near nodes so the first bucket split happens, then fill bucket 0
    t.add(randomIdWithPrefix(own, 5), ip(100), 1, 0);
    t.add(randomIdWithPrefix(own, 6), ip(101), 1, 0);
    far.forEach((id, i) => t.add(id, ip(i), 1, 0));
    const bucket0 = () => t.nodes().filter((n) => commonPrefixBits(n.id, own) === 0).map((n) => n.host);
    expect(bucket0()).toEqual([ip(0), ip(1)]);
    t.failed(far[0] as Uint8Array, ip(0), 1);
    expect(bucket0()).toContain(ip(0)); // one failure: still there
    t.failed(far[0] as Uint8Array, ip(0), 1);
    expect(bucket0()).not.toContain(ip(0));
    expect(bucket0()).toHaveLength(2); // a replacement took the slot
  });

  it('gives a failing node slot to a fresh node when the bucket is full', () => {
    const t = new RoutingTable(own, 0, { k: 2, maxFailCount: 5 });
    t.add(randomIdWithPrefix(own, 5), ip(100), 1, 0);
    t.add(randomIdWithPrefix(own, 6), ip(101), 1, 0);
    const a = randomIdWithPrefix(own, 0);
    t.add(a, ip(1), 1, 0);
    t.add(randomIdWithPrefix(own, 0), ip(2), 1, 0);
    t.failed(a, ip(1), 1);
    expect(t.add(randomIdWithPrefix(own, 0), ip(3), 1, 0)).toBe('live');
    expect(t.nodes().map((n) => n.host)).not.toContain(ip(1));
  });

  it('marks nodes questionable after 15 minutes of silence, queries keep them good', () => {
    const t = new RoutingTable(own, 0);
    const a = randomIdWithPrefix(own, 1);
    const b = randomIdWithPrefix(own, 2);
    t.add(a, ip(1), 1, 0);
    t.add(b, ip(2), 1, 0);
    expect(t.questionable(14 * MIN)).toHaveLength(0);
    expect(t.heardFrom(a, ip(1), 1, 10 * MIN)).toBe(true);
    expect(t.heardFrom(a, ip(9), 1, 10 * MIN)).toBe(false);
    expect(t.questionable(16 * MIN).map((n) => n.host)).toEqual([ip(2)]);
  });

  it('reports stale buckets for refresh', () => {
    const t = new RoutingTable(own, 0);
    t.add(randomIdWithPrefix(own, 1), ip(1), 1, 0);
    expect(t.staleBuckets(16 * MIN, 15 * MIN)).toEqual([0]);
    t.touchBucket(0, 16 * MIN);
    expect(t.staleBuckets(16 * MIN, 15 * MIN)).toEqual([]);
  });

  it('returns the closest nodes in XOR order', () => {
    const t = new RoutingTable(own, 0, { restrictIps: false });
    for (let i = 0; i < 40; i++) t.add(randomIdWithPrefix(own, i % 20), '1.1.1.1', 1000 + i, 0);
    const target = randomIdWithPrefix(own, 12);
    const c = t.closest(target, 8);
    expect(c).toHaveLength(8);
    for (let i = 1; i < c.length; i++) {
      expect(commonPrefixBits((c[i - 1] as { id: Uint8Array }).id, target)).toBeGreaterThanOrEqual(commonPrefixBits((c[i] as { id: Uint8Array }).id, target) - 0);
    }
  });
});
