/**
 * Test wrappers around any {@link StorageAdapter}: inject faults, add latency, or record timings.
 * Each wraps the adapter's `open` and every call of the storages it returns; optional members
 * (`readInto`, `flush`, `move`, `stat`) are present on the wrapper exactly when the wrapped storage has
 * them. A `readInto` counts as a `read` of `out.length` bytes (the hooks see `[piece, offset, length]`).
 */
import type { StorageAdapter, StorageOpenOptions, TorrentLayout, TorrentStorage } from '../../src/interfaces/storage.js';

/** The calls of a {@link TorrentStorage} (plus `open` on the adapter). */
export type StorageOp = 'open' | 'write' | 'read' | 'flush' | 'move' | 'stat' | 'close' | 'destroy';

/** Runs `call` for operation `op`; `args` are the storage call's arguments. */
type Around = <T>(op: StorageOp, args: readonly unknown[], call: () => Promise<T>) => Promise<T>;

function wrapStorage(inner: TorrentStorage, around: Around): TorrentStorage {
  const s: TorrentStorage = {
    write: (piece, offset, data) => around('write', [piece, offset, data], () => inner.write(piece, offset, data)),
    read: (piece, offset, length) => around('read', [piece, offset, length], () => inner.read(piece, offset, length)),
    close: () => around('close', [], () => inner.close()),
    destroy: () => around('destroy', [], () => inner.destroy()),
  };
  const { readInto, flush, move, stat } = inner;
  if (readInto) s.readInto = (piece, offset, out) => around('read', [piece, offset, out.length], () => readInto.call(inner, piece, offset, out));
  if (flush) s.flush = () => around('flush', [], () => flush.call(inner));
  if (move) s.move = (to) => around('move', [to], () => move.call(inner, to));
  if (stat) s.stat = () => around('stat', [], () => stat.call(inner));
  return s;
}

function wrapAdapter(inner: StorageAdapter, around: Around): StorageAdapter {
  return {
    name: inner.name,
    open: async (layout: TorrentLayout, opts?: StorageOpenOptions) =>
      wrapStorage(await around('open', [layout, opts], () => inner.open(layout, opts)), around),
  };
}

/** Fault hooks for {@link faulty}: return an Error to make that call reject with it (the call is not made). */
export interface FaultOptions {
  failWrites?: (piece: number, offset: number, data: Uint8Array) => Error | undefined;
  failReads?: (piece: number, offset: number, length: number) => Error | undefined;
  failFlush?: () => Error | undefined;
  failMove?: (to: string) => Error | undefined;
  failOpen?: (layout: TorrentLayout) => Error | undefined;
}

/**
 * Wraps `adapter` so chosen calls fail with the hooks' errors before reaching it (so a failed write
 * writes nothing). Hooks may keep state, e.g. fail the third write or only while a flag is set.
 */
export function faulty(adapter: StorageAdapter, faults: FaultOptions): StorageAdapter {
  const pick = (op: StorageOp, args: readonly unknown[]): Error | undefined => {
    switch (op) {
      case 'write': return faults.failWrites?.(args[0] as number, args[1] as number, args[2] as Uint8Array);
      case 'read': return faults.failReads?.(args[0] as number, args[1] as number, args[2] as number);
      case 'flush': return faults.failFlush?.();
      case 'move': return faults.failMove?.(args[0] as string);
      case 'open': return faults.failOpen?.(args[0] as TorrentLayout);
      default: return undefined;
    }
  };
  return wrapAdapter(adapter, async (op, args, call) => {
    const err = pick(op, args);
    if (err !== undefined) throw err;
    return call();
  });
}

/** Options for {@link slow}. */
export interface SlowOptions {
  /** Delay before each call, in ms: a number, or a function (e.g. random jitter) called per call. */
  latencyMs: number | ((op: StorageOp) => number);
}

/** Wraps `adapter` so every call (including `open`) waits `latencyMs` before it runs. */
export function slow(adapter: StorageAdapter, opts: SlowOptions): StorageAdapter {
  const delay = typeof opts.latencyMs === 'number' ? (): number => opts.latencyMs as number : opts.latencyMs;
  return wrapAdapter(adapter, async (op, _args, call) => {
    const ms = delay(op);
    if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
    return call();
  });
}

/** Per-operation figures recorded by {@link timing}. */
export interface OpStats {
  /** Calls made (resolved or rejected). */
  calls: number;
  /** Calls that rejected. */
  errors: number;
  /** Bytes written (write) or requested (read). */
  bytes: number;
  /** Sum and maximum of call durations, in ms. */
  totalMs: number;
  maxMs: number;
}

/** A {@link StorageAdapter} that records {@link OpStats} for each operation. */
export interface TimingAdapter extends StorageAdapter {
  readonly stats: Readonly<Record<StorageOp, OpStats>>;
  /** Zeroes the figures. */
  reset(): void;
}

const OPS: readonly StorageOp[] = ['open', 'write', 'read', 'flush', 'move', 'stat', 'close', 'destroy'];

/** Wraps `adapter`, counting calls, errors, bytes and latencies per operation. */
export function timing(adapter: StorageAdapter): TimingAdapter {
  const fresh = (): Record<StorageOp, OpStats> =>
    Object.fromEntries(OPS.map((op) => [op, { calls: 0, errors: 0, bytes: 0, totalMs: 0, maxMs: 0 }])) as Record<StorageOp, OpStats>;
  let stats = fresh();
  const wrapped = wrapAdapter(adapter, async (op, args, call) => {
    const st = stats[op];
    st.calls++;
    if (op === 'write') st.bytes += (args[2] as Uint8Array).length;
    if (op === 'read') st.bytes += Number(args[2]) || 0;
    const t0 = performance.now();
    try {
      return await call();
    } catch (err) {
      st.errors++;
      throw err;
    } finally {
      const ms = performance.now() - t0;
      st.totalMs += ms;
      st.maxMs = Math.max(st.maxMs, ms);
    }
  });
  return {
    name: wrapped.name,
    open: wrapped.open,
    get stats() {
      return stats;
    },
    reset() {
      stats = fresh();
    },
  };
}
