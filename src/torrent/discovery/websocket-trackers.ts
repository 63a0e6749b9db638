/**
 * One torrent's WebSocket trackers (`ws:` / `wss:` URLs in its tracker list): WebTorrent-compatible
 * trackers that relay WebRTC offers and answers (src/tracker/websocket.ts). HTTP and UDP trackers stay
 * with the Announcer; these run beside it with the same lifecycle (TorrentDiscovery drives both).
 *
 * - Per URL one {@link WebSocketTrackerClient}, made when discovery becomes active and destroyed when
 *   it stops; the session's pool shares one socket per URL between torrents.
 * - Announces: `started` (with offers), then again every `interval` the tracker asks for (with fresh
 *   offers while we want peers), `completed` when the download finishes, `stopped` when discovery stops
 *   (bounded by `stopTrackerTimeout`). A reconnected socket announces again at once. Failures back off
 *   (15 s doubling, at most the interval) and post `tracker_error`.
 * - Alerts as for other trackers: `tracker_announce` before each announce, `tracker_reply` (numPeers 0:
 *   peers arrive later, as connections), `tracker_warning`, `tracker_error`.
 * - Connected WebRTC streams are handed to the session (`adopt`), which binds them to this torrent under
 *   the connection limits. The RTCPeerConnection caps are the connector's (`hasCapacity` per torrent key).
 *
 * When the session has no WebRTC or WebSocket (Node without @roamhq/wrtc), each ws tracker gets one
 * `tracker_warning` saying why and is skipped.
 */
import { TorrentError, isTorrentError } from '../../errors.js';
import type { PeerStream } from '../../interfaces/transport.js';
import { WebSocketTrackerClient } from '../../tracker/websocket.js';
import type { WebRtcConnector, WsAnnounceParams } from '../../tracker/websocket.js';
import type { WebSocketPool } from '../../tracker/websocket-pool.js';
import type { TrackerStatus } from '../../tracker/announcer-types.js';
import type { DiscoveryTorrent } from './torrent-discovery.js';

/** True for `ws:` / `wss:` tracker URLs. */
export const isWebSocketTracker = (url: string): boolean => /^wss?:\/\//i.test(url);

/** What the session provides for WebSocket trackers (src/session/webrtc.ts). */
export interface WebSocketTrackerServices {
  /** One pool per session: one socket per tracker URL, shared by torrents. */
  readonly pool: WebSocketPool;
  /** Makes RTCPeerConnections, under the session's caps. */
  readonly connector: WebRtcConnector;
  /** Offers per announce (numwant). */
  readonly offersPerAnnounce: number;
  /** Binds a connected stream to the torrent with this 20-byte info-hash; destroys it when refused. */
  adopt(stream: PeerStream, infoHash: Uint8Array): void;
}

/** The session's answer: the services, or why WebSocket trackers cannot run here. */
export type WebSocketTrackerAvailability = WebSocketTrackerServices | { readonly unavailable: string };

/** What this module needs besides the torrent. */
export interface WebSocketTrackersHost {
  /** Our 20-byte peer id. */
  readonly peerId: Uint8Array;
  services(): WebSocketTrackerAvailability | undefined;
  /** `stopTrackerTimeout` in ms. */
  stopTimeoutMs(): number;
  /** Whether the torrent still wants peers (offers are sent only then). */
  wantPeers(): boolean;
}

interface Entry {
  readonly url: string;
  client: WebSocketTrackerClient | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** A `stopped` announce in flight; a restart waits for it (its reply must reach the old client, not the new). */
  stopping: Promise<void> | undefined;
  fails: number;
  warned: boolean;
  lastError: { code: string; message: string } | undefined;
  message: string | undefined;
  nextAnnounce: number | undefined;
  updating: boolean;
  verified: boolean;
  startSent: boolean;
  completeSent: boolean;
  complete: number;
  incomplete: number;
}

const errorOf = (err: unknown): TorrentError => (isTorrentError(err) ? err : new TorrentError('tracker_error', String(err instanceof Error ? err.message : err)));

/** The WebSocket trackers of one torrent (see the module notes). */
export class WebSocketTrackers {
  readonly #t: DiscoveryTorrent;
  readonly #host: WebSocketTrackersHost;
  readonly #entries = new Map<string, Entry>();
  #active = false;

  constructor(t: DiscoveryTorrent, host: WebSocketTrackersHost, urls: readonly string[]) {
    this.#t = t;
    this.#host = host;
    for (const u of urls) this.add(u);
  }

  /** URLs handled here. */
  urls(): string[] {
    return [...this.#entries.keys()];
  }

  /** Adds a ws tracker (announced at once when active); false when listed already. */
  add(url: string): boolean {
    if (this.#entries.has(url)) return false;
    const e: Entry = {
      url, client: undefined, timer: undefined, stopping: undefined, fails: 0, warned: false, lastError: undefined, message: undefined, nextAnnounce: undefined,
      updating: false, verified: false, startSent: false, completeSent: false, complete: -1, incomplete: -1,
    };
    this.#entries.set(url, e);
    if (this.#active) this.#startEntry(e);
    return true;
  }

  /** Status of each ws tracker, in the announcer's shape (tier 0). */
  statuses(): TrackerStatus[] {
    return [...this.#entries.values()].map((e) => ({
      url: e.url,
      tier: 0,
      fails: e.fails,
      ...(e.lastError !== undefined ? { lastError: e.lastError } : {}),
      ...(e.message !== undefined ? { message: e.message } : {}),
      ...(e.nextAnnounce !== undefined ? { nextAnnounce: e.nextAnnounce } : {}),
      updating: e.updating,
      verified: e.verified,
      startSent: e.startSent,
      completeSent: e.completeSent,
      scrapeComplete: e.complete,
      scrapeIncomplete: e.incomplete,
      scrapeDownloaded: -1,
    }));
  }

  /** Starts announcing (`started`). */
  start(): void {
    if (this.#active) return;
    this.#active = true;
    for (const e of this.#entries.values()) this.#startEntry(e);
  }

  /** The download finished: `completed` to every tracker. */
  completed(): void {
    if (!this.#active) return;
    for (const e of this.#entries.values()) if (e.client) this.#announce(e, 'completed');
  }

  /** Reannounces now. */
  forceReannounce(): void {
    if (!this.#active) return;
    for (const e of this.#entries.values()) if (e.client) this.#announce(e, undefined);
  }

  /** Stops: `stopped` to every tracker (bounded), then destroys the clients (cancelling pending offers). */
  async stop(): Promise<void> {
    if (!this.#active) return;
    this.#active = false;
    const entries = [...this.#entries.values()];
    await Promise.all(entries.map((e) => {
      if (e.timer) clearTimeout(e.timer);
      e.timer = undefined;
      const c = e.client;
      e.client = undefined;
      if (!c) return e.stopping;
      const p: Promise<void> = this.#sendStopped(e, c).finally(() => {
        if (e.stopping === p) e.stopping = undefined;
      });
      e.stopping = p;
      return p;
    }));
  }

  async #sendStopped(e: Entry, c: WebSocketTrackerClient): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#host.stopTimeoutMs());
    });
    this.#t.post('tracker_announce', { url: e.url, event: 'stopped' });
    await Promise.race([c.announce({ ...this.#stats(), event: 'stopped' }).catch(() => undefined), bound]);
    clearTimeout(timer);
    c.destroy();
  }

  #stats(): WsAnnounceParams {
    const s = this.#t.announceStats();
    return { uploaded: s.uploaded, downloaded: s.downloaded, left: s.left };
  }

  #startEntry(e: Entry): void {
    if (e.client) return;
    if (e.stopping) {
      void e.stopping.then(() => {
        if (this.#active) this.#startEntry(e);
      });
      return;
    }
    const svc = this.#host.services();
    if (svc === undefined || 'unavailable' in svc) {
      e.message = `WebSocket tracker skipped: ${svc?.unavailable ?? 'no WebRTC in this session'}`;
      if (!e.warned) this.#t.post('tracker_warning', { url: e.url, message: e.message });
      e.warned = true;
      return;
    }
    try {
      e.client = new WebSocketTrackerClient({
        url: e.url,
        infoHash: this.#t.infoHash,
        peerId: this.#host.peerId,
        pool: svc.pool,
        connector: svc.connector,
        maxOffers: svc.offersPerAnnounce,
        onPeer: (stream) => svc.adopt(stream, this.#t.infoHash),
        onWarning: (err) => {
          e.message = err.message;
          this.#t.post('tracker_warning', { url: e.url, message: err.message });
        },
        onReconnect: () => {
          if (this.#active && e.client) this.#announce(e, undefined);
        },
      });
    } catch (err) {
      const x = errorOf(err);
      this.#t.post('tracker_error', { url: e.url, error: { code: x.code, message: x.message }, timesInRow: ++e.fails, retryIn: 0 });
      return;
    }
    this.#announce(e, 'started');
  }

  #announce(e: Entry, event: 'started' | 'completed' | undefined): void {
    const c = e.client;
    if (!c) return;
    if (e.timer) clearTimeout(e.timer);
    e.timer = undefined;
    const svc = this.#host.services();
    const offers = this.#host.wantPeers() && svc !== undefined && !('unavailable' in svc) ? svc.offersPerAnnounce : 0;
    this.#t.post('tracker_announce', { url: e.url, event: event ?? 'none' });
    e.updating = true;
    c.announce({ ...this.#stats(), numwant: offers, ...(event !== undefined ? { event } : {}) }).then(
      (r) => {
        if (e.client !== c) return;
        e.updating = false;
        e.fails = 0;
        e.lastError = undefined;
        e.verified = true;
        if (event === 'started') e.startSent = true;
        if (event === 'completed') e.completeSent = true;
        if (r.complete !== undefined) e.complete = r.complete;
        if (r.incomplete !== undefined) e.incomplete = r.incomplete;
        this.#t.post('tracker_reply', { url: e.url, numPeers: 0 });
        this.#schedule(e, r.interval * 1000);
      },
      (err: unknown) => {
        if (e.client !== c) return;
        e.updating = false;
        e.fails++;
        const retry = Math.min(c.interval * 1000, 15_000 * 2 ** Math.min(e.fails - 1, 8));
        const x = errorOf(err);
        e.lastError = { code: x.code, message: x.message };
        this.#t.post('tracker_error', { url: e.url, error: { code: x.code, message: x.message }, timesInRow: e.fails, retryIn: Math.round(retry / 1000) });
        // A `started` that failed is sent again (the tracker does not know us yet).
        this.#schedule(e, retry, event === 'started' ? 'started' : undefined);
      },
    );
  }

  #schedule(e: Entry, ms: number, event?: 'started'): void {
    if (!this.#active || !e.client) return;
    if (e.timer) clearTimeout(e.timer);
    e.nextAnnounce = Date.now() + Math.max(1000, ms);
    e.timer = setTimeout(() => {
      e.timer = undefined;
      this.#announce(e, event);
    }, Math.max(1000, ms));
  }
}
