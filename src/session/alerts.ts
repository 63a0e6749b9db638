/**
 * Alerts: plain, structured-clonable objects in a discriminated union keyed on `type`, after libtorrent's
 * alert classes (the `type` is libtorrent's class name without `_alert`). Every alert carries its
 * `category` (see ./alert-category.ts), a `timestamp` (ms since the Unix epoch) and, when it concerns a
 * torrent, the torrent's `infoHash` (hex id) and `name`.
 *
 * Use {@link alertMessage} for libtorrent-style `message()` text.
 */
import type { AlertError, TorrentState, TorrentStatus } from './torrent-status.js';
import { alertCategory as C } from './alert-category.js';
import type { ErrorCode } from '../errors.js';

/** Fields every alert has. */
export interface AlertBase {
  readonly type: string;
  /** Bitmask of {@link C | alertCategory} values. */
  readonly category: number;
  /** Milliseconds since the Unix epoch when the alert was posted. */
  readonly timestamp: number;
}

/** Fields of alerts about one torrent. */
export interface TorrentAlertBase extends AlertBase {
  /** The torrent's info-hash id (lowercase hex). */
  readonly infoHash: string;
  /** The torrent's name ('' while no metadata and no name are known). */
  readonly name: string;
}

type T<K extends string, F = object> = TorrentAlertBase & { readonly type: K } & F;
type S<K extends string, F = object> = AlertBase & { readonly type: K } & F;

/** Where a peer is. */
export interface AlertEndpoint {
  readonly ip: string;
  readonly port: number;
}

/** A torrent was added (libtorrent's deprecated `torrent_added_alert`; kept for its simplicity). */
export type TorrentAddedAlert = T<'torrent_added'>;
/** Reply to every addTorrent: `error` is set when adding failed (then infoHash may be ''). */
export type AddTorrentAlert = T<'add_torrent', { readonly error?: AlertError }>;
/** The torrent left the session. */
export type TorrentRemovedAlert = T<'torrent_removed'>;
/** The torrent's data was deleted after removeTorrent(h, { deleteFiles: true }). */
export type TorrentDeletedAlert = T<'torrent_deleted'>;
/** Deleting the data failed. */
export type TorrentDeleteFailedAlert = T<'torrent_delete_failed', { readonly error: AlertError }>;
export type TorrentPausedAlert = T<'torrent_paused'>;
export type TorrentResumedAlert = T<'torrent_resumed'>;
/** The torrent's {@link TorrentState} changed. */
export type StateChangedAlert = T<'state_changed', { readonly state: TorrentState; readonly prevState: TorrentState }>;
/** Checking the data in storage completed. */
export type TorrentCheckedAlert = T<'torrent_checked'>;
/** Every wanted piece is present (finished or seeding). */
export type TorrentFinishedAlert = T<'torrent_finished'>;
/** The torrent stopped on an error. */
export type TorrentErrorAlert = T<'torrent_error', { readonly error: AlertError; readonly filename?: string }>;
/** A storage operation failed (`operation`: 'read', 'write', 'open', 'flush', 'move', ...). */
export type FileErrorAlert = T<'file_error', { readonly error: AlertError; readonly operation: string; readonly filename?: string }>;
export type StorageMovedAlert = T<'storage_moved', { readonly storagePath: string; readonly oldPath: string }>;
export type StorageMovedFailedAlert = T<'storage_moved_failed', { readonly error: AlertError; readonly filePath: string; readonly operation: string }>;
/** Reply to flushCache(). */
export type CacheFlushedAlert = T<'cache_flushed'>;
/** A piece was verified and is now complete. */
export type PieceFinishedAlert = T<'piece_finished', { readonly pieceIndex: number }>;
/** A piece failed its hash check (downloaded data; checking reports missing pieces silently like libtorrent). */
export type HashFailedAlert = T<'hash_failed', { readonly pieceIndex: number }>;
export type MetadataReceivedAlert = T<'metadata_received'>;
export type MetadataFailedAlert = T<'metadata_failed', { readonly error: AlertError }>;
export type FileCompletedAlert = T<'file_completed', { readonly fileIndex: number }>;
/** Reply to postTorrentUpdates(): statuses of torrents changed since the previous call. */
export type StateUpdateAlert = S<'state_update', { readonly status: readonly TorrentStatus[] }>;
/** The queue overflowed; `droppedTypes` lists the types of the alerts that were lost. */
export type AlertsDroppedAlert = S<'alerts_dropped', { readonly droppedTypes: readonly string[] }>;
/** A listen socket opened (posted by the transports, which land with the swarm). */
export type ListenSucceededAlert = S<'listen_succeeded', { readonly address: string; readonly port: number; readonly socketType: string }>;
export type ListenFailedAlert = S<'listen_failed', { readonly address: string; readonly port: number; readonly socketType: string; readonly operation: string; readonly error: AlertError }>;
export type PeerConnectAlert = T<'peer_connect', { readonly endpoint: AlertEndpoint; readonly direction: 'in' | 'out'; readonly transport: string }>;
/**
 * A peer connection closed. `reason` is the close kind (src/peer/close-reason.ts: `remote_closed`,
 * `protocol`, `idle_timeout`, `local`, ...), `code` the stable error code of the close.
 */
export type PeerDisconnectedAlert = T<'peer_disconnected', { readonly endpoint: AlertEndpoint; readonly reason: string; readonly code: ErrorCode; readonly error?: AlertError }>;
/**
 * A peer was banned for the rest of the session (libtorrent's peer_ban_alert): it sent data that failed
 * hash checks (smart ban). `reason` says why.
 */
export type PeerBannedAlert = T<'peer_banned', { readonly endpoint: AlertEndpoint; readonly reason: string }>;
export type PeerBlockedAlert = T<'peer_blocked', { readonly endpoint: AlertEndpoint; readonly reason: string }>;
export type TrackerAnnounceAlert = T<'tracker_announce', { readonly url: string; readonly event: string }>;
export type TrackerReplyAlert = T<'tracker_reply', { readonly url: string; readonly numPeers: number }>;
/** An announce failed; `timesInRow` counts consecutive failures, `retryIn` is the back-off in seconds. */
export type TrackerErrorAlert = T<'tracker_error', { readonly url: string; readonly error: AlertError; readonly timesInRow: number; readonly retryIn: number }>;
/** A tracker answered with a `warning message`. */
export type TrackerWarningAlert = T<'tracker_warning', { readonly url: string; readonly message: string }>;
/** A scrape answered (seeds, leechers, completed downloads). */
export type ScrapeReplyAlert = T<'scrape_reply', { readonly url: string; readonly complete: number; readonly incomplete: number; readonly downloaded: number }>;
export type ScrapeFailedAlert = T<'scrape_failed', { readonly url: string; readonly error: AlertError }>;
/** The DHT finished bootstrapping; `nodes` is the routing table size. */
export type DhtBootstrapAlert = S<'dht_bootstrap', { readonly nodes: number }>;
/** A DHT get_peers lookup of ours found peers (torrent alert when the torrent is in the session). */
export type DhtReplyAlert = T<'dht_reply', { readonly numPeers: number; readonly from: AlertEndpoint }>;
/** Someone asked our DHT node for peers of `infoHash` (hex). */
export type DhtGetPeersAlert = S<'dht_get_peers', { readonly infoHash: string; readonly from: AlertEndpoint }>;
/** Someone announced itself to our DHT node. */
export type DhtAnnounceAlert = S<'dht_announce', { readonly infoHash: string; readonly ip: string; readonly port: number }>;
/** A peer was found on the local network (BEP 14). */
export type LsdPeerAlert = T<'lsd_peer', { readonly endpoint: AlertEndpoint }>;
/** A session-level failure that did not stop the session (e.g. a corrupt saved state). */
export type SessionErrorAlert = S<'session_error', { readonly error: AlertError }>;
/** Reply to saveResumeData(): bencoded resume data. */
export type SaveResumeDataAlert = T<'save_resume_data', { readonly resumeData: Uint8Array }>;
export type SaveResumeDataFailedAlert = T<'save_resume_data_failed', { readonly error: AlertError }>;
/** Reply to postSessionStats(): named counters. */
export type SessionStatsAlert = S<'session_stats', { readonly counters: Readonly<Record<string, number>> }>;
/** A performance problem (libtorrent `performance_alert`); `warning` names it. */
export type PerformanceAlert = T<'performance', { readonly warning: string }>;
/** Session log line (sessionLog category). */
export type LogAlert = S<'log', { readonly message: string }>;
/** Torrent log line (torrentLog category). */
export type TorrentLogAlert = T<'torrent_log', { readonly message: string }>;
/** Peer log line (peerLog category). */
export type PeerLogAlert = T<'peer_log', { readonly endpoint: AlertEndpoint; readonly direction: 'in' | 'out' | 'info'; readonly event: string; readonly message: string }>;

/** Every alert the library posts. Narrow on `type`. */
export type Alert =
  | TorrentAddedAlert | AddTorrentAlert | TorrentRemovedAlert | TorrentDeletedAlert | TorrentDeleteFailedAlert
  | TorrentPausedAlert | TorrentResumedAlert | StateChangedAlert | TorrentCheckedAlert | TorrentFinishedAlert
  | TorrentErrorAlert | FileErrorAlert | StorageMovedAlert | StorageMovedFailedAlert | CacheFlushedAlert
  | PieceFinishedAlert | HashFailedAlert | MetadataReceivedAlert | MetadataFailedAlert | FileCompletedAlert
  | StateUpdateAlert | AlertsDroppedAlert | ListenSucceededAlert | ListenFailedAlert | PeerConnectAlert
  | PeerDisconnectedAlert | PeerBannedAlert | PeerBlockedAlert | TrackerAnnounceAlert | TrackerReplyAlert
  | TrackerErrorAlert | TrackerWarningAlert | ScrapeReplyAlert | ScrapeFailedAlert | DhtBootstrapAlert | DhtReplyAlert
  | DhtGetPeersAlert | DhtAnnounceAlert | LsdPeerAlert | SessionErrorAlert | SaveResumeDataAlert | SaveResumeDataFailedAlert | SessionStatsAlert | PerformanceAlert
  | LogAlert | TorrentLogAlert | PeerLogAlert;

/** The `type` strings of {@link Alert}. */
export type AlertType = Alert['type'];
/** The alert interface for one `type`. */
export type AlertOf<K extends AlertType> = Extract<Alert, { type: K }>;
/** The fields a poster supplies for an alert of type K (category and timestamp are filled in). */
export type AlertFields<K extends AlertType> = Omit<AlertOf<K>, 'type' | 'category' | 'timestamp'>;

/** Category of each alert type (libtorrent's `static_category`). */
export const ALERT_CATEGORY: Readonly<Record<AlertType, number>> = {
  torrent_added: C.status,
  add_torrent: C.status,
  torrent_removed: C.status,
  torrent_deleted: C.storage,
  torrent_delete_failed: C.storage | C.error,
  torrent_paused: C.status,
  torrent_resumed: C.status,
  state_changed: C.status,
  torrent_checked: C.status,
  torrent_finished: C.status,
  torrent_error: C.error | C.status,
  file_error: C.error | C.storage | C.status,
  storage_moved: C.storage,
  storage_moved_failed: C.storage | C.error,
  cache_flushed: C.storage,
  piece_finished: C.pieceProgress,
  hash_failed: C.status,
  metadata_received: C.status,
  metadata_failed: C.error,
  file_completed: C.fileProgress,
  state_update: C.status,
  alerts_dropped: C.error,
  listen_succeeded: C.status,
  listen_failed: C.status | C.error,
  peer_connect: C.connect,
  peer_disconnected: C.connect,
  peer_banned: C.peer,
  peer_blocked: C.ipBlock,
  tracker_announce: C.tracker,
  tracker_reply: C.tracker,
  tracker_error: C.tracker | C.error,
  tracker_warning: C.tracker | C.error,
  scrape_reply: C.tracker,
  scrape_failed: C.tracker | C.error,
  dht_bootstrap: C.dht,
  dht_reply: C.dht | C.tracker,
  dht_get_peers: C.dht,
  dht_announce: C.dht,
  lsd_peer: C.peer,
  session_error: C.error,
  save_resume_data: C.storage,
  save_resume_data_failed: C.storage | C.error,
  session_stats: C.stats,
  performance: C.performanceWarning,
  log: C.sessionLog,
  torrent_log: C.torrentLog,
  peer_log: C.peerLog,
};

/**
 * Alerts posted whatever the mask: replies to explicit requests and results the caller always needs
 * (libtorrent documents these as "always posted").
 */
export const ALWAYS_POSTED: ReadonlySet<AlertType> = new Set<AlertType>([
  'add_torrent',
  'torrent_removed',
  'torrent_deleted',
  'torrent_delete_failed',
  'save_resume_data',
  'save_resume_data_failed',
  'state_update',
  'session_stats',
  'alerts_dropped',
]);

/** Builds an alert of `type` with its category and the current time. */
export function createAlert<K extends AlertType>(type: K, fields: AlertFields<K>, now: number = Date.now()): AlertOf<K> {
  return { ...fields, type, category: ALERT_CATEGORY[type], timestamp: now } as unknown as AlertOf<K>;
}

export { alertMessage } from './alert-message.js';
