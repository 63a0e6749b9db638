/**
 * The upload side of one connection: a bounded queue of the remote's requests and a bounded number of storage
 * reads in flight, with write backpressure.
 *
 * Invariants:
 * - At most `capacity` (our advertised `reqq`) requests are queued; `enqueue` returns false beyond that, so
 *   memory is bounded whatever the remote sends (HOSTILE-INPUTS 17).
 * - At most `maxReads` reads are in flight. Each uses a preallocated {@link ReadSlot} whose resolve/reject
 *   callbacks are bound once, so serving a block allocates no closure.
 * - While the stream's `write` has returned false, no new read starts (`blocked` until `drain`): storage is
 *   never read faster than the network takes it. Reads already in flight still write when they complete.
 * - A block is written only if its request is still wanted when the read completes: not cancelled, and we
 *   are not choking the peer (unless the piece is allowed fast). Otherwise it is dropped and, with the fast
 *   extension, rejected (BEP 6: every request gets a piece or a reject).
 * - A block read may carry a release handle (../interfaces/block-release.ts): a block we drop is released here; a block
 *   passed to `sendBlock` belongs to the connection and its stream from then on.
 */

import { releaseBlock } from '../interfaces/block-release.js';

/** What the uploader needs from its connection. */
export interface UploadHost {
  /** Starts reading a block from the owner's storage. */
  readBlock(index: number, begin: number, length: number): Promise<Uint8Array>;
  /** Writes a piece message (header + block); returns the stream's `write` result. */
  sendBlock(index: number, begin: number, block: Uint8Array): boolean;
  /** Rejects a request (queues a BEP 6 reject; a no-op without the fast extension). */
  reject(index: number, begin: number, length: number): void;
  /** True while a request for `index` may be served (unchoked, or allowed fast). */
  canServe(index: number): boolean;
  /** A read failed or returned the wrong size. */
  readFailed(index: number, begin: number, length: number, err: unknown): void;
}

/** One read in flight; reused. Its callbacks are bound once, at construction. */
class ReadSlot {
  index = 0;
  begin = 0;
  length = 0;
  cancelled = false;
  busy = false;
  readonly resolve: (block: Uint8Array) => void;
  readonly reject: (err: unknown) => void;

  constructor(owner: Uploader) {
    this.resolve = (block) => owner.readDone(this, block);
    this.reject = (err) => owner.readError(this, err);
  }
}

/** Queue, reads and backpressure for serving one peer. */
export class Uploader {
  readonly #host: UploadHost;
  readonly #capacity: number;
  /** Ring of (index, begin, length) triples. */
  readonly #ring: Uint32Array;
  #head = 0;
  #size = 0;
  readonly #slots: ReadSlot[];
  #reading = 0;
  #blocked = false;
  #closed = false;

  constructor(host: UploadHost, capacity: number, maxReads: number) {
    this.#host = host;
    this.#capacity = capacity;
    this.#ring = new Uint32Array(capacity * 3);
    this.#slots = [];
    for (let i = 0; i < maxReads; i++) this.#slots.push(new ReadSlot(this));
  }

  /** Requests waiting for a read. */
  get queued(): number {
    return this.#size;
  }
  /** True when {@link enqueue} would refuse. */
  get full(): boolean {
    return this.#closed || this.#size >= this.#capacity;
  }
  /** Reads in flight. */
  get reading(): number {
    return this.#reading;
  }
  /** True while waiting for the stream to drain. */
  get blocked(): boolean {
    return this.#blocked;
  }

  /** Queues a request; false when the queue is full (the caller rejects or ignores it). */
  enqueue(index: number, begin: number, length: number): boolean {
    if (this.#closed || this.#size >= this.#capacity) return false;
    const at = ((this.#head + this.#size) % this.#capacity) * 3;
    this.#ring[at] = index;
    this.#ring[at + 1] = begin;
    this.#ring[at + 2] = length;
    this.#size++;
    this.pump();
    return true;
  }

  /**
   * The remote cancelled a request: removed from the queue (true), or marked so an in-flight read is dropped
   * (true). False when no such request is pending.
   */
  cancel(index: number, begin: number, length: number): boolean {
    for (let i = 0; i < this.#size; i++) {
      const at = ((this.#head + i) % this.#capacity) * 3;
      if (this.#ring[at] === index && this.#ring[at + 1] === begin && this.#ring[at + 2] === length) {
        this.#removeAt(i);
        return true;
      }
    }
    for (const s of this.#slots) {
      if (s.busy && !s.cancelled && s.index === index && s.begin === begin && s.length === length) {
        s.cancelled = true;
        return true;
      }
    }
    return false;
  }

  /**
   * We choked the peer: drops every queued request that `keep` does not keep (allowed-fast pieces), calling
   * `dropped` for each (the connection rejects them with the fast extension).
   */
  dropQueued(keep: (index: number) => boolean, dropped: (index: number, begin: number, length: number) => void): void {
    let i = 0;
    while (i < this.#size) {
      const at = ((this.#head + i) % this.#capacity) * 3;
      const index = this.#ring[at]!;
      if (keep(index)) {
        i++;
        continue;
      }
      const begin = this.#ring[at + 1]!;
      const length = this.#ring[at + 2]!;
      this.#removeAt(i);
      dropped(index, begin, length);
    }
  }

  /** A write returned false: start no new read until {@link drain}. */
  block(): void {
    this.#blocked = true;
  }

  /** The stream drained: start reading again. */
  drain(): void {
    this.#blocked = false;
    this.pump();
  }

  /** Stops everything; reads still in flight are ignored when they complete. */
  close(): void {
    this.#closed = true;
    this.#size = 0;
  }

  /** Starts reads while there is room, work, and no backpressure. */
  pump(): void {
    while (!this.#closed && !this.#blocked && this.#size > 0 && this.#reading < this.#slots.length) {
      const at = this.#head * 3;
      const index = this.#ring[at]!;
      const begin = this.#ring[at + 1]!;
      const length = this.#ring[at + 2]!;
      this.#head = (this.#head + 1) % this.#capacity;
      this.#size--;
      if (!this.#host.canServe(index)) {
        this.#host.reject(index, begin, length);
        continue;
      }
      const slot = this.#freeSlot();
      slot.index = index;
      slot.begin = begin;
      slot.length = length;
      slot.cancelled = false;
      slot.busy = true;
      this.#reading++;
      let p: Promise<Uint8Array>;
      try {
        p = this.#host.readBlock(index, begin, length);
      } catch (err) {
        p = Promise.reject(err);
      }
      p.then(slot.resolve, slot.reject);
    }
  }

  /** @internal A read completed. */
  readDone(slot: ReadSlot, block: Uint8Array): void {
    const { index, begin, length } = slot;
    const cancelled = slot.cancelled;
    this.#release(slot);
    if (this.#closed) {
      releaseBlock(block);
      return;
    }
    if (block.length !== length) {
      releaseBlock(block);
      this.#host.readFailed(index, begin, length, new RangeError(`read returned ${block.length} bytes, expected ${length}`));
    } else if (cancelled || !this.#host.canServe(index)) {
      releaseBlock(block);
      this.#host.reject(index, begin, length);
    } else if (!this.#host.sendBlock(index, begin, block)) {
      this.#blocked = true;
    }
    this.pump();
  }

  /** @internal A read failed. */
  readError(slot: ReadSlot, err: unknown): void {
    const { index, begin, length } = slot;
    this.#release(slot);
    if (this.#closed) return;
    this.#host.readFailed(index, begin, length, err);
    this.pump();
  }

  #release(slot: ReadSlot): void {
    slot.busy = false;
    this.#reading--;
  }

  #freeSlot(): ReadSlot {
    for (const s of this.#slots) if (!s.busy) return s;
    throw new Error('uploader: no free read slot'); // unreachable: pump checks #reading
  }

  /** Removes the i-th queued entry, shifting the later ones forward. */
  #removeAt(i: number): void {
    const cap = this.#capacity;
    for (let k = i; k < this.#size - 1; k++) {
      const to = ((this.#head + k) % cap) * 3;
      const from = ((this.#head + k + 1) % cap) * 3;
      this.#ring[to] = this.#ring[from]!;
      this.#ring[to + 1] = this.#ring[from + 1]!;
      this.#ring[to + 2] = this.#ring[from + 2]!;
    }
    this.#size--;
  }
}
