// Smart ban over real hashing (the worker pool): only hosts whose blocks differ from the good data are
// judged bad; an honest host that sent blocks of the same failed piece is not.
import { describe, test, expect, beforeAll, afterAll } from 'vitest';
import { createHashPool } from '../../../src/platform/hash-pool.node.js';
import type { HashPool } from '../../../src/platform/hash-pool.node.js';
import { SmartBan, blockHashes } from '../../../src/torrent/swarm/smart-ban.js';
import { PeerList } from '../../../src/torrent/swarm/peer-list.js';
import { bytes } from '../session/helpers.js';

let pool: HashPool;
beforeAll(() => {
  pool = createHashPool({ threads: 1 });
});
afterAll(async () => {
  await pool.close();
});

describe('SmartBan', () => {
  test('block hashes: one SHA-1 per 16 KiB block, the last may be short', async () => {
    const h = await blockHashes(pool, bytes(16384 * 2 + 5, 1));
    expect(h.length).toBe(60);
  });

  test('bans the host whose block differed, not the honest one in the same piece', async () => {
    const good = bytes(16384 * 4, 7);
    const bad = good.slice();
    bad[16384 * 2 + 10] = bad[16384 * 2 + 10]! ^ 0x55; // block 2 corrupt
    const sb = new SmartBan(pool);
    await sb.recordFailure(3, bad, ['10.0.0.1', '10.0.0.2', '10.0.0.66', '10.0.0.1']);
    expect(sb.has(3)).toBe(true);
    const verdict = await sb.verdict(3, good);
    expect([...verdict]).toEqual(['10.0.0.66']);
    expect(sb.has(3)).toBe(false);
  });

  test('several failed attempts are all judged; unknown senders are skipped', async () => {
    const good = bytes(40_000, 9);
    const a = good.slice();
    a[0] = a[0]! ^ 1;
    const b = good.slice();
    b[39_999] = b[39_999]! ^ 1;
    const sb = new SmartBan(pool);
    await sb.recordFailure(0, a, ['1.1.1.1', '2.2.2.2', undefined]);
    await sb.recordFailure(0, b, ['2.2.2.2', '2.2.2.2', '3.3.3.3']);
    expect([...(await sb.verdict(0, good))].sort()).toEqual(['1.1.1.1', '3.3.3.3']);
  });

  test('a piece that passes without failures bans nobody', async () => {
    const sb = new SmartBan(pool);
    expect((await sb.verdict(5, bytes(100, 1))).size).toBe(0);
  });
});

describe('PeerList back-off', () => {
  const limits = { maxSize: 3, minReconnectMs: 2000, maxFailcount: 3 };
  test('a failing address waits longer after each failure and is dropped after maxFailcount', () => {
    const l = new PeerList(() => limits);
    const e = l.add({ host: '10.0.0.1', port: 1 })!;
    expect(l.candidates(0, 10)).toEqual([e]);
    e.connected = true;
    expect(l.candidates(0, 10)).toEqual([]);
    l.failed(e, 0);
    expect(l.candidates(1999, 10)).toEqual([]);
    expect(l.candidates(2000, 10)).toEqual([e]);
    l.failed(e, 2000);
    expect(l.candidates(5999, 10)).toEqual([]);
    expect(l.candidates(6000, 10)).toEqual([e]);
    l.failed(e, 6000);
    expect(l.size).toBe(0);
  });

  test('success resets failures; the list is bounded; resetBackoff and removeHost', () => {
    const l = new PeerList(() => limits);
    const a = l.add({ host: '10.0.0.1', port: 1 })!;
    l.failed(a, 0);
    l.succeeded(a);
    expect(a.fails).toBe(0);
    l.add({ host: '10.0.0.2', port: 1 });
    l.add({ host: '10.0.0.3', port: 1 });
    l.add({ host: '10.0.0.4', port: 1 });
    expect(l.size).toBe(3);
    const d = l.get({ host: '10.0.0.4', port: 1 })!;
    l.disconnected(d, 0);
    expect(l.candidates(0, 10)).not.toContain(d);
    l.resetBackoff();
    expect(l.candidates(0, 10)).toContain(d);
    l.removeHost('10.0.0.4');
    expect(l.get({ host: '10.0.0.4', port: 1 })).toBeUndefined();
  });
});
