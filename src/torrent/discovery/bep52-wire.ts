/**
 * BEP 52 on the wire, one chunk loaded on first use: serving hash requests (hash-server.ts, loaded by
 * hash-serving.ts) and fetching a v2 magnet's piece layers (piece-layers.ts, loaded by torrent-peers.ts).
 * Both need the hash message codec (wire/hash-messages.ts) and the merkle proofs, and a v2 torrent's swarm
 * may use both, so one chunk holds them rather than four that import each other.
 */
export { HashServer } from './hash-server.js';
export { PieceLayerFetcher, missingLayerFiles } from './piece-layers.js';
