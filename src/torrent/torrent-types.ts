/**
 * What a Torrent is made of and what it needs: its metadata view, flags, init record and the session's
 * host interface (torrent.ts holds the lifecycle; STATE.md the states).
 */
import { isTorrentError } from '../errors.js';
import type { StorageAdapter, TorrentLayout } from '../interfaces/storage.js';
import type { PeerAddress } from '../interfaces/transport.js';
import type { AlertFields, AlertType } from '../session/alerts.js';
import type { AlertError } from '../session/torrent-status.js';
import type { PieceHasher, VerifiableTorrent } from './piece-hash.js';
import type { SwarmNet } from './swarm/net.js';
import type { DiscoveryServices } from './discovery/torrent-peers.js';
import type { InfoHashes } from '../metainfo/info-hash.js';
import type { TorrentInfo } from '../metainfo/torrent-info.js';

/** What a torrent needs of its metadata (TorrentInfo satisfies it). */
export interface TorrentMeta extends VerifiableTorrent {
  readonly name: string;
  readonly totalLength: number;
  layout(): TorrentLayout;
  /** The raw info dict (served over ut_metadata); absent: not served. */
  readonly infoBytes?: Uint8Array;
  /** BEP 27: trackers only, no DHT / LSD / PEX. */
  readonly isPrivate?: boolean;
}

/** Per-torrent flags (libtorrent's torrent_flags, as booleans). */
export interface TorrentFlags {
  /** Added paused: no checking or transfers until resumed. */
  paused: boolean;
  /** Let the session's queue start and stop it (the auto-manager lands with the swarm; recorded now). */
  autoManaged: boolean;
  /** Trust that every piece is present: skip checking and seed. */
  seedMode: boolean;
  /** Do not download; only upload what we have. */
  uploadMode: boolean;
  /** Download pieces in order (read by the picker once it lands). */
  sequentialDownload: boolean;
}

/** What a torrent is created from (resolved by the session from AddTorrentParams). */
export interface TorrentInit {
  readonly id: string;
  readonly serial: number;
  readonly meta?: TorrentMeta;
  readonly name: string;
  readonly savePath: string;
  readonly storage: StorageAdapter;
  readonly flags: TorrentFlags;
  readonly filePriorities?: readonly number[];
  readonly piecePriorities?: readonly number[];
  readonly trackers: readonly (readonly string[])[];
  readonly urlSeeds: readonly string[];
  readonly peers: readonly PeerAddress[];
  /** The 20-byte info-hash of handshakes (v1, else v2 truncated). */
  readonly handshakeHash: Uint8Array;
  /** Every info-hash known (a magnet's metadata is verified against each). */
  readonly infoHashes: InfoHashes;
  /** Connection limit of this torrent (default: the session's maxConnectionsPerTorrent). */
  readonly maxConnections?: number;
}

/** What the session provides to its torrents. */
export interface TorrentHost {
  post<K extends AlertType>(type: K, fields: AlertFields<K>): void;
  hasher(): PieceHasher;
  /** Pieces in flight while checking a torrent with this piece length. */
  checkConcurrency(pieceLength: number): number;
  /** Waits for a checking slot (activeChecking); the returned function releases it. */
  acquireCheckSlot(signal: AbortSignal): Promise<() => void>;
  sessionPaused(): boolean;
  /** The torrent's status changed (for postTorrentUpdates). */
  changed(id: string): void;
  /** The session's network layer (peers, transports, limits). */
  net(): SwarmNet;
  /** The session's trackers / DHT / LSD services. */
  discovery(): DiscoveryServices;
  /** A magnet torrent's metadata arrived (the session updates what handles see). */
  metadataReceived(id: string, ti: TorrentInfo): void;
}

/** A structured-clonable error from anything thrown. */
export function toAlertError(err: unknown): AlertError {
  if (isTorrentError(err)) return { code: err.code, message: err.message };
  return { code: 'storage_io_error', message: err instanceof Error ? err.message : String(err) };
}
