// Loopback throughput of 1 GiB through two TCP PeerStreams (write, and writev of 13-byte header + 16 KiB
// block as the wire layer sends pieces) against raw net sockets, measured in the same run.
// Run: npx tsx test/bench/tcp-transport.bench.ts   (or register it in test/bench/run.ts)
import net from 'node:net';
import type { PeerStream } from '../../src/interfaces/transport.js';
import { createTcpTransport } from '../../transports/tcp/index.js';

let TOTAL = 1024 * 1024 * 1024;
const CHUNK = 64 * 1024;

async function rawSockets(): Promise<number> {
  let received = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const server = net.createServer((s) => {
    s.on('data', (d: Buffer) => {
      received += d.length;
      if (received >= TOTAL) done();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  client.setNoDelay(true);
  await new Promise<void>((r) => client.once('connect', r));
  const buf = new Uint8Array(CHUNK).fill(1);
  const t0 = performance.now();
  for (let sent = 0; sent < TOTAL; sent += CHUNK) {
    if (!client.write(buf)) await new Promise<void>((r) => client.once('drain', r));
  }
  await finished;
  const ms = performance.now() - t0;
  client.destroy();
  await new Promise<void>((r) => server.close(() => r()));
  return ms;
}

async function peerStreams(mode: 'write' | 'writev', highWaterMark?: number): Promise<number> {
  const a = createTcpTransport({ highWaterMark });
  const b = createTcpTransport({ listenHost: '127.0.0.1', highWaterMark });
  let received = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const listener = await b.listen((s) => {
    s.setSink({
      data: (c) => {
        received += c.byteLength;
        if (received >= TOTAL) done();
      },
      drain: () => {},
      close: () => {},
    });
  });
  const out: PeerStream = await a.dial({ host: '127.0.0.1', port: listener.address.port }, { signal: new AbortController().signal });
  let wake: (() => void) | undefined;
  out.setSink({ data: () => {}, drain: () => wake?.(), close: () => {} });
  const waitDrain = (): Promise<void> => new Promise((r) => (wake = r));
  const buf = new Uint8Array(CHUNK).fill(1);
  const header = new Uint8Array(13).fill(2);
  const block = new Uint8Array(16384 + 13).fill(3).subarray(13);
  const t0 = performance.now();
  if (mode === 'write') {
    for (let sent = 0; sent < TOTAL; sent += CHUNK) if (!out.write(buf)) await waitDrain();
  } else {
    const per = 13 + 16384;
    for (let sent = 0; sent < TOTAL; sent += per) if (!(out.writev as NonNullable<PeerStream['writev']>)([header, block])) await waitDrain();
  }
  await finished;
  const ms = performance.now() - t0;
  await a.close();
  await b.close();
  return ms;
}

/** Prints MB/s for raw sockets and for PeerStreams (write and writev) and their ratios (best of 2 rounds, after a warm-up). */
export async function run(): Promise<void> {
  const mbps = (ms: number): string => ((TOTAL / 1e6) / (ms / 1000)).toFixed(0);
  const full = TOTAL;
  TOTAL = 64 * 1024 * 1024; // warm-up: JIT and socket buffers
  await rawSockets();
  await peerStreams('write');
  await peerStreams('writev');
  TOTAL = full;
  let raw = Infinity;
  let ps = Infinity;
  let psv = Infinity;
  let psv256 = Infinity;
  for (let round = 0; round < 2; round++) {
    raw = Math.min(raw, await rawSockets());
    ps = Math.min(ps, await peerStreams('write'));
    psv = Math.min(psv, await peerStreams('writev'));
    psv256 = Math.min(psv256, await peerStreams('writev', 256 * 1024));
  }
  console.log(`1 GiB over loopback, best of 2:`);
  console.log(`raw net sockets, 64 KiB writes:     ${mbps(raw)} MB/s`);
  console.log(`PeerStream write, 64 KiB:           ${mbps(ps)} MB/s  (${(raw / ps).toFixed(2)}x raw)`);
  console.log(`PeerStream writev, 13 B + 16 KiB:   ${mbps(psv)} MB/s  (${(raw / psv).toFixed(2)}x raw)`);
  console.log(`  same, highWaterMark 256 KiB:      ${mbps(psv256)} MB/s  (${(raw / psv256).toFixed(2)}x raw)`);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
