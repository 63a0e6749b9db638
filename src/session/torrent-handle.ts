/**
 * TorrentHandle: a thin reference to a torrent in a session (libtorrent's torrent_handle). It holds
 * only the torrent's id and a way to look the torrent up; every call resolves the torrent afresh, so a
 * handle of a removed torrent throws TorrentError('invalid_handle') — even if a torrent with the same
 * info-hash was added again later (that one has a new handle, as in libtorrent).
 */
import { TorrentError } from '../errors.js';
import type { PeerAddress } from '../interfaces/transport.js';
import type { InfoHashes } from '../metainfo/info-hash.js';
import type { TorrentInfo } from '../metainfo/torrent-info.js';
import type { Torrent } from '../torrent/torrent.js';
import { checkPeerAddress } from './add-torrent-params.js';
import type { TorrentStatus } from './torrent-status.js';
import type { TrackerStatus } from '../tracker/announcer-types.js';

export type { TrackerStatus } from '../tracker/announcer-types.js';

/** How a handle finds its torrent (implemented by the session). @internal */
export interface HandleResolver {
  resolve(id: string, serial: number): Torrent | undefined;
  infoHashesOf(t: Torrent): InfoHashes;
  torrentInfoOf(t: Torrent): TorrentInfo | undefined;
  /** Whether a transport of the session can reach `addr`. */
  canDial(addr: PeerAddress): boolean;
}

/** A reference to one torrent of a session. Compare handles with {@link TorrentHandle.equals}. */
export class TorrentHandle {
  /** The torrent's id: its info-hash as lowercase hex (v1, else v2 truncated to 20 bytes). */
  readonly id: string;
  readonly #serial: number;
  readonly #resolver: HandleResolver;

  /** @internal Handles come from Session.addTorrent / findTorrent / getTorrents. */
  constructor(id: string, serial: number, resolver: HandleResolver) {
    this.id = id;
    this.#serial = serial;
    this.#resolver = resolver;
  }

  #t(): Torrent {
    const t = this.#resolver.resolve(this.id, this.#serial);
    if (!t) throw new TorrentError('invalid_handle', `torrent ${this.id} is not in the session`, { details: { infoHash: this.id } });
    return t;
  }

  /** Whether the torrent is still in the session. */
  isValid(): boolean {
    return this.#resolver.resolve(this.id, this.#serial) !== undefined;
  }

  /** Whether both handles refer to the same torrent. */
  equals(other: TorrentHandle): boolean {
    return other.id === this.id && other.#serial === this.#serial;
  }

  /** A status snapshot. */
  status(): TorrentStatus {
    return this.#t().status();
  }

  /** The torrent's info-hashes (v1 and/or v2). */
  infoHashes(): InfoHashes {
    return this.#resolver.infoHashesOf(this.#t());
  }

  /** The metadata, or undefined while it is not known (magnet without metadata yet). */
  torrentFile(): TorrentInfo | undefined {
    return this.#resolver.torrentInfoOf(this.#t());
  }

  /** Whether every piece is verified (libtorrent's is_seed). */
  isSeed(): boolean {
    return this.#t().state === 'seeding';
  }

  /** Whether every wanted piece is verified. */
  isFinished(): boolean {
    const s = this.#t().state;
    return s === 'seeding' || s === 'finished';
  }

  /** Pauses the torrent (torrent_paused). */
  pause(): void {
    this.#t().pause();
  }

  /** Resumes the torrent (torrent_resumed). */
  resume(): void {
    this.#t().resume();
  }

  /** Whether the torrent's own paused flag is set. */
  isPaused(): boolean {
    return this.#t().paused;
  }

  /** Priority of every file (0..7). Throws `metadata_not_available` before metadata. */
  filePriorities(): number[] {
    return this.#t().filePriorities();
  }

  /** Sets every file's priority (missing entries 4); piece priorities follow. */
  prioritizeFiles(priorities: readonly number[]): void {
    this.#t().prioritizeFiles(priorities);
  }

  /** Gets (one argument) or sets a file's priority. */
  filePriority(index: number, priority?: number): number {
    return this.#t().filePriority(index, priority);
  }

  /** Priority of every piece (0..7). */
  piecePriorities(): number[] {
    return this.#t().piecePriorities();
  }

  /** Sets piece priorities: the full list, or `[piece, priority]` pairs. */
  prioritizePieces(priorities: readonly number[] | readonly (readonly [number, number])[]): void {
    this.#t().prioritizePieces(priorities);
  }

  /** Gets (one argument) or sets a piece's priority. */
  piecePriority(index: number, priority?: number): number {
    return this.#t().piecePriority(index, priority);
  }

  /**
   * Moves the data to `path` through the storage's `move` (fs: a directory). Resolves when moved;
   * posts storage_moved, or storage_moved_failed and rejects.
   */
  moveStorage(path: string): Promise<void> {
    return this.#t().moveStorage(path);
  }

  /** Forgets verified pieces and checks the data in storage again (also clears an error). */
  forceRecheck(): Promise<void> {
    return this.#t().forceRecheck();
  }

  /** Clears the error state and retries what failed. */
  clearError(): void {
    this.#t().clearError();
  }

  /**
   * Adds a peer to the torrent's peer list and, when the torrent is active, dials it at once through the
   * first transport that can reach it (libtorrent's connect_peer: resolves once the attempt is queued;
   * the outcome shows as peer_connect / peer_disconnected alerts and in status().numPeers). A paused
   * torrent dials it when resumed. Rejects `invalid_argument` for a bad address and `not_supported` when
   * no transport of the session can reach it.
   */
  async connectPeer(addr: PeerAddress): Promise<void> {
    const t = this.#t();
    const a = checkPeerAddress(addr);
    if (!this.#resolver.canDial(a)) {
      throw new TorrentError('not_supported', `no transport can reach ${a.host}:${a.port}`, { details: { host: a.host, port: a.port } });
    }
    t.swarm.addPeer(a);
  }

  /** The torrent's trackers with their status (libtorrent trackers(): tier, fails, last error, scrape counts). */
  trackers(): TrackerStatus[] {
    return this.#t().discovery.trackers();
  }

  /** Adds a tracker to `tier` (default 0), announced at once when the torrent runs; false when already listed. */
  addTracker(url: string, tier = 0): boolean {
    return this.#t().discovery.addTracker(url, tier);
  }

  /** Announces to every tracker now, ignoring their `min interval` (libtorrent force_reannounce). */
  forceReannounce(): void {
    this.#t().discovery.forceReannounce();
  }

  /** Announces to the DHT now (libtorrent force_dht_announce). */
  forceDhtAnnounce(): void {
    this.#t().discovery.forceDhtAnnounce();
  }

  /** Scrapes the current tracker; the answer comes as scrape_reply / scrape_failed (and in trackers()). */
  scrapeTracker(): Promise<void> {
    return this.#t().discovery.scrape();
  }

  /** This torrent's connection limit (default: the session's maxConnectionsPerTorrent). */
  maxConnections(): number {
    return this.#t().swarm.maxConnections();
  }

  /** Sets this torrent's connection limit (libtorrent set_max_connections). */
  setMaxConnections(n: number): void {
    this.#t().swarm.setMaxConnections(n);
  }

  /** Asks for `piece` within `ms` milliseconds (recorded now; the picker honours it once it lands). */
  setPieceDeadline(piece: number, ms: number): void {
    this.#t().setPieceDeadline(piece, ms);
  }

  /** Removes the deadline of `piece`. */
  resetPieceDeadline(piece: number): void {
    this.#t().resetPieceDeadline(piece);
  }

  /** Removes every piece deadline. */
  clearPieceDeadlines(): void {
    this.#t().clearPieceDeadlines();
  }

  /** Pieces with a deadline and when it falls (ms since the epoch); a swarmkit addition for inspection. */
  pieceDeadlines(): Array<{ piece: number; deadline: number }> {
    return [...this.#t().deadlines].map(([piece, deadline]) => ({ piece, deadline })).sort((a, b) => a.piece - b.piece);
  }

  /** Whether piece `index` is verified. */
  havePiece(index: number): boolean {
    return this.#t().havePiece(index);
  }

  /** Reads a verified piece from storage; rejects `invalid_argument` for a piece we do not have. */
  readPiece(index: number): Promise<Uint8Array> {
    return this.#t().readPiece(index);
  }

  /** Flushes written data to durable storage; posts cache_flushed. */
  flushCache(): Promise<void> {
    return this.#t().flushCache();
  }

  /** Where the data is saved. */
  savePath(): string {
    return this.#t().savePath;
  }

  /** The torrent's name. */
  name(): string {
    return this.#t().name;
  }
}
