/**
 * A torrent's known peer addresses (libtorrent's peer_list): where to connect next, with back-off for
 * addresses that failed. An address that failed waits `minReconnectTime × 2^(fails-1)` seconds (capped
 * at 10 × minReconnectTime, and at least 1 s) before it is tried again, and is forgotten after
 * `maxFailcount` consecutive failures, so a failing address is never redialled in a tight loop. A
 * connection that worked (handshake done) resets its count. The list is bounded by `maxPeerlistSize`
 * (the oldest idle entry makes room).
 */
import type { PeerAddress } from '../../interfaces/transport.js';

/** One known address. */
export interface PeerEntry {
  readonly addr: PeerAddress;
  /** Consecutive failures. */
  fails: number;
  /** Not to be dialled before this time (ms, the swarm's clock). */
  retryAt: number;
  /** A connection (in or out) to this address is open or being made. */
  connected: boolean;
}

/** Back-off settings. */
export interface PeerListLimits {
  maxSize: number;
  minReconnectMs: number;
  maxFailcount: number;
}

const keyOf = (a: PeerAddress): string => `${a.host}|${a.port}`;

/** Known peers of one torrent. */
export class PeerList {
  readonly #entries = new Map<string, PeerEntry>();

  constructor(private readonly limits: () => PeerListLimits) {}

  get size(): number {
    return this.#entries.size;
  }

  /** Adds an address (no-op if known); returns its entry, or undefined when the list is full of busy peers. */
  add(addr: PeerAddress): PeerEntry | undefined {
    const k = keyOf(addr);
    const known = this.#entries.get(k);
    if (known) return known;
    const max = this.limits().maxSize;
    if (max === 0) return undefined;
    if (this.#entries.size >= max) {
      let victim: string | undefined;
      for (const [key, e] of this.#entries) if (!e.connected) { victim = key; break; }
      if (victim === undefined) return undefined;
      this.#entries.delete(victim);
    }
    const e: PeerEntry = { addr: { ...addr }, fails: 0, retryAt: 0, connected: false };
    this.#entries.set(k, e);
    return e;
  }

  /** The entry of `addr`, if known. */
  get(addr: PeerAddress): PeerEntry | undefined {
    return this.#entries.get(keyOf(addr));
  }

  /** Up to `n` addresses that may be dialled at `now`, least-failed first. */
  candidates(now: number, n: number): PeerEntry[] {
    const out: PeerEntry[] = [];
    if (n <= 0) return out;
    for (const e of this.#entries.values()) {
      if (!e.connected && e.retryAt <= now) out.push(e);
    }
    out.sort((a, b) => a.fails - b.fails);
    return out.slice(0, n);
  }

  /** A dial or connection to `e` failed (before or right after the handshake). */
  failed(e: PeerEntry, now: number): void {
    e.connected = false;
    e.fails++;
    const { minReconnectMs, maxFailcount } = this.limits();
    if (e.fails >= maxFailcount) {
      this.#entries.delete(keyOf(e.addr));
      return;
    }
    const wait = Math.max(1000, Math.min(minReconnectMs * 2 ** (e.fails - 1), minReconnectMs * 10));
    e.retryAt = now + wait;
  }

  /** A connection to `e` completed its handshake. */
  succeeded(e: PeerEntry): void {
    e.fails = 0;
  }

  /** A working connection to `e` ended: it may be dialled again after the reconnect time. */
  disconnected(e: PeerEntry, now: number): void {
    e.connected = false;
    e.retryAt = now + Math.max(1000, this.limits().minReconnectMs);
  }

  /** Makes every idle address dialable at once (the torrent resumed). */
  resetBackoff(): void {
    for (const e of this.#entries.values()) if (!e.connected) e.retryAt = 0;
  }

  /** Forgets `host` entirely (banned or filtered). */
  removeHost(host: string): void {
    for (const [k, e] of this.#entries) if (e.addr.host === host) this.#entries.delete(k);
  }
}
