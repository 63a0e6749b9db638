/**
 * In-memory swarms for the tracker server. A peer is keyed by its binary peer id within a swarm; it
 * carries either an address (HTTP/UDP peers) or a signalling socket (WebSocket peers), never both
 * lists mixed in replies. Peers not heard from within `peerTtlMs` are swept. Limits: `maxTorrents`
 * swarms, `maxPeersPerTorrent` peers per swarm (new peers are refused once full, not evicting others).
 */

/** Something that can carry a relayed frame to a WebSocket peer. */
export interface SignalSocket {
  send(text: string): void;
}

/** One peer in a swarm. */
export interface SwarmPeer {
  readonly peerId: string;
  ip: string;
  port: number;
  left: number;
  lastSeen: number;
  socket?: SignalSocket;
}

/** Store limits. */
export interface SwarmLimits {
  maxTorrents: number;
  maxPeersPerTorrent: number;
  peerTtlMs: number;
}

/** One torrent's peers. */
export class Swarm {
  readonly peers = new Map<string, SwarmPeer>();
  /** Completed-download counter (scrape `downloaded`). */
  downloaded = 0;

  get complete(): number {
    let n = 0;
    for (const p of this.peers.values()) if (p.left === 0) n++;
    return n;
  }

  get incomplete(): number {
    return this.peers.size - this.complete;
  }

  /** Up to `n` random peers of the same kind (socket or address), excluding `self`. */
  pick(n: number, self: string, withSocket: boolean): SwarmPeer[] {
    const all = [...this.peers.values()].filter((p) => p.peerId !== self && (p.socket !== undefined) === withSocket);
    for (let i = all.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [all[i], all[j]] = [all[j] as SwarmPeer, all[i] as SwarmPeer];
    }
    return all.slice(0, Math.max(0, n));
  }
}

/** All swarms. */
export class SwarmStore {
  readonly swarms = new Map<string, Swarm>();
  readonly #limits: SwarmLimits;

  constructor(limits: SwarmLimits) {
    this.#limits = limits;
  }

  get(infoHash: string): Swarm | undefined {
    return this.swarms.get(infoHash);
  }

  /**
   * Applies an announce. Returns the swarm, or a refusal reason when a limit is hit. `stopped` removes
   * the peer; `completed` bumps the downloaded counter once per peer transition.
   */
  announce(infoHash: string, peer: Omit<SwarmPeer, 'lastSeen'>, event: string | undefined, now: number): Swarm | string {
    let swarm = this.swarms.get(infoHash);
    if (event === 'stopped') {
      swarm?.peers.delete(peer.peerId);
      if (swarm !== undefined && swarm.peers.size === 0 && swarm.downloaded === 0) this.swarms.delete(infoHash);
      return swarm ?? new Swarm();
    }
    if (swarm === undefined) {
      if (this.swarms.size >= this.#limits.maxTorrents) return 'too many torrents';
      swarm = new Swarm();
      this.swarms.set(infoHash, swarm);
    }
    const old = swarm.peers.get(peer.peerId);
    if (old === undefined && swarm.peers.size >= this.#limits.maxPeersPerTorrent) return 'swarm full';
    if (event === 'completed' && (old === undefined || old.left !== 0)) swarm.downloaded++;
    swarm.peers.set(peer.peerId, { ...peer, lastSeen: now });
    return swarm;
  }

  /** Removes a WebSocket peer's entries (its socket closed). */
  removeSocket(socket: SignalSocket, infoHashes: Iterable<string>, peerId: string): void {
    for (const ih of infoHashes) {
      const s = this.swarms.get(ih);
      const p = s?.peers.get(peerId);
      if (s !== undefined && p?.socket === socket) {
        s.peers.delete(peerId);
        if (s.peers.size === 0 && s.downloaded === 0) this.swarms.delete(ih);
      }
    }
  }

  /** Drops peers not seen within the TTL, and empty swarms. */
  sweep(now: number): void {
    for (const [ih, s] of this.swarms) {
      for (const [id, p] of s.peers) if (now - p.lastSeen > this.#limits.peerTtlMs) s.peers.delete(id);
      if (s.peers.size === 0 && s.downloaded === 0) this.swarms.delete(ih);
    }
  }
}
