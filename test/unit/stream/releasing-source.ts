// A StreamSource test double over an in-memory torrent: pieces are "verified" only when the test
// releases them (as a swarm would deliver them), and every deadline call is recorded, so the
// stream layer's waiting and deadline policy can be checked step by step.
import { TorrentError } from '../../../src/errors.js';
import type { StreamSource } from '../../../src/stream/source.js';

export interface SourceCall { op: 'set' | 'reset'; piece: number; ms?: number }

export class ReleasingSource implements StreamSource {
  readonly pieceLength: number;
  readonly fileOffset: number;
  readonly fileLength: number;
  readonly filePath: string;
  readonly data: Uint8Array;
  readonly pieceCount: number;
  /** Live deadlines: piece → ms given. */
  readonly deadlines = new Map<number, number>();
  readonly calls: SourceCall[] = [];
  readonly reads: number[] = [];
  rate = 0;
  readonly #have = new Set<number>();
  readonly #waiters = new Map<number, Set<() => void>>();

  constructor(opts: { data: Uint8Array; pieceLength: number; fileOffset?: number; fileLength?: number; filePath?: string; have?: 'all' | Iterable<number> }) {
    this.data = opts.data;
    this.pieceLength = opts.pieceLength;
    this.fileOffset = opts.fileOffset ?? 0;
    this.fileLength = opts.fileLength ?? opts.data.length - this.fileOffset;
    this.filePath = opts.filePath ?? 'test/file.bin';
    this.pieceCount = Math.ceil(opts.data.length / opts.pieceLength);
    const have = opts.have === 'all' ? Array.from({ length: this.pieceCount }, (_, i) => i) : [...(opts.have ?? [])];
    for (const p of have) this.#have.add(p);
  }

  /** Bytes of the file (what a reader must yield). */
  file(): Uint8Array {
    return this.data.subarray(this.fileOffset, this.fileOffset + this.fileLength);
  }

  /** Number of waitForPiece calls still pending. */
  get waiting(): number {
    let n = 0;
    for (const s of this.#waiters.values()) n += s.size;
    return n;
  }

  #check(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.pieceCount) throw new TorrentError('invalid_argument', `piece ${i} out of range`);
  }

  havePiece(i: number): boolean {
    this.#check(i);
    return this.#have.has(i);
  }

  readPiece(i: number): Promise<Uint8Array> {
    this.#check(i);
    if (!this.#have.has(i)) return Promise.reject(new TorrentError('invalid_argument', `piece ${i} is not verified`));
    this.reads.push(i);
    const start = i * this.pieceLength;
    // A fresh copy, as storage returns: the reader must not rely on shared memory.
    return Promise.resolve(this.data.slice(start, Math.min(this.data.length, start + this.pieceLength)));
  }

  setPieceDeadline(i: number, ms: number): void {
    this.#check(i);
    if (!Number.isInteger(ms) || ms < 0) throw new TorrentError('invalid_argument', `bad deadline ${ms}`);
    this.deadlines.set(i, ms);
    this.calls.push({ op: 'set', piece: i, ms });
  }

  resetPieceDeadline(i: number): void {
    this.#check(i);
    this.deadlines.delete(i);
    this.calls.push({ op: 'reset', piece: i });
  }

  waitForPiece(i: number, signal?: AbortSignal): Promise<void> {
    this.#check(i);
    if (this.#have.has(i)) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(new TorrentError('aborted', 'aborted'));
    return new Promise((resolve, reject) => {
      let set = this.#waiters.get(i);
      if (!set) this.#waiters.set(i, (set = new Set()));
      const s = set;
      const done = (): void => {
        s.delete(done);
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        s.delete(done);
        reject(new TorrentError('aborted', 'aborted'));
      };
      s.add(done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  downloadRate(): number {
    return this.rate;
  }

  /** Marks piece i verified (a swarm would also drop its deadline) and wakes its waiters. */
  release(i: number): void {
    this.#check(i);
    this.#have.add(i);
    this.deadlines.delete(i);
    const s = this.#waiters.get(i);
    this.#waiters.delete(i);
    for (const fn of s ?? []) fn();
  }
}

/** Deterministic pseudo-random bytes (xorshift32). */
export function prng(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Lets pending promise callbacks run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}
