/**
 * Rate limits for the DHT (HOSTILE-INPUTS case 26).
 *
 * - {@link PerIpLimiter}: incoming queries per source IP, a token bucket of `rate` queries/s that
 *   holds ten seconds' worth (libtorrent's dos_blocker also judges the rate over 10 s: 50 queries in
 *   a burst are fine, a sustained 6/s is not). A one-second burst was too strict: several nodes
 *   behind one address (a NAT, or every node on loopback) bootstrapping and looking up at once got
 *   that address blocked for minutes. A source that empties its bucket is ignored for `blockMs`
 *   (libtorrent's dht_block_ratelimit / dht_block_timeout). The table is bounded: when full, idle entries are
 *   pruned, and if none are idle the new source is refused (fail closed under a flood of sources).
 * - {@link ByteBucket}: the outgoing traffic cap in bytes/s (libtorrent's dht_upload_rate_limit).
 */

interface IpState {
  tokens: number;
  last: number;
  blockedUntil: number;
}

/** Per-IP query limiter. */
export class PerIpLimiter {
  private readonly table = new Map<string, IpState>();

  /**
   * @param rate queries per second allowed from one IP (≤ 0 disables the limiter)
   * @param blockMs how long an offending IP is ignored
   * @param maxEntries bound on tracked IPs
   * @param burstSeconds how many seconds of `rate` a source may send at once
   */
  constructor(
    private readonly rate: number,
    private readonly blockMs: number,
    private readonly maxEntries = 10_000,
    burstSeconds = 10,
  ) {
    this.burst = rate * burstSeconds;
  }

  private readonly burst: number;

  /** True when a query from `ip` at time `now` may be processed. */
  allow(ip: string, now: number): boolean {
    if (this.rate <= 0) return true;
    let s = this.table.get(ip);
    if (!s) {
      if (this.table.size >= this.maxEntries) this.prune(now);
      if (this.table.size >= this.maxEntries) return false;
      s = { tokens: this.burst, last: now, blockedUntil: 0 };
      this.table.set(ip, s);
    }
    if (now < s.blockedUntil) return false;
    s.tokens = Math.min(this.burst, s.tokens + ((now - s.last) / 1000) * this.rate);
    s.last = now;
    if (s.tokens < 1) {
      s.blockedUntil = now + this.blockMs;
      return false;
    }
    s.tokens -= 1;
    return true;
  }

  /** True when `ip` is currently blocked. */
  isBlocked(ip: string, now: number): boolean {
    const s = this.table.get(ip);
    return s !== undefined && now < s.blockedUntil;
  }

  /** Drops entries that are neither blocked nor recently active (their bucket would be full again). */
  prune(now: number): void {
    for (const [ip, s] of this.table) {
      if (now >= s.blockedUntil && s.tokens + ((now - s.last) / 1000) * this.rate >= this.burst) this.table.delete(ip);
    }
  }

  /** Tracked IPs. */
  get size(): number {
    return this.table.size;
  }
}

/** A token bucket of bytes with a one-second burst. */
export class ByteBucket {
  private tokens: number;
  private last: number;

  /** @param rate bytes per second (≤ 0: unlimited) */
  constructor(
    private readonly rate: number,
    now: number,
  ) {
    this.tokens = rate;
    this.last = now;
  }

  /** Takes `n` bytes if available; false means the datagram must be dropped. */
  take(n: number, now: number): boolean {
    if (this.rate <= 0) return true;
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }
}
