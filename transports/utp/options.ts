/**
 * uTP tunables and their defaults (libtorrent's where it has one). Runtime-neutral.
 */

/** Per-connection and per-socket limits of the uTP implementation. */
export interface UtpOptions {
  /** Payload bytes per packet; 1400 keeps header + UDP + IP under a 1500-byte MTU. */
  packetSize?: number;
  /** Connect timeout for dials, ms. Default 10 000. */
  connectTimeoutMs?: number;
  /** How long `close()` waits for the peer before resetting, ms. Default 5000. */
  closeTimeoutMs?: number;
  /** An accepted SYN that is never acked is forgotten after this many ms. Default 10 000. */
  halfOpenTimeoutMs?: number;
  /** A connection that receives nothing for this long is dropped, ms. Default 120 000. */
  idleTimeoutMs?: number;
  /** An empty STATE is sent after this much silence, ms. Default 29 000. */
  keepaliveMs?: number;
  /** Smallest retransmission timeout, ms. Default 500. */
  minRtoMs?: number;
  /** Consecutive retransmission timeouts before the peer counts as dead. Default 6. */
  maxTimeouts?: number;
  /** LEDBAT target queuing delay, ms. Default 100. */
  targetDelayMs?: number;
  /** LEDBAT gain: bytes per RTT at zero queuing delay. Default 3000. */
  gainBytes?: number;
  /** Largest congestion window, bytes. Default 4 MiB. */
  maxCwnd?: number;
  /** Receive buffer (the window we advertise), bytes. Default 1 MiB. */
  recvBufferSize?: number;
  /** Send buffer high-water mark: `write` returns false at or above it. Default 256 KiB. */
  sendHighWaterMark?: number;
  /** Reorder buffer slots (power of two). Default 1024. */
  reorderCapacity?: number;
  /** Packets outstanding at most. Default 1024. */
  maxInflightPackets?: number;
  /** Verified connections at most (in + out). Default 200. */
  maxConnections?: number;
  /** Verified connections per remote IP at most. Default 64. */
  maxConnectionsPerIp?: number;
  /** Unverified accepted SYNs at most. Default 256. */
  maxHalfOpen?: number;
  /** Unverified accepted SYNs per remote IP at most. Default 64. */
  maxHalfOpenPerIp?: number;
}

/** The defaults. */
export const UTP_DEFAULTS: Required<UtpOptions> = {
  packetSize: 1400,
  connectTimeoutMs: 10_000,
  closeTimeoutMs: 5000,
  halfOpenTimeoutMs: 10_000,
  idleTimeoutMs: 120_000,
  keepaliveMs: 29_000,
  minRtoMs: 500,
  maxTimeouts: 6,
  targetDelayMs: 100,
  gainBytes: 3000,
  maxCwnd: 4 * 1024 * 1024,
  recvBufferSize: 1024 * 1024,
  sendHighWaterMark: 256 * 1024,
  reorderCapacity: 1024,
  maxInflightPackets: 1024,
  maxConnections: 200,
  maxConnectionsPerIp: 64,
  maxHalfOpen: 256,
  maxHalfOpenPerIp: 64,
};

/** Fills in defaults (undefined fields take the default). */
export function resolveUtpOptions(o: UtpOptions = {}): Required<UtpOptions> {
  const out: Required<UtpOptions> = { ...UTP_DEFAULTS };
  for (const k of Object.keys(UTP_DEFAULTS) as Array<keyof UtpOptions>) {
    const v = o[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}
