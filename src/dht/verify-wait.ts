/**
 * Getting a full reply from a node that trimmed its first one.
 *
 * HOSTILE-INPUTS case 27 makes every node answer a source it has not verified with no more bytes
 * than that source's query, so the first find_node / get_peers reply from a node that never heard
 * from us carries one node or none — a lookup fed only such replies converges on the wrong part of
 * the id space. The trimming node pings us right after answering (that is how it verifies us); once
 * we have answered that ping, it answers in full. A lookup that receives a reply that may have been
 * trimmed (no larger than its query, fewer than K nodes) therefore waits briefly for that ping and
 * asks once more. Against nodes that never trim (libtorrent's) the condition does not hold and
 * nothing changes.
 */
import { ipKey } from './addr.js';
import type { TimerSet } from './clock.js';
import type { PeerAddress } from '../interfaces/transport.js';

const keyOf = (a: PeerAddress): string => `${ipKey(a.host)}|${a.port}`;

/** Waiters for "we answered a ping from this address", and the recent such answers. */
export class PingWaiters {
  private readonly waiting = new Map<string, Set<(ok: boolean) => void>>();
  /** Address → when we last answered its ping (insertion-ordered, bounded). */
  private readonly recent = new Map<string, number>();

  constructor(
    private readonly timers: TimerSet,
    private readonly now: () => number,
    /** Bound on addresses waited for, and remembered, at once. */
    private readonly max = 256,
  ) {}

  /**
   * Resolves true once we have answered a ping from `from` sent at or after `since` (at once if that
   * already happened: the ping may overtake the reply's handling), or false after `ms`.
   */
  wait(from: PeerAddress, since: number, ms: number): Promise<boolean> {
    const key = keyOf(from);
    const last = this.recent.get(key);
    if (last !== undefined && last >= since) return Promise.resolve(true);
    let set = this.waiting.get(key);
    if (!set) {
      if (this.waiting.size >= this.max) return Promise.resolve(false);
      set = new Set();
      this.waiting.set(key, set);
    }
    const waiters = set;
    return new Promise<boolean>((resolve) => {
      const done = (ok: boolean): void => {
        cancel();
        waiters.delete(done);
        if (waiters.size === 0 && this.waiting.get(key) === waiters) this.waiting.delete(key);
        resolve(ok);
      };
      const cancel = this.timers.after(ms, () => done(false));
      waiters.add(done);
    });
  }

  /** Our answer to a ping from `from` has been sent. */
  answered(from: PeerAddress): void {
    const key = keyOf(from);
    this.recent.delete(key);
    this.recent.set(key, this.now());
    if (this.recent.size > this.max) this.recent.delete(this.recent.keys().next().value as string);
    const set = this.waiting.get(key);
    if (set) for (const wake of [...set]) wake(true);
  }

  /** Ends every wait with false (the node is closing). */
  close(): void {
    for (const set of [...this.waiting.values()]) for (const wake of [...set]) wake(false);
    this.recent.clear();
  }

  /** Addresses currently waited for. */
  get size(): number {
    return this.waiting.size;
  }
}

/** True when a reply may have been cut to its query's size by an amplification guard. */
export function mayBeTrimmed(reply: { querySize: number; replySize: number }, nodes: number, k: number): boolean {
  return nodes < k && reply.replySize > 0 && reply.replySize <= reply.querySize;
}
