/**
 * Pieces waiting to be started, bucketed by (priority level, availability).
 *
 * Design (see PICKER.md): one array of piece indexes per (priority, availability) pair plus a position map,
 * so that insert, remove and "availability changed by one" are O(1) swaps, and a picker walks buckets from
 * the highest priority and lowest availability, stopping as soon as it has what it needs. A piece entering a
 * bucket is swapped to a random position inside it, so walking a bucket visits ties in random order.
 *
 * Only pieces in state `none` with priority > 0 live here; the picker adds and removes them on state change.
 */

/** Number of download priority levels that are picked (1..7; 0 means "do not download"). */
export const PRIORITY_LEVELS = 7;
/** Highest piece / file priority. */
export const MAX_PRIORITY = 7;

/** Buckets of piece indexes keyed on priority (high first) and availability (low first). */
export class PieceBuckets {
  /** buckets[level][availability]: level 0 holds priority 7, level 6 priority 1. */
  private readonly buckets: number[][][] = [];
  private readonly levelOf: Int8Array;
  private readonly availOf: Int32Array;
  private readonly pos: Int32Array;
  private readonly perLevel = new Int32Array(PRIORITY_LEVELS);
  private readonly zeroAvail = new Int32Array(PRIORITY_LEVELS);
  private count = 0;

  constructor(pieceCount: number, private readonly random: () => number) {
    this.levelOf = new Int8Array(pieceCount).fill(-1);
    this.availOf = new Int32Array(pieceCount);
    this.pos = new Int32Array(pieceCount);
    for (let l = 0; l < PRIORITY_LEVELS; l++) this.buckets.push([[]]);
  }

  /** Pieces held. */
  get size(): number {
    return this.count;
  }

  /** Pieces held with availability 0 (nobody but a seed could have them). */
  get unavailable(): number {
    let n = 0;
    for (let l = 0; l < PRIORITY_LEVELS; l++) n += this.zeroAvail[l]!;
    return n;
  }

  /** True when piece `i` is held. */
  has(i: number): boolean {
    return this.levelOf[i]! >= 0;
  }

  /** Number of pieces held at a level (0 = priority 7). */
  levelSize(level: number): number {
    return this.perLevel[level]!;
  }

  /** Buckets of one level, indexed by availability; entries may be empty. Read-only for callers. */
  level(level: number): readonly (readonly number[])[] {
    return this.buckets[level]!;
  }

  /** Adds piece `i` with `priority` (1..7) and `availability`; no-op when held. */
  insert(i: number, priority: number, availability: number): void {
    if (this.levelOf[i]! >= 0) return;
    const level = MAX_PRIORITY - priority;
    this.place(i, level, availability);
    this.perLevel[level]!++;
    this.count++;
  }

  /** Removes piece `i`; no-op when not held. */
  remove(i: number): void {
    const level = this.levelOf[i]!;
    if (level < 0) return;
    this.unplace(i, level);
    this.levelOf[i] = -1;
    this.perLevel[level]!--;
    this.count--;
  }

  /** Moves a held piece to availability `availability` within its level; no-op when not held. */
  setAvailability(i: number, availability: number): void {
    const level = this.levelOf[i]!;
    if (level < 0 || this.availOf[i] === availability) return;
    this.unplace(i, level);
    this.place(i, level, availability);
  }

  private place(i: number, level: number, avail: number): void {
    const lvl = this.buckets[level]!;
    while (lvl.length <= avail) lvl.push([]);
    const bucket = lvl[avail]!;
    const at = bucket.length;
    bucket.push(i);
    // random position inside the bucket: ties are visited in random order
    const j = Math.floor(this.random() * (at + 1));
    if (j !== at) {
      const other = bucket[j]!;
      bucket[j] = i;
      bucket[at] = other;
      this.pos[other] = at;
    }
    this.pos[i] = j;
    this.levelOf[i] = level;
    this.availOf[i] = avail;
    if (avail === 0) this.zeroAvail[level]!++;
  }

  private unplace(i: number, level: number): void {
    const avail = this.availOf[i]!;
    const bucket = this.buckets[level]![avail]!;
    const p = this.pos[i]!;
    const last = bucket.pop()!;
    if (last !== i) {
      bucket[p] = last;
      this.pos[last] = p;
    }
    if (avail === 0) this.zeroAvail[level]!--;
  }
}
