/**
 * The full browser bundle (dist-browser/swarmkit.browser.js, built by vite.lib.config.ts): the session
 * with IndexedDB storage by default (entry/browser.ts), the WebRTC transport, the WebSocket tracker
 * client (also the WebRTC signaller) and a simple-peer-compatible peer over the browser's own
 * RTCPeerConnection ({@link NativePeer}), so no Node shims are needed. `new Session()` finds WebRTC peers
 * through the ws:// / wss:// trackers of its torrents out of the box (entry/browser.ts `webRtcOption`).
 *
 * What it leaves out: the stream layer (entry/browser.ts re-exports it; here it is its own file,
 * bundle/browser-stream.ts) and the DHT / UDP trackers (no UDP in browsers: vite.lib.config.ts).
 */
export * from '../src/index.js';
export { Session, webRtcOption, createIdbStorage, createMemoryStorage, createHashPool } from '../entry/browser.js';
export type { IdbStorageOptions, MemoryStorageAdapter, MemoryStorageOptions, HashPool } from '../entry/browser.js';
export {
  WebRtcTransport, checkDescription, ChannelStream, createSignalledWebRtcTransport, loadSimplePeer, loadWrtc,
} from '../transports/webrtc/index.js';
export type {
  IncomingAnswer, OutgoingOffer, WebRtcConnectOptions, WebRtcTransportOptions, ChannelStreamOptions,
  SignalledWebRtcOptions, Signaller, DataChannelLike, SessionDescription, SimplePeerConstructor, SimplePeerLike, WrtcImpl,
} from '../transports/webrtc/index.js';
export { WebSocketTrackerClient } from '../src/tracker/websocket.js';
export type { WebRtcConnector, WebSocketTrackerOptions, WsAnnounceParams, WsAnnounceResponse, WsTrackerStats } from '../src/tracker/websocket.js';
export { TrackerSocket, WebSocketPool } from '../src/tracker/websocket-pool.js';
export type { SocketPoolOptions, SocketSubscriber, WebSocketConstructor, WebSocketLike } from '../src/tracker/websocket-pool.js';
export { NativePeer } from './native-peer.js';
export type { NativePeerOptions } from './native-peer.js';
