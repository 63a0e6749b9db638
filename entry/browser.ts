/**
 * swarmkit for browsers: the core (src/index.ts) plus browser pieces. `Session` here stores torrents
 * in IndexedDB by default (one database for every torrent, keyed by info-hash; savePath is a label)
 * and hashes with WebCrypto. There is no TCP in a browser: peers are WebRTC peers found through ws:// /
 * wss:// (WebTorrent-compatible) trackers, over the browser's own RTCPeerConnection ({@link NativePeer})
 * and WebSocket.
 */
import { Session as CoreSession } from '../src/session/session.js';
import type { SessionOptions } from '../src/session/session.js';
import { createIdbStorage } from '../storage-adapters/idb/index.js';
import { WebRtcTransport } from '../transports/webrtc/index.js';
import type { WebRtcTransportOptions } from '../transports/webrtc/index.js';
import type { SessionWebRtcOptions } from '../src/session/webrtc.js';
import { NativePeer } from '../bundle/native-peer.js';

export * from '../src/index.js';
export * from '../src/stream/index.js';
export { createIdbStorage } from '../storage-adapters/idb/index.js';
export type { IdbStorageOptions } from '../storage-adapters/idb/index.js';
export { createMemoryStorage } from '../storage-adapters/memory/index.js';
export type { MemoryStorageAdapter, MemoryStorageOptions } from '../storage-adapters/memory/index.js';
export { createHashPool } from '../src/platform/hash-pool.browser.js';
export type { HashPool } from '../src/platform/hash-pool.browser.js';

/**
 * The session's `webrtc` option over the browser's RTCPeerConnection (`opts` e.g. `rtcConfig` for ICE
 * servers); the session's caps become the transport's `maxConnections` / `maxConnectionsPerKey`.
 */
export function webRtcOption(opts: WebRtcTransportOptions & { maxConnectionsPerTorrent?: number; offersPerAnnounce?: number } = {}): SessionWebRtcOptions {
  const { maxConnectionsPerTorrent, offersPerAnnounce, ...transport } = opts;
  return {
    createConnector: (l) => new WebRtcTransport({ SimplePeer: NativePeer, ...transport, maxConnections: l.maxConnections, maxConnectionsPerKey: l.maxConnectionsPerTorrent }),
    ...(transport.maxConnections !== undefined ? { maxConnections: transport.maxConnections } : {}),
    ...(maxConnectionsPerTorrent !== undefined ? { maxConnectionsPerTorrent } : {}),
    ...(offersPerAnnounce !== undefined ? { offersPerAnnounce } : {}),
  };
}

/** A {@link CoreSession} whose default storage is IndexedDB and whose peers are WebRTC peers (no TCP). */
export class Session extends CoreSession {
  constructor(opts: SessionOptions = {}) {
    super({ ...opts, storage: opts.storage ?? createIdbStorage(), transports: opts.transports ?? [], webrtc: opts.webrtc ?? webRtcOption() });
  }
}
