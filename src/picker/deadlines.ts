/**
 * Time-critical pieces (libtorrent's set_piece_deadline): a small list kept sorted by deadline, earliest
 * first, ties broken by piece index. Streaming sets a handful at a time, so sorted insertion is cheap.
 */
export class DeadlineQueue {
  private readonly order: number[] = [];
  private readonly deadlineOf = new Map<number, number>();

  /** Number of pieces with a deadline. */
  get size(): number {
    return this.order.length;
  }

  /** Pieces in deadline order (earliest first). Do not mutate. */
  get pieces(): readonly number[] {
    return this.order;
  }

  /** The deadline of piece `i` (ms, caller's clock) or undefined. */
  get(i: number): number | undefined {
    return this.deadlineOf.get(i);
  }

  /** Sets or moves the deadline of piece `i`. */
  set(i: number, deadline: number): void {
    if (this.deadlineOf.has(i)) this.delete(i);
    this.deadlineOf.set(i, deadline);
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const p = this.order[mid]!;
      const d = this.deadlineOf.get(p)!;
      if (d < deadline || (d === deadline && p < i)) lo = mid + 1;
      else hi = mid;
    }
    this.order.splice(lo, 0, i);
  }

  /** Removes piece `i`'s deadline; returns whether it had one. */
  delete(i: number): boolean {
    if (!this.deadlineOf.delete(i)) return false;
    const at = this.order.indexOf(i);
    if (at >= 0) this.order.splice(at, 1);
    return true;
  }

  /** Removes every deadline. */
  clear(): void {
    this.order.length = 0;
    this.deadlineOf.clear();
  }
}
