/**
 * A thin adapter from a connected `net.Socket` to {@link PeerStream}.
 *
 * - `data` events go straight to the sink: the Buffer node hands us is a Uint8Array, so no copy.
 * - `write` is `socket.write` (a Uint8Array is wrapped, not copied) and returns its boolean; the
 *   socket's `drain` is forwarded. `writev` corks, writes each view and uncorks in the same call, so node
 *   hands all of them to one writev(2) without concatenating.
 * - Until a sink is set no `data` listener is attached, so node buffers up to its readable high-water
 *   mark and TCP flow control holds the remote back.
 * - `pause`/`resume` map to `socket.pause`/`resume`; a chunk that still arrives while paused is parked and
 *   delivered on resume, so the sink never sees data while paused.
 * - No half-open state: sockets use `allowHalfOpen: false`, so when the remote ends, node ends ours after
 *   flushing. `close()` is `socket.end()` plus a timer that destroys the socket if the remote never
 *   finishes; the sink's `close` fires once, on the socket's `close` event.
 * - `destroy` resets the connection (RST): queued bytes are dropped at once on both ends.
 */
import type { Socket } from 'node:net';
import type { PeerAddress, PeerStream, StreamSink } from '../../src/interfaces/transport.js';
import { mapSocketError } from './errors.js';

/** Options for {@link socketToPeerStream}. */
export interface SocketStreamOptions {
  /** How long `close()` waits for the remote to finish before destroying. Default 5000 ms. */
  closeTimeoutMs?: number;
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

  constructor(socket: Socket, direction: 'in' | 'out', remote: PeerAddress, opts: SocketStreamOptions = {}) {
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
  }

  get bufferedAmount(): number {
    return this.#socket.writableLength;
  }

  write(data: Uint8Array): boolean {
    const s = this.#socket;
    if (!s.writable) return false;
    return s.write(data);
  }

  writev(chunks: readonly Uint8Array[]): boolean {
    const s = this.#socket;
    if (!s.writable) return false;
    s.cork();
    let ok = true;
    for (const c of chunks) ok = s.write(c);
    s.uncork();
    return ok;
  }

  setSink(sink: StreamSink): void {
    const first = this.#sink === undefined;
    this.#sink = sink;
    if (this.#isClosed) {
      this.#emitClose();
      return;
    }
    if (first) {
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
): TcpPeerStream {
  socket.setNoDelay(opts.noDelay ?? true);
  return new TcpPeerStream(socket, direction, remote, opts);
}
