/** Types for the announcer (announcer.ts): owner callbacks, options, timers and per-tracker status. */
import type { TorrentError } from '../errors.js';
import type { AnnounceEvent, AnnounceResponse, ScrapeCounts, TrackerClient } from './types.js';

/** Injectable clock and timers, so tests can move time without waiting. Times are ms. */
export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Where the announcer reports; the torrent turns these into alerts and peers. Callbacks must not throw. */
export interface AnnouncerOwner {
  /** Transfer counters sent with each announce. */
  announceStats(): { uploaded: number; downloaded: number; left: number };
  /** A tracker answered (also for `stopped`, whose peers should be ignored). */
  onAnnounceReply(ev: { url: string; tier: number; event?: AnnounceEvent; response: AnnounceResponse }): void;
  /** The reply carried a `warning message`. */
  onTrackerWarning(ev: { url: string; tier: number; message: string }): void;
  /** An announce failed; `fails` counts consecutive failures, `retryInMs` is the back-off chosen. */
  onTrackerError(ev: { url: string; tier: number; event?: AnnounceEvent; error: TorrentError; fails: number; retryInMs: number }): void;
  /** A scrape answered for our torrent. */
  onScrapeReply(ev: { url: string; tier: number; counts: ScrapeCounts }): void;
  /** A scrape failed. */
  onScrapeError(ev: { url: string; tier: number; error: TorrentError }): void;
}

/** Options for {@link Announcer}. Defaults follow libtorrent's settings. */
export interface AnnouncerOptions {
  /** 20 bytes (v1 hash, or v2 truncated). */
  infoHash: Uint8Array;
  /** 20 bytes. */
  peerId: Uint8Array;
  /** Our listen port. */
  port: number;
  /** Random 32-bit key (default: random). */
  key?: number;
  /** Tiers of tracker URLs (BEP 12), as in the metainfo's announce-list. */
  trackers: readonly (readonly string[])[];
  /** Protocol clients; the first whose `canHandle` accepts a URL is used. */
  clients: readonly TrackerClient[];
  owner: AnnouncerOwner;
  /** Peers asked for (libtorrent `num_want`, default 200). */
  numWant?: number;
  /** Announce to every tier, not only the first working one (libtorrent default false). */
  announceToAllTiers?: boolean;
  /** Announce to every tracker in a tier, not only the first working one (libtorrent default false). */
  announceToAllTrackers?: boolean;
  /** Back-off growth in percent (libtorrent `tracker_backoff`, default 250). */
  trackerBackoff?: number;
  /** Back-off floor, seconds (libtorrent `tracker_retry_delay_min`, 5). */
  retryDelayMin?: number;
  /** Back-off ceiling, seconds (libtorrent `tracker_retry_delay_max`, 3600). */
  retryDelayMax?: number;
  /** Give up on a tracker after this many consecutive failures; 0 = never (libtorrent default). */
  failLimit?: number;
  /** Whole-announce timeout, ms (libtorrent `tracker_completion_timeout`, 30 s). */
  completionTimeoutMs?: number;
  /** Timeout for `stopped` announces on stop, ms (libtorrent `stop_tracker_timeout`, 5 s). */
  stopTimeoutMs?: number;
  /** Clock and timers (default: the real clock, `realTimers` of announcer.ts). */
  timers?: Timers;
}

/** One tracker as `handle.trackers()` shows it (libtorrent announce_entry). */
export interface TrackerStatus {
  readonly url: string;
  readonly tier: number;
  /** Consecutive failures. */
  readonly fails: number;
  /** The last failure, cleared by a success. */
  readonly lastError?: { readonly code: string; readonly message: string };
  /** The last `warning message`. */
  readonly message?: string;
  /** When the next regular announce is due (ms, timer clock); undefined before the first. */
  readonly nextAnnounce?: number;
  /** Earliest time a forced announce is honoured (tracker `min interval`). */
  readonly minAnnounce?: number;
  /** An announce is in flight. */
  readonly updating: boolean;
  /** The tracker has answered at least once. */
  readonly verified: boolean;
  readonly startSent: boolean;
  readonly completeSent: boolean;
  /** Seeds / leechers / completed downloads from the last reply or scrape; -1 when unknown. */
  readonly scrapeComplete: number;
  readonly scrapeIncomplete: number;
  readonly scrapeDownloaded: number;
}

/**
 * The status of a tracker no announce has gone to yet, as {@link TrackerStatus} shows it; what the torrent
 * lists while the announcer's code loads (src/torrent/discovery/torrent-discovery.ts).
 */
export function unannouncedTrackerStatus(url: string, tier: number): TrackerStatus {
  return {
    url, tier, fails: 0, updating: false, verified: false, startSent: false, completeSent: false,
    scrapeComplete: -1, scrapeIncomplete: -1, scrapeDownloaded: -1,
  };
}
