/**
 * A map from an ordered key space [0, max] (IPv4 as number, IPv6 as bigint) to access flags, kept the way
 * libtorrent's ip_filter keeps it: a sorted list of range *starts*, each with a flag; range i covers
 * [starts[i], starts[i+1] - 1] and the last one runs to `max`.
 *
 * Invariants (hold after every flush):
 * - starts[0] === 0, starts is strictly increasing, starts.length === flags.length ≥ 1;
 * - neighbouring ranges have different flags (the table is coalesced), so the representation is canonical:
 *   two tables that answer every lookup alike are equal element by element.
 *
 * Writes are batched. `add()` only records the rule; the next read (lookup / export / size) folds all pending
 * rules in with one sweep, so importing n rules into a table of m ranges costs O(m + n log n) rather than
 * n splices of O(m) each. The sweep visits every boundary point in order and keeps a max-heap of the rules
 * covering the current point keyed by insertion order; the newest covering rule wins, which is exactly
 * "later rules override the overlapping parts of earlier ones". Where no rule covers a point, the previous
 * table's flag stands.
 */

/** Arithmetic the table needs on its key type. */
export interface KeyOps<T extends number | bigint> {
  readonly zero: T;
  readonly max: T;
  next(x: T): T;
  prev(x: T): T;
  /** Sorts ascending and removes duplicates (may reorder or reuse the input array). */
  sortUnique(points: T[]): T[];
  /** Indexes of `keys` in ascending key order (ties in any order). */
  order(keys: readonly T[]): Uint32Array;
}

/** Generic comparator sort of indexes by key. */
function orderByCompare<T extends number | bigint>(keys: readonly T[]): Uint32Array {
  const order = new Uint32Array(keys.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => {
    const x = keys[a] as T;
    const y = keys[b] as T;
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/** Rule indexes packed below the key in one double: 2^21 slots, so uint32 keys keep the total under 2^53. */
const INDEX_SPAN = 2 ** 21;

/** One exported range with its flags. */
export interface KeyRange<T> {
  readonly first: T;
  readonly last: T;
  readonly flags: number;
}

/** Key operations for IPv4 (uint32 in a number). */
export const ipv4Ops: KeyOps<number> = {
  zero: 0,
  max: 0xffff_ffff,
  next: (x) => x + 1,
  prev: (x) => x - 1,
  sortUnique(points) {
    const sorted = Float64Array.from(points).sort(); // typed-array sort is numeric and native
    const out: number[] = [];
    let last = -1;
    for (const v of sorted) {
      if (v !== last) out.push(v);
      last = v;
    }
    return out;
  },
  order(keys) {
    // uint32 key × 2^21 + index stays below 2^53, so one native numeric sort of packed doubles orders
    // the rules without a comparator callback (several times faster for big lists).
    const n = keys.length;
    if (n >= INDEX_SPAN) return orderByCompare(keys);
    const packed = new Float64Array(n);
    for (let i = 0; i < n; i++) packed[i] = (keys[i] as number) * INDEX_SPAN + i;
    packed.sort();
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = (packed[i] as number) % INDEX_SPAN;
    return order;
  },
};

/** Key operations for IPv6 (128-bit bigint). */
export const ipv6Ops: KeyOps<bigint> = {
  zero: 0n,
  max: (1n << 128n) - 1n,
  next: (x) => x + 1n,
  prev: (x) => x - 1n,
  sortUnique(points) {
    points.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const out: bigint[] = [];
    for (const v of points) if (out.length === 0 || out[out.length - 1] !== v) out.push(v);
    return out;
  },
  order: orderByCompare,
};

/** Sorted, non-overlapping ranges with flags over [0, ops.max]; see the module notes. */
export class RangeTable<T extends number | bigint> {
  private starts: T[];
  private flags: number[];
  private pendingFirst: T[] = [];
  private pendingLast: T[] = [];
  private pendingFlags: number[] = [];

  constructor(private readonly ops: KeyOps<T>) {
    this.starts = [ops.zero];
    this.flags = [0];
  }

  /** Records "set [first, last] to flags"; callers have checked first ≤ last ≤ max. */
  add(first: T, last: T, flags: number): void {
    this.pendingFirst.push(first);
    this.pendingLast.push(last);
    this.pendingFlags.push(flags);
  }

  /** Number of rules recorded but not yet folded in. */
  get pendingCount(): number {
    return this.pendingFlags.length;
  }

  /** The flags of the range holding `key`. Binary search: O(log m). */
  lookup(key: T): number {
    if (this.pendingFlags.length > 0) this.flush();
    const starts = this.starts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((starts[mid] as T) <= key) lo = mid;
      else hi = mid - 1;
    }
    return this.flags[lo] as number;
  }

  /** Number of ranges (after folding pending rules in). */
  get size(): number {
    if (this.pendingFlags.length > 0) this.flush();
    return this.starts.length;
  }

  /** All ranges covering [0, max] in order, like libtorrent's export_filter (flag-0 ranges included). */
  export(): KeyRange<T>[] {
    if (this.pendingFlags.length > 0) this.flush();
    const out: KeyRange<T>[] = [];
    const n = this.starts.length;
    for (let i = 0; i < n; i++) {
      const first = this.starts[i] as T;
      const last = i + 1 < n ? this.ops.prev(this.starts[i + 1] as T) : this.ops.max;
      out.push({ first, last, flags: this.flags[i] as number });
    }
    return out;
  }

  /** Resets to one range [0, max] with flags 0 and drops pending rules. */
  clear(): void {
    this.starts = [this.ops.zero];
    this.flags = [0];
    this.pendingFirst = [];
    this.pendingLast = [];
    this.pendingFlags = [];
  }

  /** A deep copy (pending rules are folded in first). */
  clone(): RangeTable<T> {
    if (this.pendingFlags.length > 0) this.flush();
    const copy = new RangeTable(this.ops);
    copy.starts = this.starts.slice();
    copy.flags = this.flags.slice();
    return copy;
  }

  /** Folds every pending rule into the table with one sweep (see the module notes). */
  private flush(): void {
    const { ops } = this;
    const firsts = this.pendingFirst;
    const lasts = this.pendingLast;
    const ruleFlags = this.pendingFlags;
    const n = ruleFlags.length;
    this.pendingFirst = [];
    this.pendingLast = [];
    this.pendingFlags = [];

    // Rules in order of their first key.
    const order = ops.order(firsts);

    // Every point where the answer may change: the old starts (already sorted) merged with the rules' edges.
    const edges: T[] = [];
    for (let i = 0; i < n; i++) {
      edges.push(firsts[i] as T);
      const last = lasts[i] as T;
      if (last < ops.max) edges.push(ops.next(last));
    }
    const points = mergeUnique(this.starts, ops.sortUnique(edges));

    // Max-heap of rule indices (newest rule on top); expired rules are dropped lazily when they surface.
    const heap = new Int32Array(n);
    let heapSize = 0;
    const push = (rule: number): void => {
      let i = heapSize++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if ((heap[parent] as number) >= rule) break;
        heap[i] = heap[parent] as number;
        i = parent;
      }
      heap[i] = rule;
    };
    const pop = (): void => {
      const moved = heap[--heapSize] as number;
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= heapSize) break;
        if (child + 1 < heapSize && (heap[child + 1] as number) > (heap[child] as number)) child++;
        if ((heap[child] as number) <= moved) break;
        heap[i] = heap[child] as number;
        i = child;
      }
      heap[i] = moved;
    };

    const oldStarts = this.starts;
    const oldFlags = this.flags;
    const newStarts: T[] = [];
    const newFlags: number[] = [];
    let next = 0;
    let base = 0;
    for (const p of points) {
      while (next < n && (firsts[order[next] as number] as T) <= p) push(order[next++] as number);
      while (heapSize > 0 && (lasts[heap[0] as number] as T) < p) pop();
      while (base + 1 < oldStarts.length && (oldStarts[base + 1] as T) <= p) base++;
      const flag = heapSize > 0 ? (ruleFlags[heap[0] as number] as number) : (oldFlags[base] as number);
      if (newFlags.length === 0 || newFlags[newFlags.length - 1] !== flag) {
        newStarts.push(p);
        newFlags.push(flag);
      }
    }
    this.starts = newStarts;
    this.flags = newFlags;
  }
}

/** Merges two ascending, duplicate-free arrays into one ascending, duplicate-free array. */
function mergeUnique<T extends number | bigint>(a: readonly T[], b: readonly T[]): T[] {
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let v: T;
    if (j >= b.length || (i < a.length && (a[i] as T) < (b[j] as T))) v = a[i++] as T;
    else if (i >= a.length || (b[j] as T) < (a[i] as T)) v = b[j++] as T;
    else {
      v = a[i++] as T;
      j++;
    }
    out.push(v);
  }
  return out;
}
