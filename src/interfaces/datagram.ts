/**
 * Datagram contract: one UDP socket shared by the DHT, UDP tracker client and (later) uTP. The socket
 * is demultiplexed above this interface (src/net/udp-demux.ts): each protocol registers a classifier
 * that claims packets by their first bytes (bencoded DHT messages start with 'd', uTP packets with a
 * version nibble of 1, UDP tracker replies with a known transaction id), so the three share one port.
 */
import type { PeerAddress } from './transport.js';

/** Receives datagrams. The view is valid until the callback returns. */
export interface DatagramSink {
  message(data: Uint8Array, from: PeerAddress): void;
  /** The socket failed or closed; called once. */
  close(err?: Error): void;
}

/** A bound UDP socket (IPv4 or IPv6). */
export interface DatagramSocket {
  /** The bound address (port 0 resolved). */
  readonly address: PeerAddress;
  /**
   * Sends one datagram; resolves when handed to the OS. Rejects with `connection_failed` on errors
   * (also after `close`). `to.host` is an IP literal; Node's implementation also accepts a hostname,
   * resolved by the OS in the socket's family (UDP tracker URLs name hosts).
   */
  send(data: Uint8Array, to: PeerAddress): Promise<void>;
  /** Sets the receiver. Datagrams that arrive before a sink is set are dropped (UDP is lossy). */
  setSink(sink: DatagramSink): void;
  /** Closes the socket; resolves once the OS handle is released. The sink's `close` fires once. */
  close(): Promise<void>;
}

/** Creates datagram sockets; Node's implementation lives in transports/udp. Absent in browsers. */
export interface DatagramFactory {
  /**
   * Binds a socket: an IPv6 `host` (contains ':') gives an IPv6 socket, anything else IPv4 (default
   * host 0.0.0.0, port 0 = ephemeral). Rejects with `listen_failed` (port taken, bad address).
   */
  bind(opts: { host?: string; port?: number }): Promise<DatagramSocket>;
}
