/**
 * DHT settings (names follow libtorrent's dht_* settings where one exists) and the events a
 * {@link DhtNode} reports to its owner.
 */
import type { PeerAddress } from '../interfaces/transport.js';

/** Tunables of a DHT node. Defaults: {@link defaultDhtSettings}. */
export interface DhtSettings {
  /** Bucket size K (8). */
  k: number;
  /** Lookup concurrency (3). */
  alpha: number;
  /** RPC timeout in ms (5000). */
  queryTimeoutMs: number;
  /** After this many ms a lookup stops waiting for a silent node and opens another branch (1000). */
  softTimeoutMs: number;
  /** Check node ids against their IP per BEP 42 before adding them (dht_enforce_node_id; true). */
  enforceNodeId: boolean;
  /** One routing-table entry per IP (dht_restrict_routing_ips; true). Turn off for loopback tests. */
  restrictRoutingIps: boolean;
  /** One lookup candidate per IP (dht_restrict_search_ips; true). Turn off for loopback tests. */
  restrictSearchIps: boolean;
  /** Incoming queries per second allowed from one IP before it is blocked (dht_block_ratelimit; 5). 0 = off. */
  blockRateLimit: number;
  /** How long a rate-limited IP is ignored, ms (dht_block_timeout; 5 min). */
  blockTimeoutMs: number;
  /** Outgoing DHT traffic cap in bytes/s (dht_upload_rate_limit; 8000). 0 = off. */
  uploadRateLimit: number;
  /** Info-hashes stored for others (dht_max_torrents; 2000). */
  maxTorrents: number;
  /** Peers stored per info-hash (dht_max_peers; 500). */
  maxPeers: number;
  /** Peers returned in one get_peers reply (dht_max_peers_reply; 100). */
  maxPeersReply: number;
  /** Lifetime of an announcement, ms (30 min). */
  peerExpiryMs: number;
  /** Token secret rotation, ms (5 min). */
  tokenRotationMs: number;
  /** A bucket with no activity for this long is refreshed by a lookup (15 min). */
  bucketRefreshMs: number;
  /** Period of the maintenance tick (refresh, pings, pruning), ms (60 s). */
  tickMs: number;
  /** Failures after which a node is dropped from the routing table (3). */
  maxFailCount: number;
  /** Largest datagram accepted (1500). */
  maxPacket: number;
  /** Replies to a source that never answered us are no larger than its query (case 27; true). */
  limitUnverifiedReplies: boolean;
  /** BEP 43 read-only node: never answers queries, asks others not to add it (false). */
  readOnly: boolean;
  /** Bootstrap routers as "host:port" (IP literals, or names resolved by the `resolve` option). */
  bootstrapNodes: string[];
}

/** libtorrent-like defaults. */
export const defaultDhtSettings: DhtSettings = {
  k: 8,
  alpha: 3,
  queryTimeoutMs: 5000,
  softTimeoutMs: 1000,
  enforceNodeId: true,
  restrictRoutingIps: true,
  restrictSearchIps: true,
  blockRateLimit: 5,
  blockTimeoutMs: 5 * 60_000,
  uploadRateLimit: 8000,
  maxTorrents: 2000,
  maxPeers: 500,
  maxPeersReply: 100,
  peerExpiryMs: 30 * 60_000,
  tokenRotationMs: 5 * 60_000,
  bucketRefreshMs: 15 * 60_000,
  tickMs: 60_000,
  maxFailCount: 3,
  maxPacket: 1500,
  limitUnverifiedReplies: true,
  readOnly: false,
  bootstrapNodes: [],
};

/** Events a DHT node reports (libtorrent's dht_* alerts). */
export type DhtEvent =
  /** The bootstrap lookup finished; `nodes` is the routing table size. */
  | { readonly type: 'dht_bootstrap'; readonly nodes: number }
  /** A get_peers lookup of ours received peers from a node. */
  | { readonly type: 'dht_reply'; readonly infoHash: Uint8Array; readonly numPeers: number; readonly from: PeerAddress }
  /** Someone asked us for peers of `infoHash`. */
  | { readonly type: 'dht_get_peers'; readonly infoHash: Uint8Array; readonly from: PeerAddress }
  /** Someone announced itself to us. */
  | { readonly type: 'dht_announce'; readonly infoHash: Uint8Array; readonly host: string; readonly port: number }
  /** Our external IP, as voted by the nodes that answered us, changed (BEP 42); the node id may change. */
  | { readonly type: 'dht_external_ip'; readonly host: string };

/** A persisted DHT state, ready to bencode (see `DhtNode.saveState`); a type alias so it is `BEncodable`. */
export type DhtState = {
  /** Our node id (20 bytes). */
  readonly id: Uint8Array;
  /** Good IPv4 nodes in compact form (26 bytes each). */
  readonly nodes: Uint8Array;
  /** Good IPv6 nodes in compact form (38 bytes each). */
  readonly nodes6: Uint8Array;
};

/** DHT counters. */
export interface DhtStats {
  readonly nodes: number;
  readonly replacements: number;
  readonly buckets: number;
  readonly torrents: number;
  readonly peersStored: number;
  readonly outstanding: number;
  readonly queriesIn: number;
  readonly queriesOut: number;
  readonly responsesIn: number;
  readonly timeouts: number;
  readonly droppedRateLimited: number;
  readonly droppedMalformed: number;
  readonly droppedOutgoing: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly externalIP?: string;
}
