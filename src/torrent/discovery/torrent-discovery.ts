/**
 * One torrent's peer sources besides the peers it was given: trackers (BEP 3/12/15 through the Announcer),
 * the DHT (BEP 5) and local service discovery (BEP 14). PEX and ut_metadata ride on peer connections
 * (peer-extensions.ts).
 *
 * Lifecycle (driven by Torrent.#syncSwarm): discovery is *active* while the torrent may have peers — not
 * paused (itself or its session), no error, not closing, and either fetching metadata or checked. Becoming
 * active starts the announcer (`started`, or as a seed when complete), a DHT announce + get_peers now and
 * every `dhtAnnounceInterval` seconds, and LSD announces. Becoming inactive stops them; trackers get
 * `stopped` in the background (each bounded by `stopTrackerTimeout`). `close()` (remove, session close)
 * does the same and waits for the `stopped` announces. The download finishing sends `completed`.
 *
 * BEP 27: a private torrent uses its trackers only — no DHT, LSD or PEX.
 */
import { TorrentError } from '../../errors.js';
import type { PeerAddress } from '../../interfaces/transport.js';
import { Announcer } from '../../tracker/announcer.js';
import type { AnnouncerOwner, TrackerStatus } from '../../tracker/announcer-types.js';
import type { TrackerClient } from '../../tracker/types.js';
import type { AlertFields, AlertType } from '../../session/alerts.js';
import type { SettingsPack } from '../../session/settings.js';
import { WebSocketTrackers, isWebSocketTracker } from './websocket-trackers.js';
import type { WebSocketTrackerAvailability } from './websocket-trackers.js';

const toAlertError = (e: TorrentError): { code: TorrentError['code']; message: string } => ({ code: e.code, message: e.message });

/** Where a peer address came from. */
export type PeerSource = 'tracker' | 'dht' | 'pex' | 'lsd' | 'user' | 'magnet';

/** The session's discovery services, as one torrent sees them (implemented by src/session/discovery.ts). */
export interface DiscoveryServices {
  readonly peerId: Uint8Array;
  settings(): Readonly<SettingsPack>;
  /** Resolves when the listen port is known (listeners bound). */
  readonly ready: Promise<void>;
  /** Our TCP listen port (announced to trackers and the DHT). */
  listenPort(): number;
  /** Tracker protocol clients (HTTP(S), UDP when the session has a UDP socket). */
  trackerClients(): readonly TrackerClient[];
  /** The DHT, when enabled and running. */
  dht(): { getPeers(ih: Uint8Array, onPeers: (p: PeerAddress[]) => void): Promise<unknown>; announce(ih: Uint8Array, port: number): Promise<{ peers: PeerAddress[] }> } | undefined;
  /** Local service discovery, when enabled and running. */
  lsd(): { addTorrent(ihHex: string): void; removeTorrent(ihHex: string): void } | undefined;
  /** WebSocket (WebRTC) trackers' services, or why they cannot run (websocket-trackers.ts). */
  webSocketTrackers?(): WebSocketTrackerAvailability | undefined;
}

/** What discovery needs from its torrent. */
export interface DiscoveryTorrent {
  /** The 20-byte handshake info-hash. */
  readonly infoHash: Uint8Array;
  readonly infoHashHex: string;
  isPrivate(): boolean;
  /** Bytes uploaded / downloaded (payload) and left to download, for announces. */
  announceStats(): { uploaded: number; downloaded: number; left: number };
  addPeer(addr: PeerAddress, source: PeerSource): void;
  post<K extends AlertType>(type: K, fields: Omit<AlertFields<K>, 'infoHash' | 'name'>): void;
}

/** Trackers, DHT and LSD of one torrent. */
export class TorrentDiscovery {
  readonly #t: DiscoveryTorrent;
  readonly #svc: DiscoveryServices;
  #announcer: Announcer;
  /** ws:// and wss:// trackers, beside the announcer's http/udp ones. */
  readonly #ws: WebSocketTrackers;
  #port: number;
  #everStarted = false;
  readonly #trackerClients: TrackerClient[];
  #active = false;
  #closed = false;
  #seeding = false;
  #dhtTimer: ReturnType<typeof setTimeout> | undefined;
  #lsdOn = false;
  #stopping: Promise<void> = Promise.resolve();
  readonly #ac = new AbortController();

  constructor(t: DiscoveryTorrent, svc: DiscoveryServices, trackers: readonly (readonly string[])[]) {
    this.#t = t;
    this.#svc = svc;
    const clients: TrackerClient[] = [];
    // Each announce is posted as tracker_announce before it goes out.
    const wrap = (c: TrackerClient): TrackerClient => ({
      canHandle: (url) => c.canHandle(url),
      announce: (url, req, opts) => {
        t.post('tracker_announce', { url, event: req.event ?? 'none' });
        return c.announce(url, req, opts);
      },
      scrape: (url, hashes, opts) => c.scrape(url, hashes, opts),
    });
    const lazy: TrackerClient = {
      canHandle: (url) => svc.trackerClients().some((c) => c.canHandle(url)),
      announce: (url, req, opts) => pick(svc, url).announce(url, req, opts),
      scrape: (url, hashes, opts) => pick(svc, url).scrape(url, hashes, opts),
    };
    clients.push(wrap(lazy));
    this.#trackerClients = clients;
    this.#port = svc.listenPort();
    this.#ws = new WebSocketTrackers(t, {
      peerId: svc.peerId,
      services: () => svc.webSocketTrackers?.(),
      stopTimeoutMs: () => svc.settings().stopTrackerTimeout * 1000,
      wantPeers: () => true,
    }, trackers.flat().filter(isWebSocketTracker));
    this.#announcer = this.#makeAnnouncer(trackers.map((tier) => tier.filter((u) => !isWebSocketTracker(u))));
  }

  #makeAnnouncer(trackers: readonly (readonly string[])[]): Announcer {
    const s = this.#svc.settings();
    return new Announcer({
      infoHash: this.#t.infoHash,
      peerId: this.#svc.peerId,
      port: this.#port > 0 ? this.#port : 6881,
      trackers,
      clients: this.#trackerClients,
      owner: this.#owner(),
      numWant: s.numWant,
      announceToAllTiers: s.announceToAllTiers,
      announceToAllTrackers: s.announceToAllTrackers,
      completionTimeoutMs: s.trackerCompletionTimeout * 1000,
      stopTimeoutMs: s.stopTrackerTimeout * 1000,
    });
  }

  /** The listen port became known after this torrent was added: rebuild the (never started) announcer with it. */
  #checkPort(): void {
    const port = this.#svc.listenPort();
    if (port === this.#port || port === 0 || this.#everStarted) return;
    this.#port = port;
    const tiers: string[][] = [];
    for (const e of this.#announcer.trackers()) (tiers[e.tier] ??= []).push(e.url);
    this.#announcer = this.#makeAnnouncer(tiers.filter((x) => x !== undefined));
  }

  #owner(): AnnouncerOwner {
    const t = this.#t;
    return {
      announceStats: () => t.announceStats(),
      onAnnounceReply: ({ url, event, response }) => {
        if (event === 'stopped') return;
        t.post('tracker_reply', { url, numPeers: response.peers.length });
        for (const p of response.peers) t.addPeer({ host: p.host, port: p.port }, 'tracker');
      },
      onTrackerWarning: ({ url, message }) => t.post('tracker_warning', { url, message }),
      onTrackerError: ({ url, error, fails, retryInMs }) => {
        t.post('tracker_error', { url, error: toAlertError(error), timesInRow: fails, retryIn: Math.round(retryInMs / 1000) });
      },
      onScrapeReply: ({ url, counts }) => t.post('scrape_reply', { url, complete: counts.complete, incomplete: counts.incomplete, downloaded: counts.downloaded }),
      onScrapeError: ({ url, error }) => t.post('scrape_failed', { url, error: toAlertError(error) }),
    };
  }

  /** Starts or stops discovery; `seeding` tells the announcer the torrent is complete. */
  sync(active: boolean, seeding: boolean): void {
    if (this.#closed) return;
    if (active === this.#active) return;
    this.#active = active;
    if (active) {
      this.#seeding = seeding;
      void this.#svc.ready.then(() => this.#start(), () => this.#start());
    } else this.#stop();
  }

  #start(): void {
    if (!this.#active || this.#closed) return;
    this.#checkPort();
    this.#everStarted = true;
    this.#announcer.start({ seeding: this.#seeding });
    this.#ws.start();
    if (!this.#t.isPrivate()) {
      this.#dhtRound();
      const lsd = this.#svc.lsd();
      if (lsd) {
        lsd.addTorrent(this.#t.infoHashHex);
        this.#lsdOn = true;
      }
    }
  }

  #stop(): void {
    if (this.#dhtTimer) clearTimeout(this.#dhtTimer);
    this.#dhtTimer = undefined;
    if (this.#lsdOn) this.#svc.lsd()?.removeTorrent(this.#t.infoHashHex);
    this.#lsdOn = false;
    if (this.#announcer.isRunning) this.#stopping = Promise.all([this.#stopping, this.#announcer.stop()]).then(() => undefined);
    this.#stopping = Promise.all([this.#stopping, this.#ws.stop()]).then(() => undefined);
  }

  /** One DHT round: announce (which also looks up peers), then again after `dhtAnnounceInterval`. */
  #dhtRound(): void {
    if (!this.#active || this.#closed || this.#t.isPrivate()) return;
    const dht = this.#svc.dht();
    const port = this.#svc.listenPort();
    if (dht && port > 0) {
      void dht.announce(this.#t.infoHash, port).then(
        (r) => {
          if (this.#active) for (const p of r.peers) this.#t.addPeer(p, 'dht');
        },
        () => undefined,
      );
    }
    this.#dhtTimer = setTimeout(() => this.#dhtRound(), this.#svc.settings().dhtAnnounceInterval * 1000);
  }

  /** The download finished: `completed` to the trackers. */
  completed(): void {
    this.#seeding = true;
    if (this.#announcer.isRunning) this.#announcer.complete();
    this.#ws.completed();
  }

  /** libtorrent's trackers(): every tracker with its status. */
  trackers(): TrackerStatus[] {
    return [...this.#announcer.trackers(), ...this.#ws.statuses()];
  }

  /** Adds a tracker (announced at once when active); false when listed already. */
  addTracker(url: string, tier = 0): boolean {
    if (typeof url !== 'string' || url === '') throw new TorrentError('invalid_argument', 'a tracker URL must be a non-empty string');
    if (!Number.isInteger(tier) || tier < 0) throw new TorrentError('invalid_argument', 'a tracker tier is a non-negative integer');
    return isWebSocketTracker(url) ? this.#ws.add(url) : this.#announcer.addTracker(url, tier);
  }

  /** Reannounces to every tracker now (ignoring `min interval`, as libtorrent's force_reannounce). */
  forceReannounce(): void {
    if (this.#announcer.isRunning) this.#announcer.forceReannounce({ ignoreMinInterval: true });
    this.#ws.forceReannounce();
  }

  /** Announces to the DHT now (libtorrent's force_dht_announce). */
  forceDhtAnnounce(): void {
    if (!this.#active) return;
    if (this.#dhtTimer) clearTimeout(this.#dhtTimer);
    this.#dhtRound();
  }

  /** Scrapes the current tracker (scrape_reply / scrape_failed). */
  scrape(): Promise<void> {
    return this.#announcer.scrape();
  }

  /** Stops everything; waits for `stopped` announces (bounded by stopTrackerTimeout). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#stop();
    this.#active = false;
    this.#closed = true;
    this.#ac.abort();
    await this.#stopping;
    this.#announcer.close();
  }
}

function pick(svc: DiscoveryServices, url: string): TrackerClient {
  const c = svc.trackerClients().find((x) => x.canHandle(url));
  if (!c) throw new TorrentError('not_supported', `no tracker client for ${url}`, { details: { url } });
  return c;
}
