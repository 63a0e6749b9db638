/**
 * Node glue: binds a UDP socket (transports/udp, node:dgram) and runs a uTP transport on it alone.
 * To share the session's socket with the DHT and UDP trackers, pass its UdpDemux to createUtpTransport.
 */
import { createUdpFactory } from '../udp/index.js';
import { createUtpTransport } from './utp-transport.js';
import type { UtpTransport, UtpTransportOptions } from './utp-transport.js';

/** Options for {@link bindUtpTransport}. */
export interface BindUtpOptions extends Omit<UtpTransportOptions, 'demux' | 'datagramSocket'> {
  /** Interface to bind; default 0.0.0.0 (an IPv6 literal binds udp6). */
  host?: string;
  /** UDP port; 0 (default) picks a free one. */
  port?: number;
  /** SO_RCVBUF / SO_SNDBUF; default 2 MiB (the kernel caps it at net.core.rmem_max). */
  udpBufferSize?: number;
}

/** Binds a UDP socket and creates a uTP transport that owns it (closing the transport closes the socket). */
export async function bindUtpTransport(opts: BindUtpOptions = {}): Promise<UtpTransport> {
  const { host, port, udpBufferSize, ...rest } = opts;
  const socket = await createUdpFactory({ bufferSize: udpBufferSize ?? 2 * 1024 * 1024 }).bind({ host: host ?? '0.0.0.0', port: port ?? 0 });
  return createUtpTransport({ ...rest, datagramSocket: socket });
}
