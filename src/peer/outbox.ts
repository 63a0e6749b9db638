/**
 * The send side of a connection. Small messages produced in one tick (requests, cancels, haves, rejects,
 * choke and interest changes) are queued and encoded together into one buffer in a microtask; anything
 * written directly (a piece, an extended message, a keep-alive) first flushes the queue, so the wire order
 * is the order of the calls. A piece goes out as its 13-byte header plus the block view: `writev` when the
 * stream has it, else two writes, never a concatenation. A block's release handle (../interfaces/block-release.ts) goes
 * with it to the stream, which releases it once written; a block dropped here is released here.
 */
import type { PeerStream } from '../interfaces/transport.js';
import { encodeBatch, encodePieceHeader } from '../wire/encoder.js';
import { releaseBlock } from '../interfaces/block-release.js';
import type { WireMessage } from '../wire/messages.js';
import type { Liveness } from './liveness.js';

/** Batches and writes outgoing messages for one stream. */
export class Outbox {
  readonly #stream: PeerStream;
  readonly #live: Liveness;
  readonly #onFull: () => void;
  readonly #flushBound = (): void => this.flush();
  #batch: WireMessage[] = [];
  #queued = false;
  #closed = false;

  /** `onFull` runs whenever the stream's `write` returns false (the uploader then waits for drain). */
  constructor(stream: PeerStream, live: Liveness, onFull: () => void) {
    this.#stream = stream;
    this.#live = live;
    this.#onFull = onFull;
  }

  /** Queues a small message for this tick's batch. */
  queue(m: WireMessage): void {
    if (this.#closed) return;
    this.#batch.push(m);
    if (!this.#queued) {
      this.#queued = true;
      queueMicrotask(this.#flushBound);
    }
  }

  /** Removes a request still waiting in the batch; true when it was there (then it is never sent). */
  unqueueRequest(index: number, begin: number, length: number): boolean {
    const b = this.#batch;
    for (let i = 0; i < b.length; i++) {
      const m = b[i]!;
      if (m.type === 'request' && m.index === index && m.begin === begin && m.length === length) {
        b.splice(i, 1);
        return true;
      }
    }
    return false;
  }

  /** Encodes and writes the batch now. */
  flush(): void {
    this.#queued = false;
    if (this.#batch.length === 0 || this.#closed) return;
    const bytes = encodeBatch(this.#batch);
    this.#batch = [];
    this.#send(bytes);
  }

  /** Writes encoded bytes after the batch; returns the stream's result. */
  write(bytes: Uint8Array): boolean {
    if (this.#closed) return false;
    this.flush();
    return this.#send(bytes);
  }

  /** Writes a piece message as header + block view; returns the stream's result. */
  writePiece(index: number, begin: number, block: Uint8Array): boolean {
    if (this.#closed) {
      releaseBlock(block); // never written: nobody reads it again
      return false;
    }
    this.flush();
    const header = encodePieceHeader(index, begin, block.length);
    const s = this.#stream;
    let ok: boolean;
    if (s.writev) ok = s.writev([header, block]);
    else {
      s.write(header);
      ok = s.write(block);
    }
    this.#live.sent = true;
    if (!ok) this.#onFull();
    return ok;
  }

  /** Drops the batch; later calls do nothing. */
  close(): void {
    this.#closed = true;
    this.#batch = [];
  }

  #send(bytes: Uint8Array): boolean {
    this.#live.sent = true;
    const ok = this.#stream.write(bytes);
    if (!ok) this.#onFull(); // control messages still go out; only new storage reads wait for drain
    return ok;
  }
}
