/**
 * PeerStream over a {@link UtpConnection}. Runtime-neutral.
 *
 * - `write` queues in the connection (by reference) and returns false once `bufferedAmount` (bytes not
 *   yet packetized) reaches the send high-water mark; `drain` fires once it falls below again.
 * - Incoming chunks go straight to the sink while it is set and not paused; otherwise they are copied
 *   into `#held`, which counts against the window we advertise, so a paused reader holds the peer back.
 * - The peer's FIN: we end our side at once (no half-open); the sink's `close` follows the last held
 *   chunk, so a paused reader still gets every byte first.
 * - Sink callbacks run from packet handling or from a microtask, never inside write/pause/close/destroy.
 */
import type { TorrentError } from '../../src/errors.js';
import type { PeerAddress, PeerStream, StreamSink } from '../../src/interfaces/transport.js';
import type { UtpConnection } from './connection.js';
import { releaseBlock } from '../../src/interfaces/block-release.js';

/** A uTP PeerStream. */
export class UtpStream implements PeerStream {
  readonly remote: PeerAddress;
  readonly direction: 'in' | 'out';
  #sink: StreamSink | undefined;
  #paused = false;
  #held: Uint8Array[] = [];
  #heldBytes = 0;
  #needDrain = false;
  #ended = false;
  /** Set once the connection finished; the sink hears it after the held bytes. */
  #closedWith: { err: TorrentError | Error | undefined } | undefined;
  #notified = false;
  #closing: Promise<void> | undefined;
  #resolveClosing: (() => void) | undefined;
  #deliverScheduled = false;

  constructor(
    private readonly conn: UtpConnection,
    private readonly highWaterMark: number,
  ) {
    this.remote = { ...conn.remote, transport: 'utp' };
    this.direction = conn.direction;
    conn.heldBytes = () => this.#heldBytes;
    conn.events = {
      connected: () => undefined,
      data: (chunk) => this.#onData(chunk),
      remoteEnd: () => this.#onRemoteEnd(),
      sent: () => this.#onSent(),
      closed: (err) => this.#onClosed(err),
    };
  }

  get bufferedAmount(): number {
    return this.conn.queuedBytes;
  }

  write(data: Uint8Array): boolean {
    if (this.#ended || this.#closedWith !== undefined) {
      releaseBlock(data); // refused: nobody reads it (src/interfaces/block-release.ts)
      return false;
    }
    this.conn.queue(data);
    return this.#check();
  }

  writev(chunks: readonly Uint8Array[]): boolean {
    if (this.#ended || this.#closedWith !== undefined) {
      for (const c of chunks) releaseBlock(c);
      return false;
    }
    for (const c of chunks) this.conn.queue(c);
    return this.#check();
  }

  #check(): boolean {
    const ok = this.conn.queuedBytes < this.highWaterMark;
    if (!ok) this.#needDrain = true;
    return ok;
  }

  setSink(sink: StreamSink): void {
    this.#sink = sink;
    this.#scheduleDeliver();
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#scheduleDeliver();
  }

  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#ended = true;
    this.#closing = new Promise<void>((resolve) => {
      this.#resolveClosing = resolve;
    });
    if (this.#closedWith !== undefined) this.#resolveClosing?.();
    else this.conn.end();
    return this.#closing;
  }

  destroy(err?: Error): void {
    if (this.#closedWith !== undefined) return;
    this.#ended = true;
    this.#held = [];
    this.#heldBytes = 0;
    this.#closedWith = { err };
    this.conn.reset(undefined, true);
    this.#resolveClosing?.();
    this.#scheduleDeliver();
  }

  // ---- from the connection ------------------------------------------------------------------------------

  #onData(chunk: Uint8Array): void {
    if (this.#sink !== undefined && !this.#paused && this.#held.length === 0) {
      this.#sink.data(chunk);
      return;
    }
    this.#held.push(chunk.slice());
    this.#heldBytes += chunk.length;
  }

  #onRemoteEnd(): void {
    this.#ended = true;
    this.conn.end();
  }

  #onSent(): void {
    if (this.#needDrain && this.conn.queuedBytes < this.highWaterMark && this.#closedWith === undefined) {
      this.#needDrain = false;
      this.#sink?.drain();
    }
  }

  #onClosed(err?: TorrentError): void {
    if (this.#closedWith !== undefined) return;
    this.#ended = true;
    if (err !== undefined) {
      this.#held = [];
      this.#heldBytes = 0;
    }
    this.#closedWith = { err };
    this.#resolveClosing?.();
    this.#deliver();
  }

  // ---- delivery ----------------------------------------------------------------------------------------

  #scheduleDeliver(): void {
    if (this.#deliverScheduled) return;
    this.#deliverScheduled = true;
    queueMicrotask(() => {
      this.#deliverScheduled = false;
      this.#deliver();
    });
  }

  /** Hands held chunks to the sink (unless paused), then the close once everything went out. */
  #deliver(): void {
    const sink = this.#sink;
    if (sink === undefined) return;
    let gave = false;
    while (!this.#paused && this.#held.length > 0 && this.#sink === sink) {
      const c = this.#held.shift() as Uint8Array;
      this.#heldBytes -= c.length;
      gave = true;
      sink.data(c);
    }
    if (gave) this.conn.windowUpdate();
    if (this.#closedWith !== undefined && this.#held.length === 0 && !this.#notified) {
      this.#notified = true;
      this.#sink?.close(this.#closedWith.err);
    }
  }
}
