// Two LSD instances on real Node sockets. Multicast on the loopback interface works in this sandbox
// (membership and sending through interface 127.0.0.1, multicast loopback on), so the first test goes through
// the real group; the second uses the unicast test hook (same sockets and code path, datagrams sent to
// 127.0.0.1:<port>) for machines where multicast is unavailable.
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { startLsd } from '../../../transports/lsd/index.js';
import type { NodeLsd } from '../../../transports/lsd/index.js';

const IH = 'c0ffee'.padEnd(40, '0');
const OTHER = 'beef'.padEnd(40, '1');

async function freePort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function resources(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1;
  return out;
}

const open: NodeLsd[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((l) => l.close()));
});

function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const t = setInterval(() => {
      if (cond()) {
        clearInterval(t);
        resolve();
      } else if (Date.now() - start > ms) {
        clearInterval(t);
        reject(new Error('timed out'));
      }
    }, 10);
  });
}

describe('LSD on real sockets', () => {
  it('two instances find each other through the IPv4 multicast group on loopback, and ignore their own echoes', async () => {
    const before = resources();
    const lsdPort = await freePort();
    const found: Record<string, { ih: string; host: string; port: number }[]> = { a: [], b: [] };
    const errors: Error[] = [];
    const mk = async (name: 'a' | 'b', listenPort: number) => {
      const l = await startLsd({
        listenPort,
        lsdPort,
        interfaceV4: '127.0.0.1',
        tickMs: 20,
        onPeer: (ih, p) => found[name]!.push({ ih, ...p }),
        onError: (e) => errors.push(e),
      });
      open.push(l);
      return l;
    };
    const a = await mk('a', 40001);
    const b = await mk('b', 40002);
    expect(a.families).toEqual([4]);
    b.addTorrent(IH);
    a.addTorrent(OTHER); // b does not know it: never reported to b
    a.addTorrent(IH);
    await waitFor(() => found.a!.length > 0 && found.b!.length > 0);
    expect(found.a![0]).toEqual({ ih: IH, host: '127.0.0.1', port: 40002 });
    expect(found.b![0]).toEqual({ ih: IH, host: '127.0.0.1', port: 40001 });
    expect([...found.a!, ...found.b!].every((f) => f.ih === IH)).toBe(true);
    // each heard its own datagrams too (multicast loopback) and dropped them by cookie
    expect(found.a!.some((f) => f.port === 40001)).toBe(false);
    expect(errors).toEqual([]);
    await a.close();
    await b.close();
    open.length = 0;
    const after = resources();
    expect(after.UDPWrap ?? 0).toBe(before.UDPWrap ?? 0);
    expect(after.Timeout ?? 0).toBeLessThanOrEqual(before.Timeout ?? 0);
  });

  it('unicast test hook: same code path, datagrams sent to 127.0.0.1:<port>', async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const got: string[] = [];
    const a = await startLsd({ listenPort: 5001, lsdPort: pa, target: { host: '127.0.0.1', port: pb }, tickMs: 20, onPeer: () => {} });
    const b = await startLsd({ listenPort: 5002, lsdPort: pb, target: { host: '127.0.0.1', port: pa }, tickMs: 20, onPeer: (ih, p) => got.push(`${ih}@${p.host}:${p.port}`) });
    open.push(a, b);
    b.addTorrent(IH);
    a.addTorrent(IH);
    await waitFor(() => got.length > 0);
    expect(got[0]).toBe(`${IH}@127.0.0.1:5001`);
  });

  it('enabled: false opens no socket and starts no timer', async () => {
    const before = resources();
    const l = await startLsd({ enabled: false, listenPort: 1, onPeer: () => {} });
    l.addTorrent(IH);
    expect(l.enabled).toBe(false);
    expect(l.announceNow(IH)).toBe(false);
    expect(resources()).toEqual(before);
    await l.close();
  });
});
