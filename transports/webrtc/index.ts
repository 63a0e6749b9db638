/**
 * The WebRTC transport: PeerStreams over simple-peer data channels, with signalling supplied from
 * outside (the WebSocket tracker, or a {@link Signaller}). Runs in browsers (native RTCPeerConnection) and
 * in Node (optional dependency @roamhq/wrtc, loaded lazily). See README.md.
 */
export { WebRtcTransport, checkDescription } from './webrtc-transport.js';
export type { IncomingAnswer, OutgoingOffer, WebRtcConnectOptions, WebRtcTransportOptions } from './webrtc-transport.js';
export { ChannelStream, DEFAULT_HIGH_WATER_MARK, DEFAULT_MAX_MESSAGE_SIZE } from './channel-stream.js';
export type { ChannelStreamOptions } from './channel-stream.js';
export { createSignalledWebRtcTransport } from './signalled.js';
export type { SignalledWebRtcOptions, Signaller } from './signalled.js';
export { loadSimplePeer, loadWrtc } from './load.js';
export type { DataChannelLike, SessionDescription, SimplePeerConstructor, SimplePeerLike, WrtcImpl } from './peer-types.js';
