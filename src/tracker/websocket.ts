/**
 * WebSocket tracker client, compatible with WebTorrent's trackers and clients (bittorrent-tracker's
 * lib/client/websocket-tracker.js protocol; frames in websocket-messages.ts). It is also the WebRTC
 * signaller: each announce carries up to `maxOffers` fresh offers; the tracker relays them to other
 * peers of the swarm, whose answers come back with our `offer_id`.
 *
 * Runtime-neutral: it never imports a WebRTC or WebSocket implementation. Connections are made through
 * an injected {@link WebRtcConnector} (transports/webrtc's WebRtcTransport fits), sockets through a
 * {@link WebSocketPool} (global WebSocket, or an injected constructor such as `ws` in Node).
 *
 * Hostile-input rules (HOSTILE-INPUTS case 28): frames over `maxFrameBytes`, bad JSON, bad ids and SDPs
 * over `maxSdpBytes` are dropped by the parser; answers whose `offer_id` is not one of our pending
 * offers are dropped; incoming offers are rate-limited per torrent (token bucket) and refused once the
 * connector has no capacity; our offers expire after `offerTimeoutMs` (50 s, as WebTorrent) and their
 * RTCPeerConnections are destroyed.
 */
import { TorrentError } from '../errors.js';
import type { PeerAddress, PeerStream } from '../interfaces/transport.js';
import { clampInterval } from './types.js';
import type { IntervalLimits } from './types.js';
import { binaryIdToHex, encodeAnnounce, encodeAnswer, encodeScrape, toBinaryString } from './websocket-messages.js';
import type { WsDescription, WsServerMessage } from './websocket-messages.js';
import type { SocketSubscriber, TrackerSocket, WebSocketPool } from './websocket-pool.js';

/** Makes WebRTC connections from SDP (structurally what transports/webrtc's WebRtcTransport offers). */
export interface WebRtcConnector {
  createOffer(opts: { key?: string; remote?: PeerAddress }): Promise<{
    readonly offer: WsDescription;
    connect(answer: WsDescription, opts?: { remote?: PeerAddress }): Promise<PeerStream>;
    cancel(): void;
  }>;
  acceptOffer(offer: WsDescription, opts: { key?: string; remote?: PeerAddress }): Promise<{ readonly answer: WsDescription; readonly stream: Promise<PeerStream> }>;
  hasCapacity?(key?: string): boolean;
}

/** A WebSocket tracker's announce reply. Intervals in seconds, clamped. */
export interface WsAnnounceResponse {
  readonly interval: number;
  readonly minInterval?: number;
  readonly complete?: number;
  readonly incomplete?: number;
  readonly warning?: string;
}

/** Options for {@link WebSocketTrackerClient}. */
export interface WebSocketTrackerOptions extends IntervalLimits {
  /** Tracker URL (`ws:` / `wss:`). */
  url: string;
  /** 20 bytes. */
  infoHash: Uint8Array;
  /** 20 bytes. */
  peerId: Uint8Array;
  pool: WebSocketPool;
  connector: WebRtcConnector;
  /** A connected peer (either direction). The stream's `remote.host` is the remote peer id in hex. */
  onPeer(stream: PeerStream, peerId: Uint8Array): void;
  /** Tracker warnings and failures, connection errors (never thrown). */
  onWarning?(err: Error): void;
  /** The socket reconnected: the owner should announce again. */
  onReconnect?(): void;
  /** Offers per announce. Default 5 (WebTorrent's); never more than 10. */
  maxOffers?: number;
  /** Pending offers kept at once. Default 50. */
  maxPendingOffers?: number;
  /** Offer lifetime. Default 50 000 ms. */
  offerTimeoutMs?: number;
  /** Incoming offers accepted per second (sustained), per torrent. Default 5. */
  offersPerSecond?: number;
  /** Incoming offer burst. Default 10. */
  offerBurst?: number;
  /** How long `announce()` waits for the reply. Default 15 000 ms. */
  responseTimeoutMs?: number;
}

/** Announce parameters. */
export interface WsAnnounceParams {
  event?: 'started' | 'completed' | 'stopped';
  uploaded?: number;
  downloaded?: number;
  left?: number;
  /** Peers wanted: the number of offers generated (capped by `maxOffers`). Default 5. */
  numwant?: number;
}

interface PendingOffer {
  out: Awaited<ReturnType<WebRtcConnector['createOffer']>>;
  timer: ReturnType<typeof setTimeout>;
}

interface Waiter {
  resolve(r: WsAnnounceResponse): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/** Counters for tests and status. */
export interface WsTrackerStats {
  offersSent: number;
  offersReceived: number;
  offersRejected: number;
  answersReceived: number;
  answersDropped: number;
  peers: number;
}

/** One torrent on one WebSocket tracker. */
export class WebSocketTrackerClient implements SocketSubscriber {
  readonly stats: WsTrackerStats = { offersSent: 0, offersReceived: 0, offersRejected: 0, answersReceived: 0, answersDropped: 0, peers: 0 };
  /** Last interval (seconds) the tracker asked for, clamped. */
  interval = 120;
  /** Last min interval (seconds), when given. */
  minInterval: number | undefined;
  readonly #o: WebSocketTrackerOptions;
  readonly #ih: string;
  readonly #pid: string;
  readonly #key: string;
  readonly #socket: TrackerSocket;
  readonly #pending = new Map<string, PendingOffer>();
  readonly #waiters: Waiter[] = [];
  readonly #scrapeWaiters: Array<(counts: { complete: number; incomplete: number; downloaded: number } | undefined) => void> = [];
  #trackerId: string | undefined;
  #tokens: number;
  #tokensAt = Date.now();
  #wasDown = false;
  #destroyed = false;

  constructor(opts: WebSocketTrackerOptions) {
    if (opts.infoHash.length !== 20 || opts.peerId.length !== 20) throw new TorrentError('invalid_argument', 'info-hash and peer id must be 20 bytes');
    this.#o = opts;
    this.#ih = toBinaryString(opts.infoHash);
    this.#pid = toBinaryString(opts.peerId);
    this.#key = binaryIdToHex(this.#ih);
    this.#tokens = opts.offerBurst ?? 10;
    this.#socket = opts.pool.get(opts.url);
    this.#socket.subscribe(this.#ih, this);
  }

  /** Offers sent and still waiting for an answer. */
  get pendingOffers(): number {
    return this.#pending.size;
  }

  /**
   * Announces, with fresh offers unless the event is `stopped` or `completed`; resolves the tracker's
   * reply. Rejects `tracker_error` on a failure reason or no reply in time.
   */
  async announce(p: WsAnnounceParams = {}): Promise<WsAnnounceResponse> {
    if (this.#destroyed) throw new TorrentError('tracker_error', 'tracker client destroyed');
    const withOffers = p.event !== 'stopped' && p.event !== 'completed';
    const offers = withOffers ? await this.#makeOffers(Math.min(p.numwant ?? 5, this.#o.maxOffers ?? 5, 10)) : undefined;
    const reply = this.#expectReply();
    this.#socket.send(encodeAnnounce({
      infoHash: this.#ih,
      peerId: this.#pid,
      numwant: offers?.length ?? 0,
      uploaded: p.uploaded ?? 0,
      downloaded: p.downloaded ?? 0,
      left: p.left ?? 0,
      ...(p.event !== undefined ? { event: p.event } : {}),
      ...(this.#trackerId !== undefined ? { trackerId: this.#trackerId } : {}),
      ...(offers !== undefined ? { offers } : {}),
    }));
    return reply;
  }

  /** Scrapes this torrent; resolves its counters (undefined when the tracker does not list it). */
  scrape(): Promise<{ complete: number; incomplete: number; downloaded: number } | undefined> {
    return new Promise((resolve) => {
      this.#scrapeWaiters.push(resolve);
      this.#socket.send(encodeScrape([this.#ih]));
    });
  }

  /** Cancels pending offers and replies and leaves the shared socket (closing it if we were the last). */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.out.cancel();
    }
    this.#pending.clear();
    for (const w of this.#waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new TorrentError('aborted', 'tracker client destroyed'));
    }
    for (const s of this.#scrapeWaiters.splice(0)) s(undefined);
    this.#socket.unsubscribe(this.#ih);
  }

  // ---- SocketSubscriber ----------------------------------------------------------------------------

  open(): void {
    if (this.#wasDown && !this.#destroyed) {
      this.#wasDown = false;
      this.#o.onReconnect?.();
    }
  }

  down(err: Error): void {
    this.#wasDown = true;
    this.#o.onWarning?.(err);
  }

  frame(msg: WsServerMessage): void {
    if (this.#destroyed) return;
    if (msg.kind === 'scrape') {
      const counts = msg.files.get(this.#ih);
      for (const s of this.#scrapeWaiters.splice(0)) s(counts);
      return;
    }
    if (msg.kind === 'failure') {
      const err = new TorrentError('tracker_error', `tracker failure: ${msg.reason}`, { details: { reason: 'failure', failureReason: msg.reason } });
      const w = this.#waiters.shift();
      if (w !== undefined) {
        clearTimeout(w.timer);
        w.reject(err);
      } else this.#o.onWarning?.(err);
      return;
    }
    if (msg.offer !== undefined) this.#onOffer(msg.offer.peerId, msg.offer.offerId, msg.offer.offer);
    else if (msg.answer !== undefined) this.#onAnswer(msg.answer.peerId, msg.answer.offerId, msg.answer.answer);
    else if (msg.interval !== undefined || msg.complete !== undefined || msg.incomplete !== undefined) this.#onReply(msg);
  }

  // ---- internals -----------------------------------------------------------------------------------

  #expectReply(): Promise<WsAnnounceResponse> {
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = this.#waiters.indexOf(w);
          if (i >= 0) this.#waiters.splice(i, 1);
          reject(new TorrentError('tracker_error', `no reply from ${this.#o.url}`, { details: { reason: 'timeout' } }));
        }, this.#o.responseTimeoutMs ?? 15_000),
      };
      this.#waiters.push(w);
    });
  }

  #onReply(msg: WsServerMessage & { kind: 'announce' }): void {
    this.interval = clampInterval(msg.interval, this.interval, this.#o);
    this.minInterval = msg.minInterval === undefined ? undefined : clampInterval(msg.minInterval, this.interval, this.#o);
    if (msg.trackerId !== undefined) this.#trackerId = msg.trackerId;
    if (msg.warning !== undefined) this.#o.onWarning?.(new TorrentError('tracker_error', `tracker warning: ${msg.warning}`, { details: { reason: 'warning' } }));
    const r: WsAnnounceResponse = {
      interval: this.interval,
      ...(this.minInterval !== undefined ? { minInterval: this.minInterval } : {}),
      ...(msg.complete !== undefined ? { complete: msg.complete } : {}),
      ...(msg.incomplete !== undefined ? { incomplete: msg.incomplete } : {}),
      ...(msg.warning !== undefined ? { warning: msg.warning } : {}),
    };
    const w = this.#waiters.shift();
    if (w !== undefined) {
      clearTimeout(w.timer);
      w.resolve(r);
    }
  }

  async #makeOffers(n: number): Promise<Array<{ offer: WsDescription; offerId: string }>> {
    const room = Math.max(0, Math.min(n, (this.#o.maxPendingOffers ?? 50) - this.#pending.size));
    const made = await Promise.all(Array.from({ length: room }, () => this.#o.connector.createOffer({ key: this.#key }).catch(() => undefined)));
    const offers: Array<{ offer: WsDescription; offerId: string }> = [];
    for (const out of made) {
      if (out === undefined) continue;
      if (this.#destroyed) {
        out.cancel();
        continue;
      }
      const offerId = toBinaryString(crypto.getRandomValues(new Uint8Array(20)));
      const timer = setTimeout(() => {
        this.#pending.delete(offerId);
        out.cancel();
      }, this.#o.offerTimeoutMs ?? 50_000);
      this.#pending.set(offerId, { out, timer });
      offers.push({ offer: out.offer, offerId });
    }
    this.stats.offersSent += offers.length;
    return offers;
  }

  #takeToken(): boolean {
    const now = Date.now();
    const rate = this.#o.offersPerSecond ?? 5;
    const burst = this.#o.offerBurst ?? 10;
    this.#tokens = Math.min(burst, this.#tokens + ((now - this.#tokensAt) / 1000) * rate);
    this.#tokensAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  #onOffer(peerId: string, offerId: string, offer: WsDescription): void {
    this.stats.offersReceived++;
    if (peerId === this.#pid || !this.#takeToken() || this.#o.connector.hasCapacity?.(this.#key) === false) {
      this.stats.offersRejected++;
      return;
    }
    const remote: PeerAddress = { host: binaryIdToHex(peerId), port: 0, transport: 'webrtc' };
    this.#o.connector.acceptOffer(offer, { key: this.#key, remote }).then(({ answer, stream }) => {
      if (this.#destroyed) {
        stream.then((s) => s.destroy(), () => {});
        return;
      }
      this.#socket.send(encodeAnswer({ infoHash: this.#ih, peerId: this.#pid, toPeerId: peerId, offerId, answer, ...(this.#trackerId !== undefined ? { trackerId: this.#trackerId } : {}) }));
      stream.then((s) => this.#deliver(s, peerId), (err: unknown) => this.#o.onWarning?.(err instanceof Error ? err : new Error(String(err))));
    }, (err: unknown) => {
      this.stats.offersRejected++;
      this.#o.onWarning?.(err instanceof Error ? err : new Error(String(err)));
    });
  }

  #onAnswer(peerId: string, offerId: string, answer: WsDescription): void {
    const p = this.#pending.get(offerId);
    if (p === undefined || peerId === this.#pid) {
      this.stats.answersDropped++;
      return;
    }
    this.stats.answersReceived++;
    this.#pending.delete(offerId);
    clearTimeout(p.timer);
    const remote: PeerAddress = { host: binaryIdToHex(peerId), port: 0, transport: 'webrtc' };
    p.out.connect(answer, { remote }).then((s) => this.#deliver(s, peerId), (err: unknown) => this.#o.onWarning?.(err instanceof Error ? err : new Error(String(err))));
  }

  #deliver(s: PeerStream, peerId: string): void {
    if (this.#destroyed) {
      s.destroy();
      return;
    }
    this.stats.peers++;
    const bytes = new Uint8Array(20);
    for (let i = 0; i < 20; i++) bytes[i] = peerId.charCodeAt(i);
    this.#o.onPeer(s, bytes);
  }
}
