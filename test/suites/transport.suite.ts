/**
 * The shared Transport / PeerStream suite. Every transport runs it with a few lines of setup, in every
 * runtime it supports (see test/unit/transports/*.test.ts). Runtime-neutral: no node:* imports; the
 * handle/timer leak check runs only where `process.getActiveResourcesInfo` exists (Node).
 */
import { describe, expect, it } from 'vitest';
import { isTorrentError } from '../../src/errors.js';
import type { Listener, PeerAddress, PeerStream, StreamSink, Transport } from '../../src/interfaces/transport.js';

/** What one implementation hands the suite for one test. */
export interface TransportFixture {
  /** The dialing side. */
  a: Transport;
  /** The listening side (must implement `listen`). */
  b: Transport;
  /** The address `a` dials to reach `listener` (e.g. loopback for a wildcard bind). */
  addressOf(listener: Listener): PeerAddress;
  /** An address where nothing listens: a dial there is refused. */
  closedAddress(): Promise<PeerAddress>;
  /** An address where a dial gets no answer at all, until it times out. */
  blackhole(): Promise<{ address: PeerAddress; close(): Promise<void> }>;
  /** Closes everything the fixture made (idempotent with the tests' own closes). */
  cleanup(): Promise<void>;
}

/** Per-implementation limits. */
export interface TransportSuiteOptions {
  /** Whether pausing the reader holds the remote writer back (false for WebRTC: data channels park data instead). */
  remoteBackpressure?: boolean;
  /** Bytes moved each way in the large-transfer test. Default 32 MiB. */
  largeBytes?: number;
  /** Upper bound on bytes a backpressure-obeying writer gets accepted while the peer is paused (kernel buffers included). */
  maxAcceptedWhilePaused: number;
  /** Upper bound on `bufferedAmount` (when the stream reports it) for such a writer. */
  maxBufferedAmount: number;
  /** Concurrent connections in the many-connections test. Default 48. */
  connections?: number;
}

/** The connect timeout every fixture must give its dialing transport. */
export const SUITE_CONNECT_TIMEOUT_MS = 400;

// ---- helpers ---------------------------------------------------------------------------------------------

/** A sink that records what a stream delivers. */
export class Probe implements StreamSink {
  received = 0;
  closeCount = 0;
  closeErr: Error | undefined;
  dataAfterClose = false;
  drains = 0;
  onData: ((chunk: Uint8Array) => void) | undefined;
  readonly closed: Promise<Error | undefined>;
  readonly #keep: boolean;
  readonly #chunks: Uint8Array[] = [];
  #drainWaiters: Array<() => void> = [];
  #resolveClosed!: (err: Error | undefined) => void;

  constructor(keep = false) {
    this.#keep = keep;
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
  }
  data(chunk: Uint8Array): void {
    if (this.closeCount > 0) this.dataAfterClose = true;
    this.received += chunk.byteLength;
    if (this.#keep) this.#chunks.push(chunk.slice());
    this.onData?.(chunk);
  }
  drain(): void {
    this.drains++;
    const w = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const f of w) f();
  }
  close(err?: Error): void {
    this.closeCount++;
    this.closeErr = err;
    this.#resolveClosed(err);
  }
  /** Resolves true on the next drain, false after `ms`. */
  waitDrain(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.#drainWaiters = this.#drainWaiters.filter((f) => f !== done);
        resolve(false);
      }, ms);
      const done = (): void => {
        clearTimeout(t);
        resolve(true);
      };
      this.#drainWaiters.push(done);
    });
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.received);
    let at = 0;
    for (const c of this.#chunks) {
      out.set(c, at);
      at += c.byteLength;
    }
    return out;
  }
}

/** A deterministic byte stream (xorshift32): the sender draws from it, the receiver checks against it. */
export class Pattern {
  #x: number;
  #word = 0;
  #left = 0;
  /** FNV-1a over every byte produced or checked. */
  checksum = 0x811c9dc5;
  /** Offset of the first mismatching byte seen by `check`, or -1. */
  mismatch = -1;
  offset = 0;
  constructor(seed: number) {
    this.#x = seed >>> 0 || 1;
  }
  #byte(): number {
    if (this.#left === 0) {
      let x = this.#x;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      this.#x = x >>> 0;
      this.#word = this.#x;
      this.#left = 4;
    }
    const b = this.#word & 255;
    this.#word >>>= 8;
    this.#left--;
    return b;
  }
  next(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let h = this.checksum;
    for (let i = 0; i < n; i++) {
      const b = this.#byte();
      out[i] = b;
      h = Math.imul(h ^ b, 0x01000193);
    }
    this.checksum = h >>> 0;
    this.offset += n;
    return out;
  }
  check(chunk: Uint8Array): void {
    let h = this.checksum;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i] as number;
      if (b !== this.#byte() && this.mismatch < 0) this.mismatch = this.offset + i;
      h = Math.imul(h ^ b, 0x01000193);
    }
    this.checksum = h >>> 0;
    this.offset += chunk.length;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 5 ms until true or `ms` passed; returns the last value. */
export async function waitFor(cond: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await sleep(5);
  }
  return true;
}

/** Writes `total` pattern bytes in chunk sizes drawn from `sizes`, obeying backpressure. */
export async function pump(s: PeerStream, probe: Probe, pattern: Pattern, total: number, sizes: () => number): Promise<number> {
  let falses = 0;
  while (pattern.offset < total) {
    const n = Math.min(sizes(), total - pattern.offset);
    if (!s.write(pattern.next(n))) {
      falses++;
      if (!(await probe.waitDrain(10_000))) throw new Error(`no drain after ${pattern.offset} bytes`);
    }
  }
  return falses;
}

/** A small seeded PRNG for chunk sizes. */
export function sizesFrom(seed: number, max: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return 1 + (x % max);
  };
}

const WATCHED = ['TCPSocketWrap', 'TCPServerWrap', 'Timeout'];
interface ProcessLike {
  getActiveResourcesInfo?: () => string[];
}
const proc = (globalThis as { process?: ProcessLike }).process;

function resourceCounts(): Map<string, number> | undefined {
  if (typeof proc?.getActiveResourcesInfo !== 'function') return undefined;
  const m = new Map<string, number>();
  for (const r of proc.getActiveResourcesInfo()) if (WATCHED.includes(r)) m.set(r, (m.get(r) ?? 0) + 1);
  return m;
}

async function expectNoNewResources(before: Map<string, number> | undefined): Promise<void> {
  if (before === undefined) return;
  const extra = (): string[] => {
    const now = resourceCounts() ?? new Map<string, number>();
    return WATCHED.filter((k) => (now.get(k) ?? 0) > (before.get(k) ?? 0)).map((k) => `${k}: ${before.get(k) ?? 0} -> ${now.get(k) ?? 0}`);
  };
  await waitFor(() => extra().length === 0, 300); // shorter than any timer the suite arms, so a stray one is seen
  expect(extra()).toEqual([]);
}

// ---- the suite -------------------------------------------------------------------------------------------

/**
 * Registers the shared transport tests under `describe(name)`. `setup` is called once per test with the
 * connect timeout the dialing transport must use.
 */
export function transportSuite(
  name: string,
  setup: (opts: { connectTimeoutMs: number }) => Promise<TransportFixture>,
  options: TransportSuiteOptions,
): void {
  const large = options.largeBytes ?? 32 * 1024 * 1024;
  const never = (): AbortSignal => new AbortController().signal;

  /** Runs `body` with a fresh fixture, cleans up, then checks no sockets, servers or timers were left. */
  const withFixture = (body: (f: TransportFixture) => Promise<void>) => async (): Promise<void> => {
    const before = resourceCounts();
    const f = await setup({ connectTimeoutMs: SUITE_CONNECT_TIMEOUT_MS });
    try {
      await body(f);
    } finally {
      await f.cleanup();
    }
    await expectNoNewResources(before);
  };

  interface Conn {
    listener: Listener;
    out: PeerStream;
    inn: PeerStream;
    accepted: PeerStream[];
  }
  /** Listens on b, dials from a, and returns both ends of one connection. */
  const connect = async (f: TransportFixture): Promise<Conn> => {
    const accepted: PeerStream[] = [];
    if (f.b.listen === undefined) throw new Error('fixture b must listen');
    const listener = await f.b.listen((s) => accepted.push(s));
    const out = await f.a.dial(f.addressOf(listener), { signal: never() });
    expect(await waitFor(() => accepted.length > 0)).toBe(true);
    return { listener, out, inn: accepted[0] as PeerStream, accepted };
  };

  describe(`transport suite: ${name}`, () => {
    it('listens, dials and exchanges bytes both ways in order', withFixture(async (f) => {
      const { listener, out, inn } = await connect(f);
      expect(out.direction).toBe('out');
      expect(inn.direction).toBe('in');
      const dialed = f.addressOf(listener);
      expect(out.remote.port).toBe(dialed.port);
      expect(typeof inn.remote.host).toBe('string');
      const po = new Probe(true);
      const pi = new Probe(true);
      out.setSink(po);
      inn.setSink(pi);
      const enc = new TextEncoder();
      for (const w of ['hel', 'lo ', 'world']) expect(typeof out.write(enc.encode(w))).toBe('boolean');
      inn.write(enc.encode('pong'));
      expect(await waitFor(() => pi.received === 11 && po.received === 4)).toBe(true);
      expect(new TextDecoder().decode(pi.bytes())).toBe('hello world');
      expect(new TextDecoder().decode(po.bytes())).toBe('pong');
    }));

    it(`moves ${large >> 20} MiB each way in random chunk sizes, intact and in order`, withFixture(async (f) => {
      const { out, inn } = await connect(f);
      const po = new Probe();
      const pi = new Probe();
      out.setSink(po);
      inn.setSink(pi);
      const checkAtB = new Pattern(7);
      const checkAtA = new Pattern(11);
      pi.onData = (c) => checkAtB.check(c);
      po.onData = (c) => checkAtA.check(c);
      const sendA = new Pattern(7);
      const sendB = new Pattern(11);
      await Promise.all([
        pump(out, po, sendA, large, sizesFrom(1, 256 * 1024)),
        pump(inn, pi, sendB, large, sizesFrom(2, 100 * 1024)),
      ]);
      expect(await waitFor(() => pi.received >= large && po.received >= large, 20_000)).toBe(true);
      expect(pi.received).toBe(large);
      expect(po.received).toBe(large);
      expect(checkAtB.mismatch).toBe(-1);
      expect(checkAtA.mismatch).toBe(-1);
      expect(checkAtB.checksum).toBe(sendA.checksum);
      expect(checkAtA.checksum).toBe(sendB.checksum);
    }), 60_000);

    it.skipIf(options.remoteBackpressure === false)('applies backpressure while the peer is paused and drains after resume, with bounded memory', withFixture(async (f) => {
      const { out, inn } = await connect(f);
      const po = new Probe();
      const pi = new Probe();
      inn.pause();
      inn.setSink(pi);
      out.setSink(po);
      const send = new Pattern(3);
      const check = new Pattern(3);
      pi.onData = (c) => check.check(c);
      const chunk = 64 * 1024;
      let stalled = false;
      while (send.offset <= options.maxAcceptedWhilePaused) {
        if (!out.write(send.next(chunk))) {
          if (out.bufferedAmount !== undefined) expect(out.bufferedAmount).toBeLessThanOrEqual(options.maxBufferedAmount);
          if (!(await po.waitDrain(300))) {
            stalled = true;
            break;
          }
        }
      }
      expect(stalled).toBe(true);
      expect(send.offset).toBeLessThanOrEqual(options.maxAcceptedWhilePaused);
      expect(pi.received).toBe(0);
      const drained = po.waitDrain(10_000);
      inn.resume();
      expect(await drained).toBe(true);
      expect(await waitFor(() => pi.received === send.offset, 10_000)).toBe(true);
      expect(check.mismatch).toBe(-1);
    }));

    it('pause stops data callbacks until resume', withFixture(async (f) => {
      const { out, inn } = await connect(f);
      const po = new Probe();
      const pi = new Probe();
      out.setSink(po);
      inn.setSink(pi);
      const check = new Pattern(5);
      let dataWhilePaused = 0;
      let paused = false;
      let pausedOnce = false;
      pi.onData = (c) => {
        if (paused) dataWhilePaused++;
        check.check(c);
        if (!pausedOnce && pi.received > 100_000) {
          paused = pausedOnce = true;
          inn.pause();
        }
      };
      const total = 2 * 1024 * 1024;
      const sending = pump(out, po, new Pattern(5), total, () => 16 * 1024);
      expect(await waitFor(() => paused)).toBe(true);
      const atPause = pi.received;
      await sleep(150);
      expect(pi.received).toBe(atPause);
      paused = false;
      inn.resume();
      await sending;
      expect(await waitFor(() => pi.received === total, 10_000)).toBe(true);
      expect(dataWhilePaused).toBe(0);
      expect(check.mismatch).toBe(-1);
    }));

    it('writev sends header and block views together, in order', withFixture(async (f) => {
      const { out, inn } = await connect(f);
      if (out.writev === undefined) return;
      const po = new Probe();
      const pi = new Probe();
      out.setSink(po);
      inn.setSink(pi);
      const send = new Pattern(9);
      const check = new Pattern(9);
      pi.onData = (c) => check.check(c);
      const rounds = 300;
      for (let i = 0; i < rounds; i++) {
        const header = send.next(13);
        const big = new Uint8Array(16384 + 100);
        big.set(send.next(16384), 50);
        const ok = out.writev([header, big.subarray(50, 50 + 16384)]);
        if (i % 7 === 0) out.write(send.next(5));
        if (!ok && !(await po.waitDrain(10_000))) throw new Error('no drain');
      }
      expect(await waitFor(() => pi.received === send.offset, 10_000)).toBe(true);
      expect(check.mismatch).toBe(-1);
      expect(check.checksum).toBe(send.checksum);
    }));

    it('close() flushes queued bytes, then both sinks close once', withFixture(async (f) => {
      const { out, inn } = await connect(f);
      const po = new Probe();
      const pi = new Probe();
      out.setSink(po);
      inn.setSink(pi);
      const send = new Pattern(13);
      const check = new Pattern(13);
      pi.onData = (c) => check.check(c);
      const total = 4 * 1024 * 1024;
      while (send.offset < total) out.write(send.next(64 * 1024)); // ignore backpressure: all queued
      const closing = out.close();
      expect(out.close()).toBe(closing);
      expect(out.write(new Uint8Array(10))).toBe(false);
      await closing;
      expect(await pi.closed).toBeUndefined();
      expect(await po.closed).toBeUndefined();
      expect(pi.received).toBe(total);
      expect(check.mismatch).toBe(-1);
      await sleep(50);
      expect([po.closeCount, pi.closeCount]).toEqual([1, 1]);
      expect(po.dataAfterClose || pi.dataAfterClose).toBe(false);
      await inn.close(); // already closed: resolves at once
    }));

    it('close() from the accepting side ends both', withFixture(async (f) => {
      const { out, inn } = await connect(f);
      const po = new Probe(true);
      const pi = new Probe();
      out.setSink(po);
      inn.setSink(pi);
      inn.write(new Uint8Array([1, 2, 3]));
      await inn.close();
      expect(await po.closed).toBeUndefined();
      expect(Array.from(po.bytes())).toEqual([1, 2, 3]);
      expect(pi.closeCount).toBe(1);
    }));

    it('destroy(err) ends at once; the remote sees close', withFixture(async (f) => {
      const { out, inn } = await connect(f);
      const po = new Probe();
      const pi = new Probe();
      out.setSink(po);
      inn.setSink(pi);
      for (let i = 0; i < 32; i++) out.write(new Uint8Array(64 * 1024));
      const boom = new Error('boom');
      out.destroy(boom);
      expect(out.write(new Uint8Array(1))).toBe(false);
      expect(await po.closed).toBe(boom);
      await pi.closed;
      await sleep(50);
      expect([po.closeCount, pi.closeCount]).toEqual([1, 1]);
      expect(po.dataAfterClose || pi.dataAfterClose).toBe(false);
      out.destroy(); // idempotent
      await out.close();
    }));

    it('destroy() without an error closes the local sink without one', withFixture(async (f) => {
      const { out, inn } = await connect(f);
      const po = new Probe();
      const pi = new Probe();
      out.setSink(po);
      inn.setSink(pi);
      inn.destroy();
      expect(await pi.closed).toBeUndefined();
      await po.closed;
      expect(po.closeCount).toBe(1);
    }));

    it('a sink set after the stream ended still gets close', withFixture(async (f) => {
      const { out, inn } = await connect(f);
      inn.destroy();
      const late = new Probe();
      await sleep(50);
      out.setSink(late);
      await late.closed;
      expect(late.closeCount).toBe(1);
    }));

    it('dial to a closed port rejects with connection_failed', withFixture(async (f) => {
      const err: unknown = await f.a.dial(await f.closedAddress(), { signal: never() }).catch((e: unknown) => e);
      expect(isTorrentError(err, 'connection_failed')).toBe(true);
    }));

    it('dial aborted by its AbortSignal rejects with aborted and leaves nothing open', withFixture(async (f) => {
      const pre = new AbortController();
      pre.abort();
      const e1: unknown = await f.a.dial(await f.closedAddress(), { signal: pre.signal }).catch((e: unknown) => e);
      expect(isTorrentError(e1, 'aborted')).toBe(true);
      const hole = await f.blackhole();
      try {
        const ac = new AbortController();
        const dialing = f.a.dial(hole.address, { signal: ac.signal }).catch((e: unknown) => e);
        await sleep(30);
        const t0 = Date.now();
        ac.abort();
        const e2 = await dialing;
        expect(isTorrentError(e2, 'aborted')).toBe(true);
        expect(Date.now() - t0).toBeLessThan(200);
      } finally {
        await hole.close();
      }
    }));

    it('aborting after the dial resolved does not touch the stream', withFixture(async (f) => {
      const accepted: PeerStream[] = [];
      const listener = await (f.b.listen as NonNullable<Transport['listen']>)((s) => accepted.push(s));
      const ac = new AbortController();
      const out = await f.a.dial(f.addressOf(listener), { signal: ac.signal });
      ac.abort();
      expect(await waitFor(() => accepted.length === 1)).toBe(true);
      const pi = new Probe();
      (accepted[0] as PeerStream).setSink(pi);
      out.setSink(new Probe());
      out.write(new Uint8Array(100));
      expect(await waitFor(() => pi.received === 100)).toBe(true);
      expect(pi.closeCount).toBe(0);
    }));

    it('dial times out with timeout', withFixture(async (f) => {
      const hole = await f.blackhole();
      try {
        const t0 = Date.now();
        const err: unknown = await f.a.dial(hole.address, { signal: never() }).catch((e: unknown) => e);
        const took = Date.now() - t0;
        expect(isTorrentError(err, 'timeout')).toBe(true);
        expect(took).toBeGreaterThanOrEqual(SUITE_CONNECT_TIMEOUT_MS - 50);
        expect(took).toBeLessThan(SUITE_CONNECT_TIMEOUT_MS + 3000);
      } finally {
        await hole.close();
      }
    }));

    it('handles many concurrent connections', withFixture(async (f) => {
      const n = options.connections ?? 48;
      const inbound: Probe[] = [];
      const listener = await (f.b.listen as NonNullable<Transport['listen']>)((s) => {
        const p = new Probe();
        p.onData = (c) => s.write(c.slice()); // echo (a view is only valid during the callback)
        inbound.push(p);
        s.setSink(p);
      });
      const addr = f.addressOf(listener);
      const outs = await Promise.all(Array.from({ length: n }, () => f.a.dial(addr, { signal: never() })));
      const probes = outs.map((s, i) => {
        const p = new Probe(true);
        s.setSink(p);
        s.write(new Pattern(100 + i).next(32 * 1024));
        return p;
      });
      expect(await waitFor(() => probes.every((p) => p.received === 32 * 1024), 20_000)).toBe(true);
      probes.forEach((p, i) => {
        const c = new Pattern(100 + i);
        c.check(p.bytes());
        expect(c.mismatch).toBe(-1);
      });
      await Promise.all(outs.map((s) => s.close()));
      expect(await waitFor(() => inbound.length === n && inbound.every((p) => p.closeCount === 1))).toBe(true);
    }), 60_000);

    it('listener.close() stops accepting; accepted streams stay open', withFixture(async (f) => {
      const { listener, out, inn } = await connect(f);
      const addr = f.addressOf(listener);
      await listener.close();
      const err: unknown = await f.a.dial(addr, { signal: never() }).catch((e: unknown) => e);
      expect(isTorrentError(err, 'connection_failed')).toBe(true);
      const pi = new Probe();
      inn.setSink(pi);
      out.setSink(new Probe());
      out.write(new Uint8Array(1000));
      expect(await waitFor(() => pi.received === 1000)).toBe(true);
      expect(pi.closeCount).toBe(0);
    }));

    it('transport.close() closes every listener, stream and pending dial it made', withFixture(async (f) => {
      const { out, accepted } = await connect(f);
      const more = [await f.a.dial(f.addressOf((await f.b.listen?.(() => {})) as Listener), { signal: never() })];
      const outs = [out, ...more];
      const probesOut = outs.map((s) => {
        const p = new Probe();
        s.setSink(p);
        return p;
      });
      const probesIn = accepted.map((s) => {
        const p = new Probe();
        s.setSink(p);
        return p;
      });
      const hole = await f.blackhole();
      try {
        const pending = f.a.dial(hole.address, { signal: never() }).catch((e: unknown) => e);
        await sleep(20);
        await f.a.close();
        expect(isTorrentError(await pending, 'aborted')).toBe(true);
        for (const p of probesOut) await p.closed;
        for (const p of probesIn) await p.closed;
        const after: unknown = await f.a.dial(hole.address, { signal: never() }).catch((e: unknown) => e);
        expect(isTorrentError(after)).toBe(true);
        await f.a.close(); // idempotent
      } finally {
        await hole.close();
      }
    }));
  });
}
