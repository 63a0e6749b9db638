// uTP over the in-memory datagram double with loss, reordering and duplication: a 4 MiB transfer each
// way arrives intact and in order, and the connection closes cleanly afterwards.
import { afterEach, describe, expect, it } from 'vitest';
import { UdpDemux } from '../../../src/net/udp-demux.js';
import type { PeerStream } from '../../../src/interfaces/transport.js';
import { createUtpTransport } from '../../../transports/utp/index.js';
import type { UtpTransport } from '../../../transports/utp/index.js';
import { MemoryDatagramNetwork } from '../../helpers/memory-datagram.js';
import { Pattern, Probe, pump, sizesFrom, waitFor } from '../../suites/transport.suite.js';

/** Adds seeded loss, delay (reordering) and duplication to a MemoryDatagramNetwork. */
function makeLossy(net: MemoryDatagramNetwork, seed: number, p: { loss: number; reorder: number; dup: number; maxDelayMs: number }): { stats: { lost: number; delayed: number; duplicated: number }; stop(): void } {
  let x = seed >>> 0 || 1;
  const rnd = (): number => {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x / 0x100000000;
  };
  const passThrough = new WeakSet<Uint8Array>();
  const stats = { lost: 0, delayed: 0, duplicated: 0 };
  const timers = new Set<ReturnType<typeof setTimeout>>();
  net.drop = (d) => {
    if (passThrough.has(d.data)) return false;
    const r = rnd();
    if (r < p.loss) {
      stats.lost++;
      return true;
    }
    if (r < p.loss + p.reorder) {
      stats.delayed++;
      const t = setTimeout(() => {
        timers.delete(t);
        passThrough.add(d.data);
        net.inject(d.data, d.from, d.to);
      }, 1 + Math.floor(rnd() * p.maxDelayMs));
      timers.add(t);
      return true;
    }
    if (r < p.loss + p.reorder + p.dup) {
      stats.duplicated++;
      const copy = d.data.slice();
      passThrough.add(copy);
      queueMicrotask(() => net.inject(copy, d.from, d.to));
    }
    return false;
  };
  return { stats, stop: () => { for (const t of timers) clearTimeout(t); net.drop = undefined; } };
}

const transports: UtpTransport[] = [];
afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
});

async function pair(net: MemoryDatagramNetwork): Promise<{ a: UtpTransport; b: UtpTransport; out: PeerStream; inn: PeerStream }> {
  const a = createUtpTransport({ demux: new UdpDemux(await net.bind({ host: '10.0.0.1' })) });
  const b = createUtpTransport({ demux: new UdpDemux(await net.bind({ host: '10.0.0.2' })) });
  transports.push(a, b);
  let inn: PeerStream | undefined;
  await b.listen((s) => { inn = s; });
  const out = await a.dial({ host: '10.0.0.2', port: b.address.port }, { signal: new AbortController().signal });
  expect(await waitFor(() => inn !== undefined)).toBe(true);
  return { a, b, out, inn: inn as PeerStream };
}

describe('uTP over a lossy, reordering datagram double', () => {
  it('moves 4 MiB each way intact with 5% loss, reordering and duplicates, then closes cleanly', async () => {
    const net = new MemoryDatagramNetwork();
    const { out, inn } = await pair(net);
    const lossy = makeLossy(net, 1234, { loss: 0.05, reorder: 0.1, dup: 0.02, maxDelayMs: 15 });
    try {
      const po = new Probe();
      const pi = new Probe();
      out.setSink(po);
      inn.setSink(pi);
      const total = 4 * 1024 * 1024;
      const checkB = new Pattern(21);
      const checkA = new Pattern(22);
      pi.onData = (c) => checkB.check(c);
      po.onData = (c) => checkA.check(c);
      const sendA = new Pattern(21);
      const sendB = new Pattern(22);
      await Promise.all([pump(out, po, sendA, total, sizesFrom(3, 50_000)), pump(inn, pi, sendB, total, sizesFrom(4, 70_000))]);
      expect(await waitFor(() => pi.received === total && po.received === total, 60_000)).toBe(true);
      expect([checkB.mismatch, checkA.mismatch]).toEqual([-1, -1]);
      expect([checkB.checksum, checkA.checksum]).toEqual([sendA.checksum, sendB.checksum]);
      expect(lossy.stats.lost).toBeGreaterThan(100);
      expect(lossy.stats.delayed).toBeGreaterThan(200);
      await out.close();
      expect(await po.closed).toBeUndefined();
      expect(await pi.closed).toBeUndefined();
    } finally {
      lossy.stop();
    }
  }, 90_000);

  it('a paused reader under loss still gets every byte after resume', async () => {
    const net = new MemoryDatagramNetwork();
    const { out, inn } = await pair(net);
    const lossy = makeLossy(net, 99, { loss: 0.05, reorder: 0.05, dup: 0, maxDelayMs: 5 });
    try {
      const po = new Probe();
      const pi = new Probe(true);
      inn.pause();
      inn.setSink(pi);
      out.setSink(po);
      const send = new Pattern(5);
      for (let i = 0; i < 40; i++) out.write(send.next(64 * 1024)); // 2.5 MiB, more than the 1 MiB window
      await new Promise((r) => setTimeout(r, 300));
      expect(pi.received).toBe(0);
      inn.resume();
      expect(await waitFor(() => pi.received === send.offset, 30_000)).toBe(true);
      const check = new Pattern(5);
      check.check(pi.bytes());
      expect(check.mismatch).toBe(-1);
    } finally {
      lossy.stop();
    }
  }, 60_000);
});
