/**
 * Per-connection settings of the peer layer, with libtorrent's defaults. Times are in milliseconds.
 * The session maps its own settings (seconds) onto these; see PEER.md for what each one guards.
 */
import { TorrentError } from '../errors.js';
import { DEFAULT_MAX_BLOCK_SIZE, DEFAULT_MAX_EXTENDED_SIZE, DEFAULT_MAX_MESSAGE_SIZE } from '../wire/messages.js';
import { DEFAULT_MAX_METADATA_SIZE, DEFAULT_MAX_REQQ } from '../wire/extensions/extension-handshake.js';

/** Settings of one {@link PeerConnection}. Every field has a default ({@link DEFAULT_PEER_SETTINGS}). */
export interface PeerSettings {
  /** The whole remote handshake must arrive within this (libtorrent `handshake_timeout`, 10 s). */
  handshakeTimeoutMs: number;
  /** No bytes at all (not even a keep-alive) received for this long → drop (libtorrent `peer_timeout`, 120 s). */
  peerTimeoutMs: number;
  /** Send a keep-alive after this long without sending anything. Default 60 s (half the peer timeout). */
  keepAliveIntervalMs: number;
  /**
   * Neither side interested and no payload either way for this long → drop (libtorrent `inactivity_timeout`,
   * 600 s). 0 disables.
   */
  inactivityTimeoutMs: number;
  /**
   * Requests outstanding to the peer, unchoked (or allowed fast), and no block for this long → the owner's
   * `onStall` is told once per stall (the RequestTracker decides what to re-request). Default 20 s.
   */
  stallTimeoutMs: number;
  /** Upload queue we advertise as `reqq` and enforce (libtorrent `max_allowed_in_request_queue`, 250). */
  maxRequestQueue: number;
  /**
   * Requests we could not queue (queue full, piece missing, choked) tolerated before dropping the peer; the
   * count decays by half every second, so only a persistent flood trips it. Default 500.
   */
  maxBadRequests: number;
  /** Storage reads in flight for uploads on this connection. Default 4. */
  maxReadsInFlight: number;
  /** Largest block we serve or accept (16 KiB). */
  maxBlockSize: number;
  /** Decoder limit for messages without a tighter rule. */
  maxMessageSize: number;
  /** Decoder limit for extended messages. */
  maxExtendedSize: number;
  /** Cap on the peer's `reqq`. */
  maxRemoteReqq: number;
  /** Largest `metadata_size` believed. */
  maxMetadataSize: number;
  /** Suggested pieces kept per peer (oldest dropped). Default 32. */
  maxSuggested: number;
  /** Allowed-fast pieces kept per peer (further ones ignored). Default 64. */
  maxAllowedFast: number;
  /** Offer BEP 6 (fast extension). Default true. */
  fastExtension: boolean;
  /** Offer BEP 10 (extension protocol). Default true. */
  extensionProtocol: boolean;
  /** Set the BEP 5 DHT bit in our handshake. Default false. */
  dht: boolean;
  /** `v` in our extension handshake. */
  clientVersion: string;
  /** `p` (our listen port) in our extension handshake, when known. */
  listenPort?: number;
}

/** Defaults (libtorrent's where it has one). */
export const DEFAULT_PEER_SETTINGS: Readonly<PeerSettings> = Object.freeze({
  handshakeTimeoutMs: 10_000,
  peerTimeoutMs: 120_000,
  keepAliveIntervalMs: 60_000,
  inactivityTimeoutMs: 600_000,
  stallTimeoutMs: 20_000,
  maxRequestQueue: 250,
  maxBadRequests: 500,
  maxReadsInFlight: 4,
  maxBlockSize: DEFAULT_MAX_BLOCK_SIZE,
  maxMessageSize: DEFAULT_MAX_MESSAGE_SIZE,
  maxExtendedSize: DEFAULT_MAX_EXTENDED_SIZE,
  maxRemoteReqq: DEFAULT_MAX_REQQ,
  maxMetadataSize: DEFAULT_MAX_METADATA_SIZE,
  maxSuggested: 32,
  maxAllowedFast: 64,
  fastExtension: true,
  extensionProtocol: true,
  dht: false,
  clientVersion: 'swarmkit 0.1.0',
});

const POSITIVE: readonly (keyof PeerSettings)[] = [
  'handshakeTimeoutMs',
  'peerTimeoutMs',
  'keepAliveIntervalMs',
  'stallTimeoutMs',
  'maxRequestQueue',
  'maxBadRequests',
  'maxReadsInFlight',
  'maxBlockSize',
  'maxMessageSize',
  'maxExtendedSize',
  'maxRemoteReqq',
  'maxMetadataSize',
  'maxSuggested',
  'maxAllowedFast',
];

/** Merges `over` onto the defaults (or onto `base`) and validates; throws `invalid_setting`. */
export function resolvePeerSettings(over: Partial<PeerSettings> = {}, base: Readonly<PeerSettings> = DEFAULT_PEER_SETTINGS): PeerSettings {
  const s: PeerSettings = { ...base };
  for (const [k, v] of Object.entries(over) as [keyof PeerSettings, PeerSettings[keyof PeerSettings] | undefined][]) {
    if (v !== undefined) (s as unknown as Record<string, unknown>)[k] = v;
  }
  for (const k of POSITIVE) {
    const v = s[k];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
      throw new TorrentError('invalid_setting', `peer setting ${k} must be a positive integer, got ${String(v)}`);
    }
  }
  if (!Number.isSafeInteger(s.inactivityTimeoutMs) || s.inactivityTimeoutMs < 0) {
    throw new TorrentError('invalid_setting', `peer setting inactivityTimeoutMs must be a non-negative integer, got ${s.inactivityTimeoutMs}`);
  }
  if (s.listenPort !== undefined && (!Number.isInteger(s.listenPort) || s.listenPort < 1 || s.listenPort > 0xffff)) {
    throw new TorrentError('invalid_setting', `peer setting listenPort must be in 1..65535, got ${s.listenPort}`);
  }
  return s;
}

/**
 * How often a connection's housekeeping tick runs: a quarter of its shortest timer, between 10 ms and 1 s.
 * One timer per connection does idle, keep-alive, inactivity and stall checks.
 */
export function tickInterval(s: Readonly<PeerSettings>): number {
  let min = Math.min(s.peerTimeoutMs, s.keepAliveIntervalMs, s.stallTimeoutMs);
  if (s.inactivityTimeoutMs > 0) min = Math.min(min, s.inactivityTimeoutMs);
  return Math.max(10, Math.min(1000, Math.floor(min / 4)));
}
