/**
 * The uTP socket manager: every connection on one UDP socket, keyed by remote address and receive id.
 * Runtime-neutral (globalThis timers and crypto.getRandomValues only).
 *
 * - A SYN for an unknown connection, while accepting, creates an *unverified* connection (no buffers)
 *   answered by one 20-byte STATE; it counts against `maxHalfOpen` / `maxHalfOpenPerIp` and expires after
 *   `halfOpenTimeoutMs`. When the peer acks our STATE it is verified and counts against
 *   `maxConnections` / `maxConnectionsPerIp`, and the listener gets its stream. Over a cap, or when not
 *   accepting, a SYN gets a RESET (20 bytes: never larger than the request).
 * - Any other packet for an unknown connection gets a RESET, except RESETs (no ping-pong).
 * - Malformed datagrams are counted and ignored.
 * - One interval timer (`tickMs`) runs while any connection exists, so an idle manager holds no timer.
 */
import type { TorrentError } from '../../src/errors.js';
import type { PeerAddress } from '../../src/interfaces/transport.js';
import type { UtpOptions } from './options.js';
import { UtpConnection } from './connection.js';
import type { ConnectionHost } from './connection.js';
import { ST_RESET, ST_SYN, decodePacket, encodePacket, seqAdd } from './packet.js';
import type { UtpPacket } from './packet.js';

/** Where the manager sends datagrams. */
export interface DatagramOut {
  send(data: Uint8Array, to: PeerAddress): Promise<void>;
}

/** Counters kept by the manager. */
export interface UtpStats {
  /** Datagrams that failed strict parsing. */
  malformed: number;
  /** SYNs refused (not listening or over a cap). */
  refusedSyns: number;
  /** RESETs sent for unknown connections. */
  resetsSent: number;
  /** Packets for unknown connections. */
  unknown: number;
}

const random16 = (): number => {
  const a = new Uint16Array(1);
  crypto.getRandomValues(a);
  return a[0] as number;
};

const later: (fn: () => void) => void = typeof (globalThis as { setImmediate?: unknown }).setImmediate === 'function'
  ? (fn) => { (globalThis as unknown as { setImmediate: (f: () => void) => void }).setImmediate(fn); }
  : (fn) => { setTimeout(fn, 0); };

/** Owns the connections of one socket. `onAccept` is called for each verified inbound connection. */
export class UtpSocketManager {
  readonly stats: UtpStats = { malformed: 0, refusedSyns: 0, resetsSent: 0, unknown: 0 };
  /** Called when an inbound connection is verified; undefined = not accepting. */
  onAccept: ((conn: UtpConnection) => void) | undefined;
  readonly #conns = new Map<string, UtpConnection>();
  readonly #verifiedPerIp = new Map<string, number>();
  readonly #halfOpenPerIp = new Map<string, number>();
  #verified = 0;
  #halfOpen = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly #pendingSends = new Set<Promise<void>>();
  #closed = false;
  readonly #host: ConnectionHost;

  constructor(
    private readonly out: DatagramOut,
    private readonly opts: Required<UtpOptions>,
    private readonly tickMs = 50,
  ) {
    this.#host = {
      send: (data, to) => this.#send(data, to),
      now: () => performance.now(),
      later,
      verified: (c) => this.#onVerified(c),
      released: (c) => this.#onReleased(c),
    };
  }

  /** Connections (verified or not) currently tracked. */
  get size(): number {
    return this.#conns.size;
  }

  /** Verified connections. */
  get verifiedCount(): number {
    return this.#verified;
  }

  /** Unverified (half-open) inbound connections. */
  get halfOpenCount(): number {
    return this.#halfOpen;
  }

  /** Handles one datagram from the socket. */
  onDatagram(data: Uint8Array, from: PeerAddress): void {
    if (this.#closed) return;
    const p = decodePacket(data);
    if (p === undefined) {
      this.stats.malformed++;
      return;
    }
    if (p.type === ST_SYN) return this.#onSyn(p, from);
    const conn = this.#conns.get(key(from, p.connectionId));
    if (conn !== undefined) return conn.onPacket(p);
    if (p.type === ST_RESET) {
      // libtorrent answers an unknown packet with a RESET on the id it received; accept either id.
      const other = this.#conns.get(key(from, seqAdd(p.connectionId, -1))) ?? this.#conns.get(key(from, seqAdd(p.connectionId, 1)));
      if (other !== undefined && other.sendId === p.connectionId) other.onPacket(p);
      else this.stats.unknown++;
      return;
    }
    this.stats.unknown++;
    this.#reset(p, from, p.connectionId);
  }

  #onSyn(p: UtpPacket, from: PeerAddress): void {
    const recvId = seqAdd(p.connectionId, 1);
    const existing = this.#conns.get(key(from, recvId));
    if (existing !== undefined) return existing.onPacket(p);
    const o = this.opts;
    if (
      this.onAccept === undefined
      || this.#halfOpen >= o.maxHalfOpen
      || (this.#halfOpenPerIp.get(from.host) ?? 0) >= o.maxHalfOpenPerIp
      || this.#verified >= o.maxConnections
      || (this.#verifiedPerIp.get(from.host) ?? 0) >= o.maxConnectionsPerIp
    ) {
      this.stats.refusedSyns++;
      this.#reset(p, from, p.connectionId);
      return;
    }
    const conn = new UtpConnection(this.#host, { host: from.host, port: from.port }, recvId, p.connectionId, o, 'in');
    this.#conns.set(key(from, recvId), conn);
    bump(this.#halfOpenPerIp, from.host, 1);
    this.#halfOpen++;
    this.#ensureTimer();
    conn.acceptSyn(p, random16());
  }

  /** Opens an outbound connection (sends the SYN); the caller watches its events. */
  dial(remote: PeerAddress): UtpConnection {
    let recvId = random16();
    while (this.#conns.has(key(remote, recvId)) || this.#conns.has(key(remote, seqAdd(recvId, 1)))) recvId = random16();
    const conn = new UtpConnection(this.#host, { host: remote.host, port: remote.port }, recvId, seqAdd(recvId, 1), this.opts, 'out');
    this.#conns.set(key(remote, recvId), conn);
    this.#verified++;
    bump(this.#verifiedPerIp, remote.host, 1);
    this.#ensureTimer();
    conn.startDial(random16());
    return conn;
  }

  /** True when another verified connection is allowed (total cap). */
  canOpen(): boolean {
    return this.#verified < this.opts.maxConnections;
  }

  #onVerified(c: UtpConnection): void {
    this.#halfOpen--;
    bump(this.#halfOpenPerIp, c.remote.host, -1);
    this.#verified++;
    bump(this.#verifiedPerIp, c.remote.host, 1);
    if (this.onAccept === undefined) {
      c.reset(undefined, true);
      return;
    }
    this.onAccept(c);
  }

  #onReleased(c: UtpConnection): void {
    const k = key(c.remote, c.recvId);
    if (this.#conns.get(k) !== c) return;
    this.#conns.delete(k);
    if (!c.verified) {
      this.#halfOpen--;
      bump(this.#halfOpenPerIp, c.remote.host, -1);
    } else {
      this.#verified--;
      bump(this.#verifiedPerIp, c.remote.host, -1);
    }
    if (this.#conns.size === 0) this.#stopTimer();
  }

  #reset(p: UtpPacket, to: PeerAddress, connectionId: number): void {
    this.stats.resetsSent++;
    this.#send(encodePacket({ type: ST_RESET, connectionId, timestamp: Math.floor(performance.now() * 1000) >>> 0, timestampDiff: 0, wndSize: 0, seqNr: random16(), ackNr: p.seqNr }), to);
  }

  #send(data: Uint8Array, to: PeerAddress): void {
    const s = this.out.send(data, to).catch(() => undefined);
    this.#pendingSends.add(s);
    void s.then(() => this.#pendingSends.delete(s));
  }

  #ensureTimer(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setInterval(() => {
      const now = performance.now();
      for (const c of [...this.#conns.values()]) c.tick(now);
    }, this.tickMs);
  }

  #stopTimer(): void {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Resets every connection (their streams see `err`), stops the timer and waits for the RESETs to go out. */
  async close(err: () => TorrentError): Promise<void> {
    this.onAccept = undefined;
    for (const c of [...this.#conns.values()]) c.reset(c.state === 'syn_recv' ? undefined : err(), c.state === 'syn_recv');
    this.#closed = true;
    this.#stopTimer();
    await Promise.allSettled([...this.#pendingSends]);
  }
}

function key(a: PeerAddress, id: number): string {
  return `${a.host}|${a.port}|${id}`;
}

function bump(m: Map<string, number>, k: string, d: number): void {
  const v = (m.get(k) ?? 0) + d;
  if (v <= 0) m.delete(k);
  else m.set(k, v);
}
