/** A manual clock for announcer tests: time moves only when the test calls `advance`. */
import type { Timers } from '../../../src/tracker/announcer-types.js';

export class ManualTimers implements Timers {
  private t = 1_000_000;
  private seq = 0;
  private readonly queue = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.queue.set(id, { at: this.t + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.queue.delete(handle as number);
  }

  /** Timers still scheduled. */
  get pending(): number {
    return this.queue.size;
  }

  /** Moves time forward by `ms`, firing due timers in order. */
  advance(ms: number): void {
    const target = this.t + ms;
    for (;;) {
      let best: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.queue) if (entry[1].at <= target && (best === undefined || entry[1].at < best[1].at)) best = entry;
      if (best === undefined) break;
      this.queue.delete(best[0]);
      this.t = best[1].at;
      best[1].fn();
    }
    this.t = target;
  }
}
