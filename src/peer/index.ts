/** The peer layer: one connected wire peer between a PeerStream and its torrent. See PEER.md. */
export { PeerConnection } from './peer-connection.js';
export { PeerState } from './peer-state.js';
export type { PeerConnectionOptions, PeerPhase } from './peer-connection.js';
export type { PeerOwner, PeerOwnerEvents, PeerOwnerQueries, PeerRouter } from './peer-owner.js';
export { closeReason } from './close-reason.js';
export type { PeerCloseKind, PeerCloseReason } from './close-reason.js';
export { DEFAULT_PEER_SETTINGS, resolvePeerSettings, tickInterval } from './limits.js';
export type { PeerSettings } from './limits.js';
export { HandshakeFlow, firstMessages, ipBytes, ourHandshake } from './handshake-flow.js';
