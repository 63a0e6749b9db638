/**
 * A {@link PeerStream} over one connected simple-peer data channel.
 *
 * Design notes (invariants):
 * - Outgoing bytes are split into messages of at most `maxMessageSize` (16 KiB: every browser accepts
 *   it, and Chromium fails messages over 256 KiB). Messages are handed to the channel while its
 *   `bufferedAmount` is under `highWaterMark`; the rest wait in our own queue. `write` returns false
 *   once queue + channel buffer reach `highWaterMark`; `drain` fires when both are under `lowWaterMark`
 *   again. The channel's `bufferedamountlow` event wakes us where it exists (browsers); @roamhq/wrtc has
 *   no such event, so there we poll every few milliseconds, only while something is waiting.
 * - A data channel has no receive-side flow control: `pause` cannot hold the remote back. Chunks that
 *   arrive while paused (or before a sink is set) are parked, up to `maxParkedBytes`; beyond that the
 *   stream is destroyed (`connection_failed`), so a peer cannot grow our memory without bound.
 * - `close()` waits for queue and channel buffer to empty, lingers `closeLingerMs` (an empty
 *   `bufferedAmount` only means the bytes reached SCTP; closing the channel then drops what SCTP has not
 *   delivered yet — measured with @roamhq/wrtc: ~2 MB lost on loopback without the linger), then closes
 *   the data channel and resolves when simple-peer reports close, or destroys after `closeTimeoutMs`. Every path ends in simple-peer's destroy, which closes the
 *   RTCPeerConnection.
 * - Sink callbacks run from channel events, timers or microtasks, never inside our own methods.
 */
import { TorrentError } from '../../src/errors.js';
import type { PeerAddress, PeerStream, StreamSink } from '../../src/interfaces/transport.js';
import type { DataChannelLike, SimplePeerLike } from './peer-types.js';

/** Tunables for {@link ChannelStream}. */
export interface ChannelStreamOptions {
  /** Largest data-channel message we send. Default 16 KiB. */
  maxMessageSize?: number;
  /** `write` returns false at or above this many buffered bytes. Default 1 MiB. */
  highWaterMark?: number;
  /** `drain` fires once buffered bytes fall under this. Default 256 KiB. */
  lowWaterMark?: number;
  /** Most bytes parked while paused before the stream is destroyed. Default 16 MiB. */
  maxParkedBytes?: number;
  /** How long `close()` waits before destroying. Default 5000 ms. */
  closeTimeoutMs?: number;
  /**
   * How long `close()` lingers after the channel buffer emptied, before closing the channel. Default
   * 1000 ms (simple-peer's own flush delay). Bytes still in SCTP's send buffer are lost if it is too short.
   */
  closeLingerMs?: number;
}

const POLL_MS = 4;

/** The WebRTC PeerStream. Created by the transport when simple-peer reports `connect`. */
export class ChannelStream implements PeerStream {
  readonly remote: PeerAddress;
  readonly direction: 'in' | 'out';
  readonly #peer: SimplePeerLike;
  readonly #channel: DataChannelLike | undefined;
  readonly #maxMsg: number;
  readonly #high: number;
  readonly #low: number;
  readonly #maxParked: number;
  readonly #closeTimeoutMs: number;
  readonly #lingerMs: number;
  #sink: StreamSink | undefined;
  #paused = false;
  #parked: Uint8Array[] = [];
  #parkedBytes = 0;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #needDrain = false;
  #state: 'open' | 'closing' | 'ended' = 'open';
  #endErr: Error | undefined;
  #closeReported = false;
  #closePromise: Promise<void> | undefined;
  #resolveClosed: (() => void) | undefined;
  #poll: ReturnType<typeof setTimeout> | undefined;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  #delivering = false;
  readonly #onLow = (): void => this.#pump();
  readonly #onEnded: Array<() => void> = [];

  constructor(peer: SimplePeerLike, remote: PeerAddress, direction: 'in' | 'out', opts: ChannelStreamOptions = {}) {
    this.#peer = peer;
    this.#channel = peer._channel ?? undefined;
    this.remote = remote;
    this.direction = direction;
    this.#maxMsg = opts.maxMessageSize ?? 16 * 1024;
    this.#high = opts.highWaterMark ?? 1024 * 1024;
    this.#low = Math.min(opts.lowWaterMark ?? 256 * 1024, this.#high);
    this.#maxParked = opts.maxParkedBytes ?? 16 * 1024 * 1024;
    this.#closeTimeoutMs = opts.closeTimeoutMs ?? 5000;
    this.#lingerMs = Math.min(opts.closeLingerMs ?? 1000, this.#closeTimeoutMs);
    const ch = this.#channel;
    if (ch !== undefined && typeof ch.bufferedAmountLowThreshold === 'number' && ch.addEventListener !== undefined) {
      ch.addEventListener('bufferedamountlow', this.#onLow);
    }
    peer.on('data', (chunk) => this.#onData(chunk));
    peer.on('error', (err) => {
      this.#endErr ??= new TorrentError('connection_failed', `WebRTC peer failed: ${err.message}`, { cause: err });
    });
    peer.on('close', () => this.#ended(this.#endErr));
    if (peer.destroyed) queueMicrotask(() => this.#ended(this.#endErr));
  }

  /** Registers a callback for when the stream has ended (used by the transport's bookkeeping). */
  onEnded(fn: () => void): void {
    if (this.#state === 'ended') queueMicrotask(fn);
    else this.#onEnded.push(fn);
  }

  get bufferedAmount(): number {
    return this.#queuedBytes + this.#channelBuffered();
  }

  #channelBuffered(): number {
    return this.#channel?.bufferedAmount ?? 0;
  }

  write(data: Uint8Array): boolean {
    if (this.#state !== 'open') return false;
    for (let at = 0; at < data.byteLength; at += this.#maxMsg) {
      const part = data.subarray(at, Math.min(at + this.#maxMsg, data.byteLength));
      this.#queue.push(part);
      this.#queuedBytes += part.byteLength;
    }
    this.#flush();
    const ok = this.bufferedAmount < this.#high;
    if (!ok) {
      this.#needDrain = true;
      this.#armPoll();
    }
    return ok;
  }

  writev(chunks: readonly Uint8Array[]): boolean {
    let ok = this.#state === 'open';
    for (const c of chunks) ok = this.write(c);
    return ok;
  }

  setSink(sink: StreamSink): void {
    this.#sink = sink;
    if (this.#parked.length > 0 || this.#state === 'ended') this.#scheduleDelivery();
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#scheduleDelivery();
  }

  close(): Promise<void> {
    if (this.#closePromise !== undefined) return this.#closePromise;
    if (this.#state === 'ended') {
      this.#closePromise = Promise.resolve();
      return this.#closePromise;
    }
    this.#state = 'closing';
    this.#closePromise = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    this.#closeTimer = setTimeout(() => this.#peer.destroy(), this.#closeTimeoutMs);
    this.#pump();
    return this.#closePromise;
  }

  destroy(err?: Error): void {
    if (this.#state === 'ended') return;
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#parked = [];
    this.#parkedBytes = 0;
    this.#endErr = err;
    this.#ended(err);
    this.#peer.destroy();
  }

  // ---- outgoing ----------------------------------------------------------------------------------------

  /** Hands queued messages to the channel while its buffer is under the high-water mark. */
  #flush(): void {
    while (this.#queue.length > 0 && this.#channelBuffered() < this.#high) {
      const msg = this.#queue.shift() as Uint8Array;
      this.#queuedBytes -= msg.byteLength;
      try {
        this.#peer.send(msg);
      } catch (cause) {
        this.#endErr ??= new TorrentError('connection_failed', 'data channel send failed', { cause });
        this.#queue = [];
        this.#queuedBytes = 0;
        this.#peer.destroy();
        return;
      }
    }
  }

  /** Runs on `bufferedamountlow` or the poll timer: flush, drain, and finish a pending close. */
  #pump(): void {
    this.#poll = undefined;
    if (this.#state === 'ended') return;
    this.#flush();
    if (this.#needDrain && this.bufferedAmount < this.#low && this.#state === 'open') {
      this.#needDrain = false;
      this.#sink?.drain();
    }
    if (this.#state === 'closing' && this.#queue.length === 0 && this.#channelBuffered() === 0) {
      // Empty channel buffer ≠ delivered: SCTP may still hold data, and closing the channel drops it.
      this.#poll = setTimeout(() => {
        this.#poll = undefined;
        if (this.#channel !== undefined && this.#channel.readyState === 'open') this.#channel.close();
        else this.#peer.destroy();
      }, this.#lingerMs);
      return;
    }
    this.#armPoll();
  }

  /** Keeps a short poll running while data waits and no `bufferedamountlow` event will wake us. */
  #armPoll(): void {
    if (this.#poll !== undefined || this.#state === 'ended') return;
    const waiting = this.#needDrain || this.#queue.length > 0 || this.#state === 'closing';
    if (!waiting) return;
    const hasEvent = this.#channel !== undefined && typeof this.#channel.bufferedAmountLowThreshold === 'number';
    // With the event, the channel wakes us below its threshold; poll only for the final empty-buffer check.
    if (hasEvent && this.#state === 'open' && this.#channelBuffered() > (this.#channel?.bufferedAmountLowThreshold ?? 0)) return;
    this.#poll = setTimeout(() => this.#pump(), POLL_MS);
  }

  // ---- incoming ----------------------------------------------------------------------------------------

  #onData(chunk: Uint8Array): void {
    if (this.#state === 'ended') return;
    if (this.#sink !== undefined && !this.#paused && this.#parked.length === 0 && !this.#delivering) {
      this.#sink.data(chunk);
      return;
    }
    this.#parked.push(chunk);
    this.#parkedBytes += chunk.byteLength;
    if (this.#parkedBytes > this.#maxParked) {
      this.destroy(new TorrentError('connection_failed', 'receive buffer overflow while paused', { details: { limit: this.#maxParked } }));
    }
  }

  #scheduleDelivery(): void {
    queueMicrotask(() => this.#deliver());
  }

  /** Delivers parked chunks (and a deferred close) while a sink is set and the stream is not paused. */
  #deliver(): void {
    const sink = this.#sink;
    if (sink === undefined || this.#delivering) return;
    this.#delivering = true;
    try {
      while (!this.#paused && this.#parked.length > 0 && !this.#closeReported) {
        const c = this.#parked.shift() as Uint8Array;
        this.#parkedBytes -= c.byteLength;
        sink.data(c);
      }
    } finally {
      this.#delivering = false;
    }
    if (this.#state === 'ended' && this.#parked.length === 0) this.#reportClose();
  }

  // ---- end -------------------------------------------------------------------------------------------

  #ended(err: Error | undefined): void {
    if (this.#state === 'ended') return;
    this.#state = 'ended';
    this.#endErr = err;
    if (this.#poll !== undefined) clearTimeout(this.#poll);
    if (this.#closeTimer !== undefined) clearTimeout(this.#closeTimer);
    this.#poll = this.#closeTimer = undefined;
    this.#channel?.removeEventListener?.('bufferedamountlow', this.#onLow);
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#resolveClosed?.();
    this.#closePromise ??= Promise.resolve();
    for (const fn of this.#onEnded.splice(0)) fn();
    // Chunks parked while paused are still delivered (after resume); close follows the last of them.
    this.#scheduleDelivery();
  }

  #reportClose(): void {
    if (this.#closeReported || this.#sink === undefined) return;
    this.#closeReported = true;
    this.#sink.close(this.#endErr);
  }
}
