/**
 * The receive-side reorder buffer: packets that arrived ahead of the next expected sequence number
 * wait here until the gap fills. Bounded by slot count (a ring indexed by seq mod capacity, so a
 * packet more than `capacity` ahead is refused) and by bytes (the caller's receive-window budget).
 * Payloads are copied on insert, so they never pin a socket's receive buffer.
 */
import { MAX_SACK_BYTES, seqAdd, seqDiff } from './packet.js';

/** A bounded reorder buffer over 16-bit sequence numbers. */
export class ReorderBuffer {
  readonly #slots: Array<Uint8Array | undefined>;
  readonly #mask: number;
  /** Packets held. */
  count = 0;
  /** Payload bytes held. */
  bytes = 0;

  /** `capacity` must be a power of two (at most 32768). */
  constructor(readonly capacity = 1024) {
    if (capacity <= 0 || capacity > 0x8000 || (capacity & (capacity - 1)) !== 0) throw new RangeError('capacity must be a power of two <= 32768');
    this.#slots = new Array<Uint8Array | undefined>(capacity);
    this.#mask = capacity - 1;
  }

  /**
   * Stores `payload` for `seq`, given the next expected sequence number `next`. Returns false (and keeps
   * nothing) when `seq` is not in (next, next + capacity) or is already held.
   */
  insert(seq: number, next: number, payload: Uint8Array): boolean {
    const d = seqDiff(seq, next);
    if (d <= 0 || d >= this.capacity) return false;
    const i = seq & this.#mask;
    if (this.#slots[i] !== undefined) return false;
    this.#slots[i] = payload.slice();
    this.count++;
    this.bytes += payload.length;
    return true;
  }

  /** True when a packet for `seq` is held. */
  has(seq: number): boolean {
    return this.count > 0 && this.#slots[seq & this.#mask] !== undefined;
  }

  /** Removes and returns the packet for `seq` (the caller passes the next expected number). */
  take(seq: number): Uint8Array | undefined {
    if (this.count === 0) return undefined;
    const i = seq & this.#mask;
    const p = this.#slots[i];
    if (p === undefined) return undefined;
    this.#slots[i] = undefined;
    this.count--;
    this.bytes -= p.length;
    return p;
  }

  /**
   * The selective-ACK bitmask for a receiver whose last in-order packet is `ackNr`: bit i is set when
   * ackNr + 2 + i is held. Undefined when nothing is held. Length is a multiple of 4, at most MAX_SACK_BYTES.
   */
  sack(ackNr: number): Uint8Array | undefined {
    if (this.count === 0) return undefined;
    const span = Math.min(this.capacity, MAX_SACK_BYTES * 8);
    let last = -1;
    for (let i = 0; i < span; i++) if (this.has(seqAdd(ackNr, 2 + i))) last = i;
    if (last < 0) return undefined;
    const len = Math.min(MAX_SACK_BYTES, (Math.floor(last / 32) + 1) * 4);
    const out = new Uint8Array(len);
    for (let i = 0; i <= last && i < len * 8; i++) if (this.has(seqAdd(ackNr, 2 + i))) out[i >> 3] = (out[i >> 3] ?? 0) | (1 << (i & 7));
    return out;
  }

  /** Drops everything. */
  clear(): void {
    this.#slots.fill(undefined);
    this.count = 0;
    this.bytes = 0;
  }
}
