/**
 * The session's WebRTC side: what torrents' WebSocket trackers share (src/torrent/discovery/
 * websocket-trackers.ts). One {@link WebSocketPool} per session (one socket per tracker URL, shared by
 * torrents) and one WebRTC connector (transports/webrtc's WebRtcTransport in the runtime entries), made on
 * first need, whose caps bound the RTCPeerConnections per session and per torrent. Connected streams are
 * adopted by the session's connection layer as peers of their torrent (they count toward
 * `connectionsLimit`; the IP filter does not apply to WebRTC peer ids).
 *
 * Runtime-neutral: the connector and the WebSocket constructor are injected (entry/node.ts: @roamhq/wrtc
 * when installed and the `ws` package; entry/browser.ts: the native RTCPeerConnection and WebSocket).
 * Without a connector, or without any WebSocket, ws trackers are skipped with a `tracker_warning`.
 */
import { TorrentError } from '../errors.js';
import type { PeerStream } from '../interfaces/transport.js';
import type { WebRtcConnector } from '../tracker/websocket.js';
import { WebSocketPool } from '../tracker/websocket-pool.js';
import type { WebSocketConstructor } from '../tracker/websocket-pool.js';
import type { WebSocketTrackerAvailability, WebSocketTrackerServices } from '../torrent/discovery/websocket-trackers.js';

/** A WebRTC connector the session owns (closed by Session.close()); WebRtcTransport fits. */
export interface SessionWebRtcConnector extends WebRtcConnector {
  /** Destroys every RTCPeerConnection it made. */
  close(): Promise<void>;
}

/** Limits handed to {@link SessionWebRtcOptions.createConnector}. */
export interface WebRtcLimits {
  /** RTCPeerConnections open at once in the session (connecting or connected). */
  readonly maxConnections: number;
  /** RTCPeerConnections open at once per torrent. */
  readonly maxConnectionsPerTorrent: number;
}

/** The `webrtc` session option. */
export interface SessionWebRtcOptions {
  /**
   * Makes the session's connector, once, when the first WebSocket tracker starts (e.g.
   * `(l) => new WebRtcTransport({ maxConnections: l.maxConnections, maxConnectionsPerKey: l.maxConnectionsPerTorrent })`).
   */
  createConnector(limits: WebRtcLimits): SessionWebRtcConnector;
  /** Default 55 (WebTorrent's maxConns). */
  maxConnections?: number;
  /** Default 20. */
  maxConnectionsPerTorrent?: number;
  /** Offers sent with each announce (numwant). Default 5, at most 10. */
  offersPerAnnounce?: number;
}

/** What the session gives {@link SessionWebRtc}. */
export interface SessionWebRtcInit {
  /** The `webrtc` option, or a reason why WebRTC is unavailable (shown in tracker warnings). */
  webrtc: SessionWebRtcOptions | { readonly unavailable: string } | undefined;
  webSocket: WebSocketConstructor | undefined;
  /** Binds a connected stream to the torrent with this info-hash; destroys it when refused. */
  adopt(stream: PeerStream, infoHash: Uint8Array): void;
}

/** Session-wide WebRTC services for WebSocket trackers (see the module notes). */
export class SessionWebRtc {
  readonly #init: SessionWebRtcInit;
  #services: WebSocketTrackerServices | undefined;
  #connector: SessionWebRtcConnector | undefined;
  #closed = false;

  constructor(init: SessionWebRtcInit) {
    this.#init = init;
  }

  /** The shared services, made on first call; or why ws trackers cannot run. */
  services(): WebSocketTrackerAvailability {
    if (this.#closed) return { unavailable: 'the session is closing' };
    if (this.#services) return this.#services;
    const w = this.#init.webrtc;
    if (w === undefined) return { unavailable: 'this session has no WebRTC (the `webrtc` option)' };
    if ('unavailable' in w) return w;
    const Ctor = this.#init.webSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (Ctor === undefined) return { unavailable: 'no WebSocket implementation (the `webSocket` option)' };
    let connector: SessionWebRtcConnector;
    try {
      connector = w.createConnector({ maxConnections: w.maxConnections ?? 55, maxConnectionsPerTorrent: w.maxConnectionsPerTorrent ?? 20 });
    } catch (err) {
      return { unavailable: `WebRTC connector failed: ${String(err instanceof Error ? err.message : err)}` };
    }
    this.#connector = connector;
    this.#services = {
      pool: new WebSocketPool({ WebSocket: Ctor }),
      connector,
      offersPerAnnounce: Math.max(0, Math.min(10, w.offersPerAnnounce ?? 5)),
      adopt: (stream, ih) => {
        if (this.#closed) stream.destroy(new TorrentError('aborted', 'the session is closing'));
        else this.#init.adopt(stream, ih);
      },
    };
    return this.#services;
  }

  /** RTCPeerConnections the connector has open, when it reports them. */
  connections(): number {
    const c = this.#connector as { readonly connections?: unknown } | undefined;
    return typeof c?.connections === 'number' ? c.connections : 0;
  }

  /** Destroys every RTCPeerConnection. Torrents have left the pool by now (their sockets closed with them). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#connector?.close();
  }
}
