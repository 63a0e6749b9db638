// Memory-transport specifics beyond the shared suite: exact backpressure, asynchrony, copies, fault injection.
import { describe, expect, it } from 'vitest';
import { isTorrentError } from '../../../src/errors.js';
import { createMemoryTransport, memoryStreamPair, MemoryNetwork } from '../../../transports/memory/index.js';
import { Probe, waitFor } from '../../suites/transport.suite.js';

const never = (): AbortSignal => new AbortController().signal;

describe('memoryStreamPair', () => {
  it('delivers asynchronously, never inside write', async () => {
    const { a, b } = memoryStreamPair();
    expect([a.direction, b.direction]).toEqual(['out', 'in']);
    const pb = new Probe(true);
    b.setSink(pb);
    a.setSink(new Probe());
    a.write(new Uint8Array([1, 2, 3]));
    expect(pb.received).toBe(0);
    await Promise.resolve();
    await Promise.resolve();
    expect(pb.received).toBe(0); // not a microtask either
    expect(await waitFor(() => pb.received === 3)).toBe(true);
    a.destroy();
  });

  it('returns false at the high-water mark and drains once below it', async () => {
    const { a, b } = memoryStreamPair({ highWaterMark: 1000 });
    const pa = new Probe();
    a.setSink(pa);
    expect(a.write(new Uint8Array(600))).toBe(true);
    expect(a.bufferedAmount).toBe(600);
    expect(a.write(new Uint8Array(600))).toBe(false);
    expect(a.bufferedAmount).toBe(1200);
    const drained = pa.waitDrain(1000);
    b.setSink(new Probe());
    expect(await drained).toBe(true);
    expect(a.bufferedAmount).toBe(0);
    expect(pa.drains).toBe(1);
    a.destroy();
  });

  it('copies on write, so the writer may reuse its buffer', async () => {
    const { a, b } = memoryStreamPair();
    const pb = new Probe(true);
    b.setSink(pb);
    const buf = new Uint8Array([1, 2, 3, 4]);
    a.write(buf);
    a.writev?.([buf.subarray(0, 2), buf.subarray(2)]);
    buf.fill(0);
    expect(await waitFor(() => pb.received === 8)).toBe(true);
    expect(Array.from(pb.bytes())).toEqual([1, 2, 3, 4, 1, 2, 3, 4]);
    a.destroy();
  });

  it('close() before any sink on the remote still completes', async () => {
    const { a, b } = memoryStreamPair();
    a.write(new Uint8Array(10));
    b.write(new Uint8Array(10));
    await Promise.all([a.close(), b.close()]);
    const late = new Probe();
    a.setSink(late);
    expect(await late.closed).toBeUndefined();
  });

  it('adds latency', async () => {
    const { a, b } = memoryStreamPair({ latencyMs: 60 });
    const pb = new Probe();
    b.setSink(pb);
    const t0 = performance.now();
    a.write(new Uint8Array(10));
    expect(await waitFor(() => pb.received === 10)).toBe(true);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(55);
    a.destroy();
  });

  it('caps bandwidth', async () => {
    const { a, b } = memoryStreamPair({ bytesPerSecond: 1_000_000, highWaterMark: 64 * 1024 });
    const pb = new Probe();
    const pa = new Probe();
    b.setSink(pb);
    a.setSink(pa);
    const t0 = performance.now();
    let sent = 0;
    while (sent < 250_000) {
      sent += 10_000;
      if (!a.write(new Uint8Array(10_000))) expect(await pa.waitDrain(5000)).toBe(true);
    }
    expect(await waitFor(() => pb.received === 250_000)).toBe(true);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(230);
    a.destroy();
  });

  it('splits deliveries at maxChunkSize', async () => {
    const { a, b } = memoryStreamPair({ maxChunkSize: 7 });
    const sizes: number[] = [];
    const pb = new Probe(true);
    pb.onData = (c) => sizes.push(c.byteLength);
    b.setSink(pb);
    const data = Uint8Array.from({ length: 100 }, (_, i) => i);
    a.write(data);
    expect(await waitFor(() => pb.received === 100)).toBe(true);
    expect(Math.max(...sizes)).toBe(7);
    expect(Array.from(pb.bytes())).toEqual(Array.from(data));
    a.destroy();
  });

  it('drops the link after resetAfterBytes', async () => {
    const { a, b } = memoryStreamPair({ resetAfterBytes: 1000, maxChunkSize: 100 });
    const pa = new Probe();
    const pb = new Probe();
    a.setSink(pa);
    b.setSink(pb);
    a.write(new Uint8Array(5000));
    const [ea, eb] = await Promise.all([pa.closed, pb.closed]);
    expect(isTorrentError(ea, 'connection_failed')).toBe(true);
    expect(isTorrentError(eb, 'connection_failed')).toBe(true);
    expect(pb.received).toBe(1000);
    expect(a.write(new Uint8Array(1))).toBe(false);
  });
});

describe('memory transport', () => {
  it('gives IP-like hosts, refuses a taken fixed port, and reports remotes', async () => {
    const net = new MemoryNetwork();
    const a = createMemoryTransport(net);
    const b = createMemoryTransport(net, { host: '192.0.2.7', port: 6881 });
    expect(a.host).toMatch(/^10\.77\.\d+\.\d+$/);
    const accepted: string[] = [];
    const l = await b.listen((s) => accepted.push(`${s.remote.host}`));
    expect(l.address).toEqual({ host: '192.0.2.7', port: 6881, transport: 'memory' });
    expect(isTorrentError(await b.listen(() => {}).catch((e: unknown) => e), 'listen_failed')).toBe(true);
    const s = await a.dial({ host: '192.0.2.7', port: 6881 }, { signal: never() });
    expect(s.remote).toEqual({ host: '192.0.2.7', port: 6881, transport: 'memory' });
    expect(accepted).toEqual([a.host]);
    expect(a.canDial({ host: '192.0.2.7', port: 6881 })).toBe(true);
    expect(a.canDial({ host: '192.0.2.7', port: 6881, transport: 'tcp' })).toBe(false);
    await a.close();
    await b.close();
  });

  it('applies network-wide link options to dialed connections', async () => {
    const net = new MemoryNetwork({ maxChunkSize: 3 });
    const a = createMemoryTransport(net);
    const b = createMemoryTransport(net);
    const sizes: number[] = [];
    const l = await b.listen((s) => {
      const p = new Probe();
      p.onData = (c) => sizes.push(c.byteLength);
      s.setSink(p);
    });
    const s = await a.dial(l.address, { signal: never() });
    s.write(new Uint8Array(10));
    expect(await waitFor(() => sizes.length === 4)).toBe(true);
    expect(sizes).toEqual([3, 3, 3, 1]);
    await a.close();
    await b.close();
  });
});
