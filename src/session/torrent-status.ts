/**
 * TorrentStatus: a snapshot of one torrent, after libtorrent's `torrent_status`. Plain data, so it can be
 * posted in a `state_update` alert and structured-cloned (to a worker, over postMessage).
 */
import type { ErrorCode } from '../errors.js';

/**
 * What a torrent is doing, after libtorrent's `torrent_status::state_t` (camel-cased values kept in
 * libtorrent's snake_case so they read the same in logs of both libraries).
 * - `checking_files`: hashing the data already in storage (or queued to, see `activeChecking`).
 * - `downloading_metadata`: added from a magnet / info-hash; waiting for the info dictionary.
 * - `downloading`: has metadata; some wanted pieces are missing.
 * - `finished`: every wanted piece is present but some unwanted (priority 0) pieces are not.
 * - `seeding`: every piece is present.
 * - `checking_resume_data`: validating resume data (lands with resume data support).
 */
export type TorrentState =
  | 'checking_files'
  | 'downloading_metadata'
  | 'downloading'
  | 'finished'
  | 'seeding'
  | 'checking_resume_data';

/** A structured-clonable error: the stable code and a human-readable message. */
export interface AlertError {
  readonly code: ErrorCode;
  readonly message: string;
}

/** Snapshot of one torrent (libtorrent `torrent_status`). */
export interface TorrentStatus {
  /** Info-hash id as lowercase hex (v1 if present, else v2 truncated to 20 bytes). */
  readonly infoHash: string;
  /** Torrent name ('' while metadata is missing and no name was given). */
  readonly name: string;
  readonly savePath: string;
  readonly state: TorrentState;
  /** Progress of the current task in [0, 1]: checking progress while checking, else wanted bytes done / wanted. */
  readonly progress: number;
  /** {@link progress} in parts per million, an integer (libtorrent `progress_ppm`). */
  readonly progressPpm: number;
  /** Verified bytes we have (pad-file bytes excluded). */
  readonly totalDone: number;
  /** Bytes we want (pieces with priority > 0, pad-file bytes excluded). */
  readonly totalWanted: number;
  /** Verified bytes we have of what we want. */
  readonly totalWantedDone: number;
  /** Bitfield of verified pieces (BitTorrent bit order: piece 0 is the high bit of byte 0); a copy. */
  readonly pieces: Uint8Array;
  /** Verified piece count. */
  readonly numPieces: number;
  /** The torrent's own paused flag. */
  readonly paused: boolean;
  /** Whether the session is paused (the torrent is then inactive even when not paused itself). */
  readonly sessionPaused: boolean;
  readonly autoManaged: boolean;
  readonly seedMode: boolean;
  readonly uploadMode: boolean;
  readonly sequentialDownload: boolean;
  /** Set when the torrent stopped on an error (storage failure, ...); cleared by `clearError()`. */
  readonly errorCode?: ErrorCode;
  readonly error?: string;
  /**
   * Measured rates in bytes/s (0 while no peer is connected): `*PayloadRate` counts piece data only,
   * `downloadRate` / `uploadRate` every byte on the wire (protocol overhead included).
   */
  readonly downloadRate: number;
  readonly uploadRate: number;
  readonly downloadPayloadRate: number;
  readonly uploadPayloadRate: number;
  /** Piece data received / sent since the torrent was added (this session). */
  readonly totalPayloadDownload: number;
  readonly totalPayloadUpload: number;
  readonly numPeers: number;
  readonly numSeeds: number;
  readonly isSeeding: boolean;
  readonly isFinished: boolean;
  readonly hasMetadata: boolean;
  /** Unix time (seconds) the torrent was added. */
  readonly addedTime: number;
  /** Unix time (seconds) the torrent completed (all wanted pieces), 0 if not yet. */
  readonly completedTime: number;
}
