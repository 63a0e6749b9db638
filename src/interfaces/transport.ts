/**
 * Transport contract. A transport moves bytes between two peers; it knows nothing of BitTorrent.
 * The wire protocol, encryption and extensions run above it, the same for TCP, uTP, WebRTC and the
 * in-memory pair. Every implementation runs test/suites/transport.suite.ts.
 */

/** Where a peer can be reached. `host` is an IP literal for IP transports, an opaque id otherwise. */
export interface PeerAddress {
  readonly host: string;
  readonly port: number;
  /** Transport hint (`tcp`, `utp`, `webrtc`, ...); absent means any IP transport. */
  readonly transport?: string;
}

/**
 * Receives what a {@link PeerStream} delivers. The stream calls it from its own task (never from inside
 * `write`, `writev`, `pause`, `resume`, `close` or `destroy`); a sink must not throw back into the stream.
 */
export interface StreamSink {
  /**
   * A chunk of bytes, in order. Chunk boundaries carry no meaning. The view is valid until the callback
   * returns unless the sink copies it (it may pin a larger receive buffer, so copy out what you keep).
   * Not called while the stream is paused, nor after `close`.
   */
  data(chunk: Uint8Array): void;
  /** The write buffer drained below its high-water mark after `write` returned false. */
  drain(): void;
  /**
   * The stream ended (both directions); `err` is set when it failed (a `TorrentError` (src/errors.ts) from the
   * transport, or the error given to `destroy`). Called exactly once, after the last `data`. If the stream
   * ended before a sink was set, it is called as soon as one is.
   */
  close(err?: Error): void;
}

/**
 * A bidirectional byte pipe to one peer.
 *
 * Until {@link PeerStream.setSink} is called, incoming bytes wait in the stream (and, once its buffer is
 * full, hold the remote back). There is no half-open state: when the remote ends its side, the stream
 * flushes and ends ours, then reports `close` on both sides.
 */
export interface PeerStream {
  /**
   * Queues bytes; returns false when the caller should wait for `drain`. The stream may keep a reference
   * to `data` until it is sent, so do not modify it after the call. After `close`, `destroy` or the end of
   * the stream, returns false and drops the bytes (the sink's `close` tells why).
   */
  write(data: Uint8Array): boolean;
  /** Queues several buffers as one write (header + block view) without concatenating them. Same rules as `write`. */
  writev?(chunks: readonly Uint8Array[]): boolean;
  /** Sets (or replaces) the receiver of data, drain and close. */
  setSink(sink: StreamSink): void;
  /** Stops `data` callbacks (from the next chunk on) until `resume`; the remote is held back once buffers fill. */
  pause(): void;
  /** Restarts `data` callbacks after `pause`. */
  resume(): void;
  /**
   * Flushes queued bytes, ends our side, and resolves once the stream has closed (the remote ended too,
   * or a transport-specific close timeout destroyed it). Calling it again returns the same promise.
   */
  close(): Promise<void>;
  /**
   * Closes at once, dropping queued bytes. The sink's `close` receives `err` (soon, not synchronously);
   * the remote sees its stream close, usually with a `connection_failed` error.
   */
  destroy(err?: Error): void;
  /** Bytes accepted by `write` but not yet handed to the network or the peer, when the transport knows. */
  readonly bufferedAmount?: number;
  /** The peer's address (for inbound streams, its ephemeral source address). */
  readonly remote: PeerAddress;
  /** `out` when we dialed, `in` when a listener accepted it. */
  readonly direction: 'in' | 'out';
}

/** A listening endpoint. */
export interface Listener {
  /** The address actually bound (port 0 resolved). */
  readonly address: PeerAddress;
  /** Stops accepting. Streams already accepted stay open (close them, or the transport, to end them). */
  close(): Promise<void>;
}

/** A way to reach peers. */
export interface Transport {
  readonly name: string;
  /** True when this transport can reach `addr` (a syntactic check: it does not probe the network). */
  canDial(addr: PeerAddress): boolean;
  /**
   * Connects to `addr`. Rejects with a `TorrentError` (src/errors.ts): `connection_failed` (refused, unreachable,
   * reset, transport closed), `timeout` (the transport's connect timeout), `aborted` (`signal` fired, or
   * the transport closed while dialing). A rejected dial leaves nothing open.
   */
  dial(addr: PeerAddress, opts: { signal: AbortSignal }): Promise<PeerStream>;
  /** Absent where the runtime cannot listen (browsers). Rejects with `listen_failed` when it cannot bind. */
  listen?(onStream: (s: PeerStream) => void): Promise<Listener>;
  /** Closes every listener, destroys every stream it made and aborts pending dials. */
  close(): Promise<void>;
}
