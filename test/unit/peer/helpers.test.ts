import { describe, expect, it } from 'vitest';
import { ipBytes, resolvePeerSettings, tickInterval } from '../../../src/peer/index.js';
import { RequestBook } from '../../../src/peer/request-book.js';
import { RemotePieces } from '../../../src/peer/remote-pieces.js';

describe('peer helpers', () => {
  it('ipBytes parses v4 / v6 literals for yourip and refuses names', () => {
    expect([...ipBytes('192.168.1.20')!]).toEqual([192, 168, 1, 20]);
    expect([...ipBytes('[::1]')!]).toEqual([...new Array(15).fill(0), 1]);
    expect([...ipBytes('2001:db8::ff:1')!].slice(0, 4)).toEqual([0x20, 0x01, 0x0d, 0xb8]);
    expect([...ipBytes('::ffff:10.0.0.1')!].slice(10)).toEqual([0xff, 0xff, 10, 0, 0, 1]);
    for (const bad of ['memory-a', '256.1.1.1', '1.2.3', '1::2::3', 'fe80::g']) expect(ipBytes(bad)).toBeUndefined();
  });

  it('settings are validated and the tick follows the shortest timer', () => {
    expect(() => resolvePeerSettings({ maxRequestQueue: 0 })).toThrow(/maxRequestQueue/);
    expect(() => resolvePeerSettings({ listenPort: 70000 })).toThrow(/listenPort/);
    const s = resolvePeerSettings({ peerTimeoutMs: 200 });
    expect(s.maxRequestQueue).toBe(250);
    expect(tickInterval(s)).toBe(50);
    expect(tickInterval(resolvePeerSettings())).toBe(1000);
  });

  it('RequestBook matches answers to requests, counts live ones, trims cancelled ones', () => {
    const b = new RequestBook();
    expect(b.add(1, 0, 16384)).toBe(true);
    expect(b.add(1, 0, 16384)).toBe(false);
    b.add(1, 16384, 100);
    expect(b.live).toBe(2);
    expect(b.take(1, 16384, 99)).toBe(false);
    b.markCancelled(1, 16384);
    expect(b.live).toBe(1);
    expect(b.take(1, 16384, 100)).toBe(true); // late data after cancel
    for (let i = 0; i < 10; i++) {
      b.add(2, i * 16384, 16384);
      b.markCancelled(2, i * 16384);
    }
    b.trimCancelled(3);
    expect(b.take(2, 0, 16384)).toBe(false); // oldest trimmed
    expect(b.take(2, 9 * 16384, 16384)).toBe(true);
  });

  it('RemotePieces grows with haves before the piece count and checks them after', () => {
    const r = new RemotePieces(undefined);
    expect(r.have(20)).toBe(true);
    expect(r.have(20)).toBe(false);
    expect(typeof r.have(5_000_000)).toBe('string');
    expect(r.setPieceCount(30)).toBeUndefined();
    expect(r.has(20) && !r.has(21)).toBe(true);
    const s = new RemotePieces(undefined);
    s.have(40);
    expect(s.setPieceCount(30)).toMatch(/claims piece 40/);
  });
});
