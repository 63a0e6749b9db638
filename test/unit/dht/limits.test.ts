import { describe, expect, it } from 'vitest';
import { ByteBucket, PerIpLimiter } from '../../../src/dht/rate-limit.js';
import { TokenManager } from '../../../src/dht/tokens.js';
import { PeerStore } from '../../../src/dht/peer-store.js';

describe('tokens', () => {
  it('are bound to the IP and survive exactly one rotation', async () => {
    const tm = new TokenManager();
    const t = await tm.issue('1.2.3.4');
    expect(t).toHaveLength(8);
    expect(await tm.verify(t, '1.2.3.4')).toBe(true);
    expect(await tm.verify(t, '1.2.3.5')).toBe(false);
    tm.rotate();
    expect(await tm.verify(t, '1.2.3.4')).toBe(true);
    tm.rotate();
    expect(await tm.verify(t, '1.2.3.4')).toBe(false);
    expect(await tm.verify(new Uint8Array(3), '1.2.3.4')).toBe(false);
  });
});

describe('PerIpLimiter (case 26)', () => {
  it('blocks an IP sending more than ten seconds of the rate at once, for the block time, and not others', () => {
    const l = new PerIpLimiter(5, 60_000);
    let ok = 0;
    for (let i = 0; i < 80; i++) if (l.allow('6.6.6.6', 1000 + i)) ok++;
    expect(ok).toBe(50);
    expect(l.isBlocked('6.6.6.6', 1100)).toBe(true);
    expect(l.allow('6.6.6.6', 30_000)).toBe(false); // still blocked although the bucket refilled
    expect(l.allow('7.7.7.7', 1100)).toBe(true);
    expect(l.allow('6.6.6.6', 62_000)).toBe(true);
  });

  it('allows a steady 5/s and bursts of several nodes behind one address, blocks a sustained 6/s', () => {
    const l = new PerIpLimiter(5, 60_000);
    for (let i = 0; i < 100; i++) expect(l.allow('1.1.1.1', i * 200)).toBe(true);
    // three nodes bootstrapping at once: 15 queries in 100 ms
    for (let i = 0; i < 15; i++) expect(l.allow('2.2.2.2', i * 7)).toBe(true);
    let t = 0;
    let first = -1;
    for (let i = 0; i < 600 && first < 0; i++, t += 1000 / 6) if (!l.allow('3.3.3.3', t)) first = t;
    expect(first).toBeGreaterThan(40_000); // 50 tokens drained at 1/s net: blocked after ~50 s
    expect(first).toBeLessThan(60_000);
  });

  it('bounds its table and prunes idle entries', () => {
    const l = new PerIpLimiter(5, 60_000, 100);
    for (let i = 0; i < 100; i++) l.allow(`10.0.0.${i}`, 0);
    expect(l.allow('10.0.1.1', 0)).toBe(false); // full, nothing idle: fail closed
    expect(l.allow('10.0.1.1', 100)).toBe(false); // buckets not yet full again: still tracked
    expect(l.allow('10.0.1.1', 5000)).toBe(true); // idle entries (full buckets) pruned
    expect(l.size).toBeLessThanOrEqual(100);
  });
});

describe('ByteBucket', () => {
  it('caps bytes per second', () => {
    const b = new ByteBucket(1000, 0);
    expect(b.take(600, 0)).toBe(true);
    expect(b.take(600, 0)).toBe(false);
    expect(b.take(600, 500)).toBe(true);
    expect(new ByteBucket(0, 0).take(1e9, 0)).toBe(true);
  });
});

describe('PeerStore', () => {
  it('bounds torrents and peers, expires after 30 minutes', () => {
    const s = new PeerStore({ maxTorrents: 2, maxPeers: 3, expiryMs: 30 * 60_000 });
    for (let i = 0; i < 5; i++) s.add('a', `1.1.1.${i}`, 1, 0);
    expect(s.get('a', 100, 0).map((p) => p.host).sort()).toEqual(['1.1.1.2', '1.1.1.3', '1.1.1.4']);
    s.add('b', '2.2.2.2', 1, 0);
    s.add('c', '3.3.3.3', 1, 0); // evicts the torrent with the fewest peers ('b')
    expect(s.counts().torrents).toBe(2);
    expect(s.get('b', 10, 0)).toHaveLength(0);
    expect(s.get('a', 2, 0)).toHaveLength(2);
    expect(s.get('a', 10, 30 * 60_000)).toHaveLength(0);
    s.add('c', '3.3.3.3', 1, 20 * 60_000); // re-announce refreshes
    s.prune(31 * 60_000);
    expect(s.counts()).toEqual({ torrents: 1, peers: 1 });
  });
});
