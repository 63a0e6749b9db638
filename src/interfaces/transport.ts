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

/** Receives what a {@link PeerStream} delivers. Called synchronously; never throws back into the stream. */
export interface StreamSink {
  /** A chunk of bytes. The view is valid until the callback returns unless the sink copies it. */
  data(chunk: Uint8Array): void;
  /** The write buffer drained below its high-water mark after `write` returned false. */
  drain(): void;
  /** The stream ended; `err` is set when it failed. Called once. */
  close(err?: Error): void;
}

/** A bidirectional byte pipe to one peer. */
export interface PeerStream {
  /** Queues bytes; returns false when the caller should wait for `drain`. */
  write(data: Uint8Array): boolean;
  /** Queues several buffers as one write (header + block view) without concatenating them. */
  writev?(chunks: readonly Uint8Array[]): boolean;
  setSink(sink: StreamSink): void;
  pause(): void;
  resume(): void;
  /** Flushes queued bytes, then closes. */
  close(): Promise<void>;
  /** Closes at once, dropping queued bytes. */
  destroy(err?: Error): void;
  readonly remote: PeerAddress;
  readonly direction: 'in' | 'out';
}

/** A listening endpoint. */
export interface Listener {
  /** The address actually bound (port 0 resolved). */
  readonly address: PeerAddress;
  close(): Promise<void>;
}

/** A way to reach peers. */
export interface Transport {
  readonly name: string;
  canDial(addr: PeerAddress): boolean;
  dial(addr: PeerAddress, opts: { signal: AbortSignal }): Promise<PeerStream>;
  /** Absent where the runtime cannot listen (browsers). */
  listen?(onStream: (s: PeerStream) => void): Promise<Listener>;
  close(): Promise<void>;
}
