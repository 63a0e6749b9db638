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
  /** Sends one datagram; resolves when handed to the OS. Rejects with `connection_failed` on errors. */
  send(data: Uint8Array, to: PeerAddress): Promise<void>;
  setSink(sink: DatagramSink): void;
  close(): Promise<void>;
}

/** Creates datagram sockets; Node's implementation lives in transports/udp. Absent in browsers. */
export interface DatagramFactory {
  bind(opts: { host?: string; port?: number }): Promise<DatagramSocket>;
}
