/**
 * Lifecycle gate for one open storage: counts calls in flight, rejects new calls with `storage_closed`
 * once closed, and lets `close`/`destroy` wait for calls already running. `exclusive` runs a task (move)
 * once in-flight calls have drained, holding new calls back until it is done.
 */
import { closedError } from './layout.js';

/** See the module note. */
export class OpGate {
  private inflight = 0;
  private closed = false;
  private drained: Array<() => void> = [];
  private barrier: Promise<void> | undefined;

  constructor(private readonly id: string) {}

  /** True once {@link shutdown} has been called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Runs `fn` as one storage call; rejects with `storage_closed` if the storage is (or gets) closed first. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    while (this.barrier !== undefined && !this.closed) await this.barrier.catch(() => undefined);
    if (this.closed) throw closedError(this.id);
    this.inflight++;
    try {
      return await fn();
    } finally {
      this.inflight--;
      if (this.inflight === 0) for (const resolve of this.drained.splice(0)) resolve();
    }
  }

  /** Waits for running calls to finish, then runs `fn` with new calls held back. */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.barrier !== undefined) await this.barrier.catch(() => undefined);
    if (this.closed) throw closedError(this.id);
    const task = (async () => {
      await this.drain();
      return fn();
    })();
    const barrier = task.then(() => undefined, () => undefined);
    this.barrier = barrier;
    try {
      return await task;
    } finally {
      if (this.barrier === barrier) this.barrier = undefined;
    }
  }

  /**
   * Marks the storage closed and waits for running calls. Returns false if it was already closed
   * (so close/destroy are idempotent).
   */
  async shutdown(): Promise<boolean> {
    if (this.closed) return false;
    this.closed = true;
    if (this.barrier !== undefined) await this.barrier;
    await this.drain();
    return true;
  }

  private drain(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }
}
