/**
 * Time source for the DHT. Injected so unit tests drive timers by hand; {@link systemClock} is the
 * default. Every timer the DHT creates goes through a {@link TimerSet} so `close()` can clear them all.
 */

/** Opaque timer handle. */
export type TimerHandle = unknown;

/** Milliseconds clock plus one-shot timers. */
export interface DhtClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock (`Date.now` and global timers). */
export const systemClock: DhtClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof globalThis.setTimeout>),
};

/** Tracks live timers of one owner so they can all be cleared at once. */
export class TimerSet {
  private readonly live = new Set<{ h: TimerHandle }>();
  constructor(private readonly clock: DhtClock) {}

  /** Schedules `fn` once; returns a cancel function. */
  after(ms: number, fn: () => void): () => void {
    const slot: { h: TimerHandle } = { h: undefined };
    slot.h = this.clock.setTimeout(() => {
      this.live.delete(slot);
      fn();
    }, ms);
    this.live.add(slot);
    return () => {
      if (this.live.delete(slot)) this.clock.clearTimeout(slot.h);
    };
  }

  /** Number of pending timers (tests assert 0 after close). */
  get size(): number {
    return this.live.size;
  }

  /** Clears every pending timer. */
  clear(): void {
    for (const s of this.live) this.clock.clearTimeout(s.h);
    this.live.clear();
  }
}
