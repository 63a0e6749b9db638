/**
 * The in-memory PeerStream pair: two endpoints joined by one queue per direction.
 *
 * Invariants (see transports/README.md):
 * - Each endpoint owns its *inbound* queue; the peer's `write` appends a copy of the bytes to it, so the
 *   two sides never share memory (as on a real network) and the writer may reuse its buffer at once.
 * - `inBytes` counts bytes written by the peer and not yet delivered; the peer's `write` returns
 *   `inBytes < highWaterMark`, and the peer gets `drain` once a delivery brings it back below the mark.
 *   Undelivered bytes are therefore bounded by highWaterMark + one write for a writer that obeys `false`.
 * - Delivery runs in a later macrotask (`runSoon`), never inside `write`; one task drains the queue as far
 *   as pause state and fault-injection timing allow.
 * - A FIN sits behind the queued bytes. When it is delivered, the receiving side ends its own direction
 *   (there is no half-open state); once both FINs are delivered, both sinks get `close()` exactly once.
 * - `destroy` drops both queues and closes both ends (the remote with a `connection_failed` reset).
 */
import { TorrentError } from '../../src/errors.js';
import type { PeerAddress, PeerStream, StreamSink } from '../../src/interfaces/transport.js';
import { runSoon } from './scheduler.js';

/** Link behaviour for one in-memory connection; every field is optional. */
export interface MemoryLinkOptions {
  /** Undelivered bytes per direction above which `write` returns false. Default 256 KiB. */
  highWaterMark?: number;
  /** One-way delay added to every chunk, in milliseconds. Default 0. */
  latencyMs?: number;
  /** Bandwidth cap per direction, in bytes per second. Default unlimited. */
  bytesPerSecond?: number;
  /** Split deliveries into chunks of at most this many bytes (exercises parsers). Default: no split. */
  maxChunkSize?: number;
  /** Drop the connection (both sides see a `connection_failed` close) after this many bytes were delivered in total. */
  resetAfterBytes?: number;
}

const DEFAULT_HWM = 256 * 1024;

interface Queued {
  bytes: Uint8Array;
  /** performance.now() time from which it may be delivered. */
  at: number;
}

/** Shared state of one connection: options and fault-injection counters. */
export interface Link {
  readonly opts: Required<Pick<MemoryLinkOptions, 'highWaterMark' | 'latencyMs'>> & MemoryLinkOptions;
  delivered: number;
}

/** Called once when an endpoint has closed; lets the owning transport forget it. */
export type ClosedHook = (stream: MemoryPeerStream) => void;

/** One side of an in-memory connection. Create pairs with {@link memoryStreamPair}. */
export class MemoryPeerStream implements PeerStream {
  readonly remote: PeerAddress;
  readonly direction: 'in' | 'out';
  readonly #link: Link;
  readonly #onClosed: ClosedHook | undefined;
  #peer!: MemoryPeerStream;
  #sink: StreamSink | undefined;
  #paused = false;
  #inQueue: Queued[] = [];
  #inBytes = 0;
  /** The peer ended its direction; a FIN waits behind #inQueue. */
  #inFin = false;
  /** Our FIN has been queued to the peer. */
  #outEnded = false;
  /** The peer's FIN has been delivered to us. */
  #sawFin = false;
  /** Our writes got `false`; the next delivery below the mark owes us a drain. */
  #needDrain = false;
  #scheduled = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the next chunk may leave under the bandwidth cap (per inbound direction). */
  #nextFree = 0;
  #closed = false;
  #closeErr: Error | undefined;
  #closeEmitted = false;
  #closePromise: Promise<void> | undefined;
  #closeResolve: (() => void) | undefined;
  /** close() was called before any sink: incoming bytes are discarded so the FIN can get through. */
  #discard = false;

  private constructor(link: Link, direction: 'in' | 'out', remote: PeerAddress, onClosed: ClosedHook | undefined) {
    this.#link = link;
    this.direction = direction;
    this.remote = remote;
    this.#onClosed = onClosed;
  }

  /** @internal Builds a connected pair; use {@link memoryStreamPair}. */
  static createPair(link: Link, remoteOfA: PeerAddress, remoteOfB: PeerAddress, onClosed?: ClosedHook): { a: MemoryPeerStream; b: MemoryPeerStream } {
    const a = new MemoryPeerStream(link, 'out', remoteOfA, onClosed);
    const b = new MemoryPeerStream(link, 'in', remoteOfB, onClosed);
    a.#peer = b;
    b.#peer = a;
    return { a, b };
  }

  /** Bytes written by this side that the peer has not received yet. */
  get bufferedAmount(): number {
    return this.#peer.#inBytes;
  }

  write(data: Uint8Array): boolean {
    if (this.#outEnded || this.#closed) return false;
    return this.#send(data.slice());
  }

  writev(chunks: readonly Uint8Array[]): boolean {
    if (this.#outEnded || this.#closed) return false;
    let size = 0;
    for (const c of chunks) size += c.byteLength;
    // One copy into one delivery chunk: the memory "wire" serialises anyway, and the peer sees it as one segment.
    const joined = new Uint8Array(size);
    let at = 0;
    for (const c of chunks) {
      joined.set(c, at);
      at += c.byteLength;
    }
    return this.#send(joined);
  }

  setSink(sink: StreamSink): void {
    this.#sink = sink;
    if (this.#closed) this.#emitCloseSoon();
    else this.#schedule();
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#schedule();
  }

  close(): Promise<void> {
    if (this.#closePromise === undefined) {
      this.#closePromise = new Promise<void>((resolve) => {
        this.#closeResolve = resolve;
      });
      if (this.#closed) this.#closeResolve?.();
      else {
        if (this.#sink === undefined) {
          this.#discard = true;
          this.#schedule();
        }
        this.#end();
      }
    }
    return this.#closePromise;
  }

  destroy(err?: Error): void {
    if (this.#closed) return;
    const peer = this.#peer;
    this.#finish(err);
    if (!peer.#closed) {
      peer.#finish(new TorrentError('connection_failed', 'connection reset by peer', { details: { transport: 'memory' } }));
    }
  }

  // ---- internals -------------------------------------------------------------------------------------

  #send(bytes: Uint8Array): boolean {
    const peer = this.#peer;
    if (bytes.byteLength > 0) peer.#enqueue(bytes);
    if (peer.#inBytes < this.#link.opts.highWaterMark) return true;
    this.#needDrain = true;
    return false;
  }

  /** Appends bytes written by the peer to our inbound queue, stamping fault-injection delivery times. */
  #enqueue(bytes: Uint8Array): void {
    const { latencyMs, bytesPerSecond, maxChunkSize } = this.#link.opts;
    const now = latencyMs > 0 || bytesPerSecond !== undefined ? performance.now() : 0;
    const max = maxChunkSize !== undefined && maxChunkSize > 0 ? maxChunkSize : bytes.byteLength;
    for (let off = 0; off < bytes.byteLength; off += max) {
      const piece = bytes.subarray(off, Math.min(off + max, bytes.byteLength));
      let at = now;
      if (bytesPerSecond !== undefined && bytesPerSecond > 0) {
        const start = Math.max(now, this.#nextFree);
        this.#nextFree = start + (piece.byteLength * 1000) / bytesPerSecond;
        at = this.#nextFree;
      }
      this.#inQueue.push({ bytes: piece, at: at + latencyMs });
    }
    this.#inBytes += bytes.byteLength;
    this.#schedule();
  }

  #end(): void {
    if (this.#outEnded || this.#closed) return;
    this.#outEnded = true;
    const peer = this.#peer;
    peer.#inFin = true;
    peer.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled || this.#closed || this.#timer !== undefined) return;
    this.#scheduled = true;
    runSoon(() => {
      this.#scheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    if (this.#closed) return;
    const writer = this.#peer;
    const link = this.#link;
    const timed = link.opts.latencyMs > 0 || link.opts.bytesPerSecond !== undefined;
    const now = timed ? performance.now() : 0;
    while ((this.#sink !== undefined || this.#discard) && !this.#paused && !this.#closed) {
      const head = this.#inQueue[0];
      if (head === undefined) break;
      if (timed && head.at > now) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.#flush();
        }, Math.max(1, Math.ceil(head.at - now)));
        break;
      }
      this.#inQueue.shift();
      this.#inBytes -= head.bytes.byteLength;
      link.delivered += head.bytes.byteLength;
      this.#sink?.data(head.bytes);
      if (link.opts.resetAfterBytes !== undefined && link.delivered >= link.opts.resetAfterBytes && !this.#closed) {
        const err = new TorrentError('connection_failed', 'link dropped (fault injection)', {
          details: { transport: 'memory', delivered: link.delivered },
        });
        writer.#finish(err);
        this.#finish(err);
        return;
      }
    }
    if (this.#closed) return;
    if (writer.#needDrain && this.#inBytes < link.opts.highWaterMark && !writer.#closed) {
      writer.#needDrain = false;
      writer.#sink?.drain();
    }
    if (this.#inQueue.length === 0 && this.#inFin && !this.#sawFin && (this.#sink !== undefined || this.#discard) && !this.#paused) {
      this.#sawFin = true;
      this.#end();
      if (writer.#sawFin) {
        this.#finish(undefined);
        writer.#finish(undefined);
      }
    }
  }

  #finish(err: Error | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeErr = err;
    this.#outEnded = true;
    this.#inQueue = [];
    this.#inBytes = 0;
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#closeResolve?.();
    this.#onClosed?.(this);
    this.#emitCloseSoon();
  }

  #emitCloseSoon(): void {
    if (this.#closeEmitted || this.#sink === undefined) return;
    this.#closeEmitted = true;
    runSoon(() => {
      this.#sink?.close(this.#closeErr);
    });
  }
}

/** Options for {@link memoryStreamPair}. */
export interface MemoryStreamPairOptions extends MemoryLinkOptions {
  /** Address the dialing side (`a`) reports for its remote. Default `{ host: 'memory-b', port: 1 }`. */
  addressB?: PeerAddress;
  /** Address the accepting side (`b`) reports for its remote. Default `{ host: 'memory-a', port: 1 }`. */
  addressA?: PeerAddress;
}

/**
 * Two connected in-memory {@link PeerStream}s: `a` is the dialing side (`direction: 'out'`), `b` the
 * accepting side. Runs in any runtime; for unit tests of the wire layer.
 */
export function memoryStreamPair(opts: MemoryStreamPairOptions = {}): { a: MemoryPeerStream; b: MemoryPeerStream } {
  return MemoryPeerStream.createPair(
    newLink(opts),
    opts.addressB ?? { host: 'memory-b', port: 1, transport: 'memory' },
    opts.addressA ?? { host: 'memory-a', port: 1, transport: 'memory' },
  );
}

/** @internal A fresh link state with defaults applied. */
export function newLink(opts: MemoryLinkOptions): Link {
  return { opts: { ...opts, highWaterMark: opts.highWaterMark ?? DEFAULT_HWM, latencyMs: opts.latencyMs ?? 0 }, delivered: 0 };
}
