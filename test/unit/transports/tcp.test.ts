// TCP-specific behaviour beyond the shared suite: addressing, port ranges, writev corking, error mapping.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { isTorrentError } from '../../../src/errors.js';
import type { PeerStream } from '../../../src/interfaces/transport.js';
import { createTcpTransport, mapSocketError, socketToPeerStream } from '../../../transports/tcp/index.js';
import { Probe, waitFor } from '../../suites/transport.suite.js';
import { closedPort } from './tcp-fixture.js';

const never = (): AbortSignal => new AbortController().signal;

async function occupy(host: string, port: number): Promise<net.Server> {
  const s = net.createServer();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(port, host, () => resolve());
  });
  return s;
}
const closeServer = (s: net.Server): Promise<void> => new Promise((resolve) => s.close(() => resolve()));

describe('tcp transport', () => {
  it('canDial accepts IP literals only', () => {
    const t = createTcpTransport();
    expect(t.canDial({ host: '127.0.0.1', port: 6881 })).toBe(true);
    expect(t.canDial({ host: '::1', port: 6881 })).toBe(true);
    expect(t.canDial({ host: '[::1]', port: 6881 })).toBe(true);
    expect(t.canDial({ host: '2001:db8::1', port: 1, transport: 'tcp' })).toBe(true);
    expect(t.canDial({ host: 'example.com', port: 6881 })).toBe(false);
    expect(t.canDial({ host: '127.0.0.1', port: 6881, transport: 'utp' })).toBe(false);
    expect(t.canDial({ host: '127.0.0.1', port: 0 })).toBe(false);
    expect(t.canDial({ host: '127.0.0.1', port: 70000 })).toBe(false);
    expect(t.canDial({ host: '1.2.3', port: 80 })).toBe(false);
  });

  it('rejects dials it cannot make with invalid_argument', async () => {
    const t = createTcpTransport();
    const err: unknown = await t.dial({ host: 'localhost', port: 80 }, { signal: never() }).catch((e: unknown) => e);
    expect(isTorrentError(err, 'invalid_argument')).toBe(true);
    await t.close();
  });

  it('reports the bound port for port 0, on IPv4 and IPv6', async () => {
    for (const host of ['127.0.0.1', '::1']) {
      const t = createTcpTransport({ listenHost: host });
      const l = await t.listen(() => {});
      expect(l.address.host).toBe(host);
      expect(l.address.port).toBeGreaterThan(0);
      expect(l.address.transport).toBe('tcp');
      await t.close();
    }
  });

  it('listens on the first free port of a range and fails with listen_failed when all are taken', async () => {
    const base = await closedPort('127.0.0.1');
    const blocker = await occupy('127.0.0.1', base);
    try {
      const t = createTcpTransport({ listenHost: '127.0.0.1', portRange: [base, base + 20] });
      const l = await t.listen(() => {});
      expect(l.address.port).toBeGreaterThan(base);
      expect(l.address.port).toBeLessThanOrEqual(base + 20);
      await t.close();
      const full = createTcpTransport({ listenHost: '127.0.0.1', portRange: [base, base] });
      const err: unknown = await full.listen(() => {}).catch((e: unknown) => e);
      expect(isTorrentError(err, 'listen_failed')).toBe(true);
      expect((err as { details: Record<string, unknown> }).details.errno).toBe('EADDRINUSE');
      const fixed = createTcpTransport({ listenHost: '127.0.0.1', port: base });
      expect(isTorrentError(await fixed.listen(() => {}).catch((e: unknown) => e), 'listen_failed')).toBe(true);
      await full.close();
      await fixed.close();
    } finally {
      await closeServer(blocker);
    }
  });

  it('listen after close fails with listen_failed; dial after close with connection_failed', async () => {
    const t = createTcpTransport({ listenHost: '127.0.0.1' });
    await t.close();
    expect(isTorrentError(await t.listen(() => {}).catch((e: unknown) => e), 'listen_failed')).toBe(true);
    expect(isTorrentError(await t.dial({ host: '127.0.0.1', port: 9 }, { signal: never() }).catch((e: unknown) => e), 'connection_failed')).toBe(true);
  });

  it('writev corks: header and block views reach one socket write batch without concatenation', async () => {
    const server = net.createServer();
    const got: Buffer[] = [];
    server.on('connection', (s) => s.on('data', (d: Buffer) => got.push(d)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    const stream = socketToPeerStream(socket, 'out', { host: '127.0.0.1', port });
    const seen: Array<{ chunk: unknown; corked: number }> = [];
    const realWrite = socket.write.bind(socket) as (c: Uint8Array) => boolean;
    socket.write = ((chunk: Uint8Array) => {
      seen.push({ chunk, corked: socket.writableCorked });
      return realWrite(chunk);
    }) as typeof socket.write;
    const header = new Uint8Array(13).fill(7);
    const backing = new Uint8Array(16384 + 64).fill(9);
    const block = backing.subarray(32, 32 + 16384);
    const sink = new Probe();
    stream.setSink(sink);
    // 13 + 16384 bytes queued while corked exceed node's 16 KiB high-water mark: false, then a drain.
    const drained = sink.waitDrain(5000);
    expect(stream.writev([header, block])).toBe(false);
    expect(await drained).toBe(true);
    expect(seen.map((s) => s.chunk)).toEqual([header, block]);
    expect(seen[0]?.chunk).toBe(header); // the very objects, not copies
    expect(seen[1]?.chunk).toBe(block);
    expect(seen.every((s) => s.corked === 1)).toBe(true);
    expect(socket.writableCorked).toBe(0);
    expect(await waitFor(() => got.reduce((n, b) => n + b.length, 0) === 13 + 16384)).toBe(true);
    const all = Buffer.concat(got);
    expect(all.subarray(0, 13).every((b) => b === 7)).toBe(true);
    expect(all.subarray(13).every((b) => b === 9)).toBe(true);
    await stream.close();
    await closeServer(server);
  });

  it('a dialed socket reads into one reused buffer; bytes sent before setSink and while paused arrive intact', async () => {
    const size = 3 * 1024 * 1024;
    const pattern = new Uint8Array(size);
    for (let i = 0; i < size; i++) pattern[i] = (i * 7 + (i >> 13)) & 0xff;
    const server = net.createServer((s) => {
      s.on('error', () => {});
      s.end(pattern); // all of it at once, before the dialer has a sink
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const t = createTcpTransport({ readBufferSize: 64 * 1024 });
    const stream = await t.dial({ host: '127.0.0.1', port }, { signal: never() });
    await new Promise((r) => setTimeout(r, 50)); // let bytes arrive while nobody reads
    const sink = new Probe(true);
    const buffers = new Set<ArrayBufferLike>();
    let paused = false;
    sink.onData = (chunk) => {
      expect(paused).toBe(false);
      expect(chunk.length).toBeLessThanOrEqual(64 * 1024);
      buffers.add(chunk.buffer);
      if (sink.received > size / 3 && sink.received < size / 2 && !paused) {
        paused = true;
        stream.pause();
        setTimeout(() => {
          paused = false;
          stream.resume();
        }, 30);
      }
    };
    stream.setSink(sink);
    expect(await sink.closed).toBeUndefined();
    expect(sink.received).toBe(size);
    expect(Buffer.from(sink.bytes()).equals(Buffer.from(pattern))).toBe(true);
    // Parked chunks are copies; everything else is a view of the one read buffer.
    expect(buffers.size).toBeLessThan(6);
    await t.close();
    await closeServer(server);
  });

  it('a reset by the remote reaches the sink as connection_failed', async () => {
    const a = createTcpTransport();
    const b = createTcpTransport({ listenHost: '127.0.0.1' });
    let inbound: PeerStream | undefined;
    const l = await b.listen((s) => (inbound = s));
    const out = await a.dial({ host: '127.0.0.1', port: l.address.port }, { signal: never() });
    const po = new Probe();
    out.setSink(po);
    expect(await waitFor(() => inbound !== undefined)).toBe(true);
    inbound?.setSink(new Probe());
    out.write(new Uint8Array(100_000)); // unread bytes at the remote make its close a reset
    await new Promise((r) => setTimeout(r, 50));
    inbound?.destroy();
    const err = await po.closed;
    expect(isTorrentError(err, 'connection_failed')).toBe(true);
    expect(isTorrentError(err) && err.details.errno).toBe('ECONNRESET');
    await a.close();
    await b.close();
  });

  it('close() gives up after closeTimeoutMs when the remote never reads', async () => {
    const a = createTcpTransport({ closeTimeoutMs: 200 });
    const b = createTcpTransport({ listenHost: '127.0.0.1' });
    let inbound: PeerStream | undefined;
    const l = await b.listen((s) => (inbound = s));
    const out = await a.dial({ host: '127.0.0.1', port: l.address.port }, { signal: never() });
    expect(await waitFor(() => inbound !== undefined)).toBe(true);
    inbound?.pause();
    inbound?.setSink(new Probe());
    const po = new Probe();
    out.setSink(po);
    for (let i = 0; i < 256; i++) out.write(new Uint8Array(64 * 1024)); // 16 MiB: more than loopback buffers hold
    const t0 = Date.now();
    await out.close();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(po.closeCount).toBe(1);
    await a.close();
    await b.close();
  });

  it('maps socket errors to typed errors', () => {
    const addr = { host: '127.0.0.1', port: 1 };
    const errno = (code: string): Error => Object.assign(new Error(code), { code });
    expect(mapSocketError(errno('ECONNREFUSED'), addr).code).toBe('connection_failed');
    expect(mapSocketError(errno('ECONNREFUSED'), addr).details.errno).toBe('ECONNREFUSED');
    expect(mapSocketError(errno('EHOSTUNREACH'), addr).code).toBe('connection_failed');
    expect(mapSocketError(errno('ETIMEDOUT'), addr).code).toBe('timeout');
    expect(mapSocketError(errno('ABORT_ERR'), addr).code).toBe('aborted');
    expect(mapSocketError('weird', addr).code).toBe('connection_failed');
  });
});
