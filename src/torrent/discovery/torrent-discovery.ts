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
 *
 * The Announcer (tracker/announcer.ts: tiers, events, back-off) serves the http(s) and udp trackers only;
 * ws:// and wss:// ones go to WebSocketTrackers. Its code loads on first use (../../lazy.ts): when the
 * torrent has such a tracker, at once, or when one is added. Until it is in, those trackers are listed as
 * no announce has gone to them yet (`trackers()`), trackers added meanwhile join their tier in order, and a
 * start waits: once loaded, the announcer is made with every tracker listed and started if discovery was
 * started meanwhile (as a seed when the torrent completed meanwhile, as when it starts complete), so the
 * announces and their alerts are the ones an announcer made at once would have sent, a load later. A
 * `stop` before then has nothing to stop (no announce went out). A scrape waits for the load. A failed load
 * posts `session_error` (`not_supported`); the next start, added tracker or scrape tries again.
 */
import { TorrentError } from '../../errors.js';
import type { PeerAddress } from '../../interfaces/transport.js';
import type { Announcer } from '../../tracker/announcer.js';
import { unannouncedTrackerStatus } from '../../tracker/announcer-types.js';
import type { TrackerStatus } from '../../tracker/announcer-types.js';
import type { TrackerClient } from '../../tracker/types.js';
import type { AlertFields, AlertType } from '../../session/alerts.js';
import type { SettingsPack } from '../../session/settings.js';
import { WebSocketTrackers, isWebSocketTracker } from './websocket-trackers.js';
import type { WebSocketTrackerAvailability } from './websocket-trackers.js';
import { lazy } from '../../lazy.js';

/** The announcer (http / udp trackers), loaded when a torrent has such a tracker. */
const loadAnnouncer = lazy(() => import('./torrent-announcer.js'));

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
  /** Made once its code is in and the torrent has an http / udp tracker (see the module notes). */
  #announcer: Announcer | undefined;
  /** The http / udp trackers, in tier order, until the announcer is made. */
  #pending: { url: string; tier: number }[] = [];
  #loading = false;
  /** #start ran and #stop has not since: the announcer starts when it is made. */
  #started = false;
  /** ws:// and wss:// trackers, beside the announcer's http/udp ones. */
  readonly #ws: WebSocketTrackers;
  #port: number;
  #everStarted = false;
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
    this.#port = svc.listenPort();
    this.#ws = new WebSocketTrackers(t, {
      peerId: svc.peerId,
      services: () => svc.webSocketTrackers?.(),
      stopTimeoutMs: () => svc.settings().stopTrackerTimeout * 1000,
      wantPeers: () => true,
    }, trackers.flat().filter(isWebSocketTracker));
    trackers.forEach((tier, i) => tier.forEach((url) => {
      if (!isWebSocketTracker(url)) this.#list(url, i);
    }));
    this.#announcerNeeded();
  }

  /** Lists an http / udp tracker until the announcer is made, in tier order; false when listed already. */
  #list(url: string, tier: number): boolean {
    if (this.#pending.some((e) => e.url === url)) return false;
    this.#pending.push({ url, tier });
    this.#pending.sort((a, b) => a.tier - b.tier); // stable: last in its tier, as the announcer adds it
    return true;
  }

  /**
   * Makes the announcer when there are trackers for it (their tiers kept), and starts it if discovery was
   * started: at once when its code is in, else once it has loaded.
   */
  #announcerNeeded(): void {
    if (this.#announcer || this.#closed || this.#pending.length === 0) return;
    const code = loadAnnouncer.loaded;
    if (!code) {
      if (this.#loading) return;
      this.#loading = true;
      loadAnnouncer().then(
        () => {
          this.#loading = false;
          this.#announcerNeeded();
        },
        (err: unknown) => {
          this.#loading = false;
          if (!this.#closed) this.#t.post('session_error', { error: { code: 'not_supported', message: `tracker announcer not loaded: ${String(err)}` } });
        },
      );
      return;
    }
    this.#announcer = code.makeAnnouncer(this.#t, this.#svc, this.#port, this.#pending);
    this.#pending = [];
    if (this.#started) this.#announcer.start({ seeding: this.#seeding });
  }

  /** The listen port became known after this torrent was added: rebuild the (never started) announcer with it. */
  #checkPort(): void {
    const port = this.#svc.listenPort();
    if (port === this.#port || port === 0 || this.#everStarted) return;
    this.#port = port;
    const code = loadAnnouncer.loaded;
    if (!this.#announcer || !code) return; // made later, with the port then known
    this.#announcer = code.makeAnnouncer(this.#t, this.#svc, port, this.#announcer.trackers());
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
    this.#started = true;
    if (this.#announcer) this.#announcer.start({ seeding: this.#seeding });
    else this.#announcerNeeded();
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
    this.#started = false;
    if (this.#announcer?.isRunning) this.#stopping = Promise.all([this.#stopping, this.#announcer.stop()]).then(() => undefined);
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
    if (this.#announcer?.isRunning) this.#announcer.complete();
    this.#ws.completed();
  }

  /** libtorrent's trackers(): every tracker with its status. */
  trackers(): TrackerStatus[] {
    const own = this.#announcer?.trackers() ?? this.#pending.map((e) => unannouncedTrackerStatus(e.url, e.tier));
    return [...own, ...this.#ws.statuses()];
  }

  /** Adds a tracker (announced at once when active); false when listed already. */
  addTracker(url: string, tier = 0): boolean {
    if (typeof url !== 'string' || url === '') throw new TorrentError('invalid_argument', 'a tracker URL must be a non-empty string');
    if (!Number.isInteger(tier) || tier < 0) throw new TorrentError('invalid_argument', 'a tracker tier is a non-negative integer');
    if (isWebSocketTracker(url)) return this.#ws.add(url);
    if (this.#announcer) return this.#announcer.addTracker(url, tier);
    if (!this.#list(url, tier)) return false;
    this.#announcerNeeded();
    return true;
  }

  /** Reannounces to every tracker now (ignoring `min interval`, as libtorrent's force_reannounce). */
  forceReannounce(): void {
    if (this.#announcer?.isRunning) this.#announcer.forceReannounce({ ignoreMinInterval: true });
    this.#ws.forceReannounce();
  }

  /** Announces to the DHT now (libtorrent's force_dht_announce). */
  forceDhtAnnounce(): void {
    if (!this.#active) return;
    if (this.#dhtTimer) clearTimeout(this.#dhtTimer);
    this.#dhtRound();
  }

  /** Scrapes the current tracker (scrape_reply / scrape_failed). */
  async scrape(): Promise<void> {
    if (!this.#announcer && this.#pending.length > 0) {
      this.#announcerNeeded();
      // The same load: made by now, unless the load failed (session_error posted) or we closed meanwhile.
      await loadAnnouncer().catch(() => undefined);
    }
    return this.#announcer?.scrape();
  }

  /** Stops everything; waits for `stopped` announces (bounded by stopTrackerTimeout). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#stop();
    this.#active = false;
    this.#closed = true;
    this.#ac.abort();
    await this.#stopping;
    this.#announcer?.close();
  }
}
