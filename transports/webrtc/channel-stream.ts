/**
 * A {@link PeerStream} over one connected simple-peer data channel.
 *
 * Design notes (invariants):
 * - Messages: writes queue up and are packed into data-channel messages of at most `maxMessageSize`
 *   (64 KiB: RFC 8841's default max-message-size, which every WebRTC stack accepts; Chromium fails
 *   messages over 256 KiB). Whole writes are packed together (one copy) while they fit, so a piece goes
 *   out as ONE message with its 13-byte header, not two, and a burst of pieces as few messages; a write
 *   larger than `maxMessageSize` is sent in maxMessageSize slices (views, no copy). The receiver
 *   therefore sees whole wire messages inside one chunk unless one was larger than a message, and its
 *   decoder can hand out blocks as views. Packing happens in a microtask after the first write of a
 *   tick (or right away once a message is full), so writes of one tick share messages.
 * - Backpressure: messages are handed to the channel while its `bufferedAmount` is under
 *   `highWaterMark`; the rest wait in our own queue. `write` returns false once queue + channel buffer
 *   reach `highWaterMark`; `drain` fires when both are under `lowWaterMark` again. The channel's
 *   `bufferedamountlow` event wakes us where it exists (browsers; we set its threshold to
 *   `lowWaterMark`); @roamhq/wrtc has no such event, so there we poll every few milliseconds, only while
 *   something is waiting.
 * - `bufferedAmount` is read rarely, not once per message: in @roamhq/wrtc the getter is a blocking
 *   call into the WebRTC signalling thread (profiled: ~7–10 % of the seed's main thread, ~90 µs a read,
 *   when read per block). We keep an estimate: the last value read plus what we sent since, an upper
 *   bound (the channel only drains), so checks against it can only err towards waiting. The channel is
 *   read again only when the estimate reaches the high-water mark (in `#flush` and before `write`
 *   reports false) and once per wake-up (`bufferedamountlow` or the poll).
 * - A data channel has no receive-side flow control: `pause` cannot hold the remote back. Chunks that
 *   arrive while paused (or before a sink is set) are parked, up to `maxParkedBytes`; beyond that the
 *   stream is destroyed (`connection_failed`), so a peer cannot grow our memory without bound.
 * - `close()` waits for queue and channel buffer to empty, lingers `closeLingerMs` (an empty
 *   `bufferedAmount` only means the bytes reached SCTP; closing the channel then drops what SCTP has not
 *   delivered yet — measured with @roamhq/wrtc: ~2 MB lost on loopback without the linger), then closes
 *   the data channel and resolves when simple-peer reports close, or destroys after `closeTimeoutMs`. Every path ends in simple-peer's destroy, which closes the
 *   RTCPeerConnection.
 * - Block release (src/interfaces/block-release.ts): a written chunk carrying a release handle (a view of a
 *   recycled upload buffer) is released once its last byte went into `send()`, which copies the bytes
 *   before it returns (browsers and @roamhq/wrtc alike), or when the queue is dropped unsent. Tracked by
 *   byte offsets, so slicing and packing need no bookkeeping per chunk.
 * - Sink callbacks run from channel events, timers or microtasks, never inside our own methods.
 */
import { TorrentError } from '../../src/errors.js';
import type { PeerAddress, PeerStream, StreamSink } from '../../src/interfaces/transport.js';
import { releaseOf } from '../../src/interfaces/block-release.js';
import type { DataChannelLike, SimplePeerLike } from './peer-types.js';

/** Tunables for {@link ChannelStream}. */
export interface ChannelStreamOptions {
  /** Largest data-channel message we send. Default {@link DEFAULT_MAX_MESSAGE_SIZE} (64 KiB). */
  maxMessageSize?: number;
  /** `write` returns false at or above this many buffered bytes. Default {@link DEFAULT_HIGH_WATER_MARK} (1 MiB). */
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

/** Default largest message: RFC 8841's max-message-size when the SDP gives none, accepted everywhere. */
export const DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024;
/** Default high-water mark of queue + channel buffer. */
export const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;

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
  /** Release handles of queued chunks, by the stream offset of each chunk's end (see block release above). */
  #releases: Array<{ end: number; fn: () => void }> = [];
  /** Bytes ever queued / handed to `send()` (offsets for #releases). */
  #queuedTotal = 0;
  #sentTotal = 0;
  #needDrain = false;
  #state: 'open' | 'closing' | 'ended' = 'open';
  #endErr: Error | undefined;
  #closeReported = false;
  #closePromise: Promise<void> | undefined;
  #resolveClosed: (() => void) | undefined;
  #poll: ReturnType<typeof setTimeout> | undefined;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  #delivering = false;
  #flushQueued = false;
  /** The channel's bufferedAmount as last read, plus what we sent since (an upper bound). */
  #chanEst = 0;
  #scratch: Uint8Array | undefined;
  readonly #flushSoon = (): void => {
    this.#flushQueued = false;
    if (this.#state !== 'ended') this.#flush();
  };
  readonly #onLow = (): void => this.#pump();
  readonly #onEnded: Array<() => void> = [];

  constructor(peer: SimplePeerLike, remote: PeerAddress, direction: 'in' | 'out', opts: ChannelStreamOptions = {}) {
    this.#peer = peer;
    this.#channel = peer._channel ?? undefined;
    this.remote = remote;
    this.direction = direction;
    this.#maxMsg = Math.max(1, opts.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE);
    this.#high = opts.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    this.#low = Math.min(opts.lowWaterMark ?? 256 * 1024, this.#high);
    this.#maxParked = opts.maxParkedBytes ?? 16 * 1024 * 1024;
    this.#closeTimeoutMs = opts.closeTimeoutMs ?? 5000;
    this.#lingerMs = Math.min(opts.closeLingerMs ?? 1000, this.#closeTimeoutMs);
    const ch = this.#channel;
    if (ch !== undefined && typeof ch.bufferedAmountLowThreshold === 'number' && ch.addEventListener !== undefined) {
      // Wake at our low-water mark, not simple-peer's 64 KiB: refilling from a nearly empty buffer
      // leaves the channel idle while we react.
      ch.bufferedAmountLowThreshold = this.#low;
      ch.addEventListener('bufferedamountlow', this.#onLow);
    }
    peer.on('data', (chunk) => this.#onData(chunk));
    peer.on('error', (err) => {
      // The other end closing its connection right after its channel (every close path ends in its
      // destroy) can reach us as an SCTP abort before our channel's own close event: a normal end.
      if (isRemoteCloseAbort(err)) return;
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
    const release = releaseOf(data);
    if (this.#state !== 'open') {
      release?.(); // dropped unsent
      return false;
    }
    if (data.byteLength > 0) {
      this.#queue.push(data);
      this.#queuedBytes += data.byteLength;
      this.#queuedTotal += data.byteLength;
    }
    if (release !== undefined) {
      if (data.byteLength === 0) release();
      else this.#releases.push({ end: this.#queuedTotal, fn: release });
    }
    // A full message's worth goes now; less waits for the rest of this tick's writes (one microtask).
    if (this.#queuedBytes >= this.#maxMsg) this.#flush();
    else if (!this.#flushQueued && this.#queuedBytes > 0) {
      this.#flushQueued = true;
      queueMicrotask(this.#flushSoon);
    }
    let ok = this.#queuedBytes + this.#chanEst < this.#high;
    if (!ok) {
      this.#chanEst = this.#channelBuffered();
      ok = this.#queuedBytes + this.#chanEst < this.#high;
    }
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
    this.#dropQueue();
    this.#parked = [];
    this.#parkedBytes = 0;
    this.#endErr = err;
    this.#ended(err);
    this.#peer.destroy();
  }

  // ---- outgoing ----------------------------------------------------------------------------------------

  /** Hands queued bytes to the channel, packed into messages, while its buffer is under the high-water mark. */
  #flush(): void {
    if (this.#queue.length === 0) return;
    // The estimate only grows between reads; read the channel only once it says we are full.
    let buffered = this.#chanEst < this.#high ? this.#chanEst : this.#channelBuffered();
    while (this.#queue.length > 0 && buffered < this.#high) {
      const msg = this.#nextMessage();
      this.#queuedBytes -= msg.byteLength;
      buffered += msg.byteLength;
      try {
        this.#peer.send(msg);
      } catch (cause) {
        this.#endErr ??= new TorrentError('connection_failed', 'data channel send failed', { cause });
        this.#dropQueue();
        this.#peer.destroy();
        return;
      }
      this.#sentTotal += msg.byteLength;
      const r = this.#releases;
      while (r.length > 0 && r[0]!.end <= this.#sentTotal) r.shift()!.fn(); // send() copied those bytes
    }
    this.#chanEst = buffered;
  }

  /** Drops the queue unsent, releasing the chunks in it. */
  #dropQueue(): void {
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#sentTotal = this.#queuedTotal;
    for (const r of this.#releases.splice(0)) r.fn();
  }

  /**
   * Takes the next message off the queue: a maxMessageSize slice of a write at least that large (a
   * view), a single write as it is, or several whole writes that fit together, copied into the reused
   * scratch buffer (valid until the next call).
   */
  #nextMessage(): Uint8Array {
    const q = this.#queue;
    const head = q[0] as Uint8Array;
    if (head.byteLength >= this.#maxMsg) {
      if (head.byteLength === this.#maxMsg) q.shift();
      else q[0] = head.subarray(this.#maxMsg);
      return head.subarray(0, this.#maxMsg);
    }
    let n = 1;
    let size = head.byteLength;
    while (n < q.length && size + (q[n] as Uint8Array).byteLength <= this.#maxMsg) size += (q[n++] as Uint8Array).byteLength;
    if (n === 1) return q.shift() as Uint8Array;
    // One scratch buffer, reused: RTCDataChannel.send copies the bytes before it returns (browsers and
    // @roamhq/wrtc alike), so packing allocates nothing per message (profiled: GC was ~6 % of the seed).
    this.#scratch ??= new Uint8Array(this.#maxMsg);
    const msg = this.#scratch.subarray(0, size);
    let at = 0;
    for (const part of q.splice(0, n)) {
      msg.set(part, at);
      at += part.byteLength;
    }
    return msg;
  }

  /** Runs on `bufferedamountlow` or the poll timer: flush, drain, and finish a pending close. */
  #pump(): void {
    this.#poll = undefined;
    if (this.#state === 'ended') return;
    this.#chanEst = this.#channelBuffered();
    this.#flush();
    if (this.#needDrain && this.#queuedBytes + this.#chanEst < this.#low && this.#state === 'open') {
      this.#needDrain = false;
      this.#sink?.drain();
    }
    if (this.#state === 'closing' && this.#queue.length === 0 && this.#chanEst === 0) {
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
    this.#dropQueue();
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

/** Chromium's report of an SCTP abort the remote end caused by closing (cause 12, "User-Initiated Abort"). */
function isRemoteCloseAbort(err: Error): boolean {
  return /User-Initiated Abort/.test(err.message);
}
