/**
 * A thin adapter from a connected `net.Socket` to {@link PeerStream}.
 *
 * - Reading, two ways. Sockets we dial read through net's `onread` into ONE buffer reused for every read
 *   ({@link SocketReader}): the sink gets a view valid only during its `data` call (the PeerStream
 *   contract; the wire decoder copies what it keeps), so receiving allocates nothing per read. Node's
 *   default path allocates a fresh 64 KiB buffer per read, and that garbage was the leech's largest GC
 *   cost. Accepted sockets (node 20's server cannot take `onread`) use `data` events, whose Buffer goes
 *   to the sink without a copy.
 * - `write` is `socket.write` (a Uint8Array is wrapped, not copied) and returns its boolean; the
 *   socket's `drain` is forwarded. `writev` corks the socket and uncorks it on the next tick (after the
 *   current microtasks), so every block an uploader sends in one burst of read completions leaves in one
 *   writev(2) without concatenating; a plain `write` in between joins the same batch, in order.
 * - Block release (src/interfaces/block-release.ts): a chunk carrying a release handle (a view of a recycled
 *   upload buffer) is released from the socket's write callback, which node runs once the bytes were
 *   handed to the kernel or the write failed (destroy included): never while node still holds the chunk.
 *   A chunk dropped because the socket is no longer writable is released at once.
 * - Until a sink is set nothing is read past what already arrived (no `data` listener; with `onread`,
 *   reading stops after a chunk is parked), so TCP flow control holds the remote back.
 * - `pause`/`resume` map to `socket.pause`/`resume`; a chunk that still arrives while paused (or before
 *   the sink) is parked (copied when it sits in the reused buffer) and delivered on resume, so the sink
 *   never sees data while paused.
 * - No half-open state: sockets use `allowHalfOpen: false`, so when the remote ends, node ends ours after
 *   flushing. `close()` is `socket.end()` plus a timer that destroys the socket if the remote never
 *   finishes; the sink's `close` fires once, on the socket's `close` event.
 * - `destroy` resets the connection (RST): queued bytes are dropped at once on both ends.
 */
import type { Socket } from 'node:net';
import type { PeerAddress, PeerStream, StreamSink } from '../../src/interfaces/transport.js';
import { releaseOf } from '../../src/interfaces/block-release.js';
import { mapSocketError } from './errors.js';

/** Options for {@link socketToPeerStream}. */
export interface SocketStreamOptions {
  /** How long `close()` waits for the remote to finish before destroying. Default 5000 ms. */
  closeTimeoutMs?: number;
}

/**
 * net's `onread` for one socket: every read lands in the same `buffer`. Create it before `net.connect`,
 * pass {@link SocketReader.onread} in the connect options and the reader to {@link socketToPeerStream}.
 * Bytes that arrive before the stream exists are copied and handed over when it attaches.
 */
export class SocketReader {
  /** The `onread` option for `net.connect`. */
  readonly onread: { buffer: Uint8Array; callback: (nread: number, buf: Uint8Array) => boolean };
  #stream: TcpPeerStream | undefined;
  #early: Uint8Array[] = [];

  /** `size`: bytes per read (one read syscall fills at most this much). */
  constructor(size = 256 * 1024) {
    this.onread = {
      buffer: new Uint8Array(size),
      callback: (nread, buf) => {
        const view = buf.subarray(0, nread);
        if (this.#stream !== undefined) return this.#stream.onRead(view);
        this.#early.push(view.slice());
        return false; // hold the remote back until the stream is attached
      },
    };
  }

  /** @internal Binds the stream; returns the bytes that arrived before it (owned copies). */
  attach(stream: TcpPeerStream): Uint8Array[] {
    this.#stream = stream;
    const early = this.#early;
    this.#early = [];
    return early;
  }
}

/** The {@link PeerStream} over one `net.Socket`. Create it with {@link socketToPeerStream}. */
export class TcpPeerStream implements PeerStream {
  readonly remote: PeerAddress;
  readonly direction: 'in' | 'out';
  /** Resolves once the socket has closed (used by the transport to wait for its streams). */
  readonly closed: Promise<void>;
  readonly #socket: Socket;
  readonly #closeTimeoutMs: number;
  #sink: StreamSink | undefined;
  #paused = false;
  #parked: Uint8Array[] = [];
  #isClosed = false;
  #closeEmitted = false;
  #closeErr: Error | undefined;
  #socketErr: Error | undefined;
  #destroyed = false;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  #closePromise: Promise<void> | undefined;
  #resolveClosed!: () => void;
  /** Reading through a {@link SocketReader} (views of a reused buffer) instead of `data` events. */
  readonly #reused: boolean;
  #corked = false;
  readonly #uncork = (): void => {
    this.#corked = false;
    this.#socket.uncork();
  };

  constructor(socket: Socket, direction: 'in' | 'out', remote: PeerAddress, opts: SocketStreamOptions = {}, reader?: SocketReader) {
    this.#socket = socket;
    this.direction = direction;
    this.remote = remote;
    this.#closeTimeoutMs = opts.closeTimeoutMs ?? 5000;
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    socket.on('error', (err: Error) => {
      this.#socketErr ??= mapSocketError(err, remote);
    });
    socket.on('drain', () => this.#sink?.drain());
    socket.once('close', () => this.#onClose());
    this.#reused = reader !== undefined;
    if (reader !== undefined) this.#parked = reader.attach(this);
  }

  get bufferedAmount(): number {
    return this.#socket.writableLength;
  }

  write(data: Uint8Array): boolean {
    const s = this.#socket;
    const release = releaseOf(data);
    if (!s.writable) {
      release?.();
      return false;
    }
    return release === undefined ? s.write(data) : s.write(data, release);
  }

  writev(chunks: readonly Uint8Array[]): boolean {
    const s = this.#socket;
    if (!s.writable) {
      for (const c of chunks) releaseOf(c)?.();
      return false;
    }
    if (!this.#corked) {
      this.#corked = true;
      s.cork();
      process.nextTick(this.#uncork);
    }
    let ok = true;
    for (const c of chunks) {
      const release = releaseOf(c);
      ok = release === undefined ? s.write(c) : s.write(c, release);
    }
    return ok;
  }

  setSink(sink: StreamSink): void {
    const first = this.#sink === undefined;
    this.#sink = sink;
    if (first && this.#reused && !this.#paused) {
      // Chunks parked before the sink go first; then reading (stopped when they were parked) restarts, or
      // the close is reported if the socket already closed.
      this.#paused = true;
      this.resume();
      return;
    }
    if (this.#isClosed) {
      this.#emitClose();
      return;
    }
    if (first && !this.#reused) {
      this.#socket.on('data', this.#onData);
      if (this.#paused) this.#socket.pause();
    }
  }

  pause(): void {
    this.#paused = true;
    this.#socket.pause();
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    while (this.#parked.length > 0 && !this.#paused && !this.#destroyed) {
      this.#sink?.data(this.#parked.shift() as Uint8Array);
    }
    if (this.#isClosed) this.#emitClose();
    else if (this.#sink !== undefined && !this.#paused) this.#socket.resume();
  }

  close(): Promise<void> {
    if (this.#closePromise !== undefined) return this.#closePromise;
    this.#closePromise = this.closed;
    if (this.#isClosed) return this.#closePromise;
    const s = this.#socket;
    // With no sink nobody reads: discard incoming bytes so the remote's FIN can reach us.
    if (this.#sink === undefined) s.resume();
    this.#closeTimer = setTimeout(() => {
      this.#closeTimer = undefined;
      s.destroy();
    }, this.#closeTimeoutMs);
    s.end();
    return this.#closePromise;
  }

  destroy(err?: Error): void {
    if (this.#destroyed || this.#isClosed) return;
    this.#destroyed = true;
    this.#closeErr = err;
    const s = this.#socket;
    if (!s.destroyed && !s.connecting && typeof s.resetAndDestroy === 'function') s.resetAndDestroy();
    else s.destroy();
  }

  readonly #onData = (chunk: Uint8Array): void => {
    if (this.#destroyed) return;
    if (this.#paused) this.#parked.push(chunk);
    else this.#sink?.data(chunk);
  };

  /**
   * @internal A read into the {@link SocketReader}'s reused buffer (`chunk` is a view of it). Returns false
   * to stop reading (paused, or no sink yet: the chunk is parked as a copy).
   */
  onRead(chunk: Uint8Array): boolean {
    if (this.#destroyed) return false;
    const sink = this.#sink;
    if (sink === undefined && this.#closePromise !== undefined) return true; // closing unread: discard (see close)
    if (this.#paused || sink === undefined) {
      this.#parked.push(chunk.slice());
      return false;
    }
    sink.data(chunk);
    return !this.#paused;
  }

  #onClose(): void {
    this.#isClosed = true;
    if (this.#destroyed) this.#parked = [];
    if (this.#closeTimer !== undefined) {
      clearTimeout(this.#closeTimer);
      this.#closeTimer = undefined;
    }
    if (!this.#destroyed) this.#closeErr = this.#socketErr;
    this.#resolveClosed();
    this.#emitClose();
  }

  #emitClose(): void {
    // Bytes parked by a pause go out before close (unless destroyed, which dropped them).
    if (this.#closeEmitted || this.#sink === undefined || this.#parked.length > 0) return;
    this.#closeEmitted = true;
    this.#sink.close(this.#closeErr);
  }
}

/** Wraps a connected socket (sets `noDelay` as asked) into a {@link PeerStream}. */
export function socketToPeerStream(
  socket: Socket,
  direction: 'in' | 'out',
  remote: PeerAddress,
  opts: SocketStreamOptions & { noDelay?: boolean } = {},
  reader?: SocketReader,
): TcpPeerStream {
  socket.setNoDelay(opts.noDelay ?? true);
  return new TcpPeerStream(socket, direction, remote, opts, reader);
}
