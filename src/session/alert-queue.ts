/**
 * The session's bounded alert queue (libtorrent's alert_manager).
 *
 * Invariants:
 * - An alert is queued only if its category intersects the mask, or its type is in ALWAYS_POSTED.
 * - At most `limit` alerts are queued; always-posted alerts may use a second `limit` of head-room so
 *   replies to explicit requests survive a flood. Past that, the alert is dropped and its type
 *   remembered; the next consumer sees one `alerts_dropped` alert after the queued ones (libtorrent
 *   appends it to the next pop_alerts batch the same way). Memory stays bounded by 2 × limit.
 * - The notify callback runs (in a microtask, never re-entrantly) when the queue goes from empty to
 *   non-empty, like libtorrent's set_alert_notify.
 * - After close(), nothing is queued, waiters resolve with null and iterators end once drained.
 */
import { createAlert, ALWAYS_POSTED } from './alerts.js';
import type { Alert, AlertType } from './alerts.js';
import { normaliseAlertMask } from './alert-category.js';

type Waiter = () => void;

/** Bounded FIFO of alerts with mask filtering, overflow accounting and waiters. */
export class AlertQueue {
  #items: Alert[] = [];
  #head = 0;
  #mask: number;
  #limit: number;
  #dropped = new Set<string>();
  #waiters = new Set<Waiter>();
  #notify: (() => void) | undefined;
  #closed = false;

  constructor(opts: { mask: number; limit: number }) {
    this.#mask = normaliseAlertMask(opts.mask);
    this.#limit = opts.limit;
  }

  /** Replaces the category mask. */
  setMask(mask: number): void {
    this.#mask = normaliseAlertMask(mask);
  }

  /** The category mask in effect. */
  get mask(): number {
    return this.#mask;
  }

  /** Replaces the size limit; alerts already queued stay. */
  setLimit(limit: number): void {
    this.#limit = limit;
  }

  /** Whether an alert of this type would be queued under the current mask. */
  shouldPost(type: AlertType, category: number): boolean {
    return !this.#closed && (ALWAYS_POSTED.has(type) || (this.#mask & category) !== 0);
  }

  /** Queues `alert` (subject to mask and limit). Returns whether it was queued. */
  post(alert: Alert): boolean {
    if (!this.shouldPost(alert.type, alert.category)) return false;
    const size = this.size;
    const cap = ALWAYS_POSTED.has(alert.type) ? this.#limit * 2 : this.#limit;
    if (size >= cap) {
      this.#dropped.add(alert.type);
      return false;
    }
    this.#items.push(alert);
    if (size === 0 && this.#dropped.size === 0) this.#wake();
    else this.#wakeWaitersOnly();
    return true;
  }

  /** Number of queued alerts (not counting a pending alerts_dropped). */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Whether a pop would return something. */
  get hasPending(): boolean {
    return this.size > 0 || this.#dropped.size > 0;
  }

  /** Removes and returns every queued alert, followed by alerts_dropped if any were lost. */
  popAll(): Alert[] {
    const out = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    const dropped = this.#takeDropped();
    if (dropped) out.push(dropped);
    return out;
  }

  /** Removes and returns the oldest alert, or the pending alerts_dropped once the queue is empty. */
  pop(): Alert | undefined {
    if (this.size > 0) {
      const a = this.#items[this.#head]!;
      this.#head++;
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items = this.#items.slice(this.#head);
        this.#head = 0;
      }
      return a;
    }
    return this.#takeDropped();
  }

  /** The oldest alert without removing it (materialising alerts_dropped if that is all there is). */
  peek(): Alert | undefined {
    if (this.size > 0) return this.#items[this.#head];
    const d = this.#takeDropped();
    if (d) {
      this.#items.push(d);
      return d;
    }
    return undefined;
  }

  /**
   * Resolves with the oldest alert (not removed) as soon as there is one, or null after `ms`
   * milliseconds or when the queue closes. The timer is cleared as soon as the promise settles.
   */
  waitForAlert(ms: number): Promise<Alert | null> {
    const now = this.peek();
    if (now) return Promise.resolve(now);
    if (this.#closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done: Waiter = () => {
        this.#waiters.delete(done);
        if (timer !== undefined) clearTimeout(timer);
        resolve(this.peek() ?? null);
      };
      this.#waiters.add(done);
      timer = setTimeout(done, Math.max(0, ms));
    });
  }

  /** Sets (or clears) the callback run when the queue goes from empty to non-empty. */
  setNotify(fn: (() => void) | undefined): void {
    this.#notify = fn;
  }

  /** Yields alerts as they are posted; ends after close() once the queue is drained. */
  async *iterate(): AsyncGenerator<Alert, void, undefined> {
    for (;;) {
      const a = this.pop();
      if (a) {
        yield a;
        continue;
      }
      if (this.#closed) return;
      await new Promise<void>((resolve) => {
        const w: Waiter = () => {
          this.#waiters.delete(w);
          resolve();
        };
        this.#waiters.add(w);
      });
    }
  }

  /** Stops queueing; pending waiters resolve (with null) and iterators end after draining. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#wakeWaitersOnly();
  }

  /** Whether close() was called. */
  get closed(): boolean {
    return this.#closed;
  }

  #takeDropped(): Alert | undefined {
    if (this.#dropped.size === 0) return undefined;
    const droppedTypes = [...this.#dropped].sort();
    this.#dropped.clear();
    return createAlert('alerts_dropped', { droppedTypes });
  }

  #wake(): void {
    this.#wakeWaitersOnly();
    const fn = this.#notify;
    if (fn) {
      queueMicrotask(() => {
        try {
          fn();
        } catch {
          // A throwing notify callback must not break posting; the alert stays queued.
        }
      });
    }
  }

  #wakeWaitersOnly(): void {
    for (const w of [...this.#waiters]) w();
  }
}
