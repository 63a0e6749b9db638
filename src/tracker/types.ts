/**
 * Shapes shared by the tracker clients (HTTP, UDP) and the announcer. All runtime-neutral.
 */

/** Announce event (BEP 3). `undefined` is a regular re-announce. */
export type AnnounceEvent = 'started' | 'completed' | 'stopped';

/** What we tell a tracker in one announce. */
export interface AnnounceRequest {
  /** 20 bytes: the v1 info-hash, or the v2 hash truncated to 20 bytes. */
  readonly infoHash: Uint8Array;
  /** 20 bytes. */
  readonly peerId: Uint8Array;
  /** Our listen port (1..65535). */
  readonly port: number;
  readonly uploaded: number;
  readonly downloaded: number;
  /** Bytes left to download (0 for a seed). */
  readonly left: number;
  readonly event?: AnnounceEvent;
  /** Peers wanted; -1 lets the tracker choose (UDP). Default 200. */
  readonly numWant?: number;
  /** Random 32-bit key identifying us across IP changes. */
  readonly key: number;
  /** The `tracker id` a tracker gave us earlier (HTTP only), echoed back verbatim. */
  readonly trackerId?: Uint8Array;
}

/** A peer address from a tracker (IP literal, port 1..65535). */
export interface TrackerPeer {
  readonly host: string;
  readonly port: number;
  /** The peer id, when the tracker sent a non-compact dict list. */
  readonly peerId?: Uint8Array;
}

/** A successful announce reply. Intervals are in seconds, already clamped. */
export interface AnnounceResponse {
  readonly interval: number;
  readonly minInterval?: number;
  /** Seeds, when the tracker said. */
  readonly complete?: number;
  /** Leechers, when the tracker said. */
  readonly incomplete?: number;
  /** Completed downloads, when the tracker said (HTTP extension). */
  readonly downloaded?: number;
  readonly peers: TrackerPeer[];
  /** `warning message`: the announce succeeded but the tracker has something to say. */
  readonly warning?: string;
  /** `tracker id` to echo in later announces. */
  readonly trackerId?: Uint8Array;
  /** Our address as the tracker sees it (BEP 24). */
  readonly externalIp?: string;
  /** Entries dropped by the peer filter (0.0.0.0, multicast, port 0, non-literal hosts, over the cap). */
  readonly droppedPeers: number;
}

/** Scrape counters for one torrent. */
export interface ScrapeCounts {
  /** Seeds. */
  readonly complete: number;
  /** Leechers. */
  readonly incomplete: number;
  /** Completed downloads. */
  readonly downloaded: number;
}

/** A scrape reply: counters by lowercase hex info-hash. */
export interface ScrapeResponse {
  readonly files: ReadonlyMap<string, ScrapeCounts>;
}

/** Per-call options for tracker requests. */
export interface TrackerCallOptions {
  /** Aborts the request (rejects with `aborted`). */
  readonly signal?: AbortSignal;
}

/** One tracker protocol (HTTP(S), UDP, ...), as the announcer uses it. */
export interface TrackerClient {
  /** True when this client speaks the URL's scheme. */
  canHandle(url: string): boolean;
  announce(url: string, req: AnnounceRequest, opts?: TrackerCallOptions): Promise<AnnounceResponse>;
  /** Rejects with `not_supported` when the tracker has no scrape endpoint. */
  scrape(url: string, infoHashes: readonly Uint8Array[], opts?: TrackerCallOptions): Promise<ScrapeResponse>;
}

/** Interval clamps (seconds), applied to every reply. */
export interface IntervalLimits {
  /** Lowest accepted `interval` / `min interval` (default 60). */
  readonly minInterval?: number;
  /** Highest accepted `interval` / `min interval` (default 3600). */
  readonly maxInterval?: number;
}

/** Default clamp range for tracker intervals, seconds. */
export const DEFAULT_INTERVAL_LIMITS = { minInterval: 60, maxInterval: 3600 } as const;

/** Clamps a tracker-given interval (seconds) into the configured range; non-numbers give `fallback`. */
export function clampInterval(v: number | undefined, fallback: number, limits: IntervalLimits = {}): number {
  const lo = limits.minInterval ?? DEFAULT_INTERVAL_LIMITS.minInterval;
  const hi = limits.maxInterval ?? DEFAULT_INTERVAL_LIMITS.maxInterval;
  const x = v === undefined || !Number.isFinite(v) ? fallback : v;
  return Math.min(hi, Math.max(lo, Math.floor(x)));
}
