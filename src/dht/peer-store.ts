/**
 * Peers announced to us (announce_peer), per info-hash. Bounded in both directions: at most
 * `maxTorrents` info-hashes (when full, the one with the fewest peers is evicted, as libtorrent does)
 * and `maxPeers` per info-hash (when full, the oldest announcement is replaced). Entries expire
 * `expiryMs` after their last announcement (30 minutes by default).
 */

/** One stored peer. */
export interface StoredPeer {
  readonly host: string;
  readonly port: number;
  added: number;
}

/** Limits of a {@link PeerStore}. */
export interface PeerStoreLimits {
  maxTorrents: number;
  maxPeers: number;
  expiryMs: number;
}

/** Announced peers per info-hash. */
export class PeerStore {
  private readonly torrents = new Map<string, Map<string, StoredPeer>>();

  constructor(private readonly limits: PeerStoreLimits) {}

  /** Records (or refreshes) an announcement. */
  add(infoHash: string, host: string, port: number, now: number): void {
    let peers = this.torrents.get(infoHash);
    if (!peers) {
      if (this.torrents.size >= this.limits.maxTorrents) this.evictTorrent();
      peers = new Map();
      this.torrents.set(infoHash, peers);
    }
    const key = `${host}|${port}`;
    const old = peers.get(key);
    if (old) {
      old.added = now;
      peers.delete(key);
      peers.set(key, old); // keep insertion order = age order
      return;
    }
    if (peers.size >= this.limits.maxPeers) {
      const oldest = peers.keys().next();
      if (!oldest.done) peers.delete(oldest.value);
    }
    peers.set(key, { host, port, added: now });
  }

  /** Up to `max` live peers for `infoHash`, a random sample when there are more. */
  get(infoHash: string, max: number, now: number): StoredPeer[] {
    const peers = this.torrents.get(infoHash);
    if (!peers) return [];
    const live = [...peers.values()].filter((p) => now - p.added < this.limits.expiryMs);
    for (let i = live.length - 1; i > 0 && live.length > max; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [live[i], live[j]] = [live[j] as StoredPeer, live[i] as StoredPeer];
    }
    return live.slice(0, max);
  }

  /** Removes expired peers and empty torrents. */
  prune(now: number): void {
    for (const [ih, peers] of this.torrents) {
      for (const [k, p] of peers) if (now - p.added >= this.limits.expiryMs) peers.delete(k);
      if (peers.size === 0) this.torrents.delete(ih);
    }
  }

  /** Number of info-hashes and peers stored. */
  counts(): { torrents: number; peers: number } {
    let peers = 0;
    for (const p of this.torrents.values()) peers += p.size;
    return { torrents: this.torrents.size, peers };
  }

  private evictTorrent(): void {
    let victim: string | undefined;
    let fewest = Infinity;
    for (const [ih, p] of this.torrents) {
      if (p.size < fewest) {
        fewest = p.size;
        victim = ih;
      }
    }
    if (victim !== undefined) this.torrents.delete(victim);
  }
}
