/**
 * One torrent's lifecycle: storage, verified pieces, priorities, checking, pause and errors.
 * States and invariants are described in ./STATE.md. The session owns Torrent objects; users reach
 * them only through TorrentHandle.
 */
import { TorrentError, isTorrentError } from '../errors.js';
import type { StorageAdapter, TorrentLayout, TorrentStorage } from '../interfaces/storage.js';
import type { PeerAddress } from '../interfaces/transport.js';
import type { AlertFields, AlertType } from '../session/alerts.js';
import type { AlertError, TorrentState, TorrentStatus } from '../session/torrent-status.js';
import { Bitfield } from './bitfield.js';
import { PieceVerifier } from './piece-hash.js';
import type { PieceHasher, VerifiableTorrent } from './piece-hash.js';
import { Priorities, checkIndex, checkPriority, priorityVector } from './priorities.js';
import { runCheck } from './state/checking.js';
import type { SwarmTorrent } from './swarm/swarm.js';
import type { SwarmNet } from './swarm/net.js';
import { SwarmLink } from './swarm-link.js';
import { TorrentPeers, peersHostFor } from './discovery/torrent-peers.js';
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

const FINISHED: ReadonlySet<TorrentState> = new Set(['finished', 'seeding']);

/** One torrent in a session. */
export class Torrent {
  readonly id: string;
  readonly serial: number;
  #meta: TorrentMeta | undefined;
  get meta(): TorrentMeta | undefined { return this.#meta; }
  readonly flags: TorrentFlags;
  readonly trackers: readonly (readonly string[])[];
  readonly urlSeeds: readonly string[];
  readonly peers: readonly PeerAddress[];
  readonly addedTime = Math.floor(Date.now() / 1000);
  readonly deadlines = new Map<number, number>();
  #name: string;
  #savePath: string;
  #adapter: StorageAdapter;
  #storage: TorrentStorage | undefined;
  #have: Bitfield | undefined;
  #prio: Priorities | undefined;
  #state: TorrentState;
  #error: AlertError | undefined;
  #needsCheck: boolean;
  #checked = 0;
  #check: { ac: AbortController; done: Promise<void> } | undefined;
  #busy = 0; // storage operations (move, recheck) that must not overlap a check
  #closing = false;
  #opening: Promise<void> | undefined;
  #completedTime = 0;
  #ops: Promise<unknown> = Promise.resolve();
  readonly #link: SwarmLink;
  readonly #peers: TorrentPeers;
  readonly #init: TorrentInit;
  /** Every info-hash known. */
  get infoHashes(): InfoHashes {
    return this.#init.infoHashes;
  }
  /** Trackers, DHT, LSD, PEX and the magnet metadata phase (discovery/torrent-peers.ts). */
  get discovery(): TorrentPeers {
    return this.#peers;
  }
  /** Peers of this torrent: the peer list, the swarm while active, connection limits (see swarm-link.ts). */
  get swarm(): SwarmLink {
    return this.#link;
  }
  readonly handshakeHash: Uint8Array;
  /** Wanted pieces not yet verified (kept incrementally while downloading; recounted on settle). */
  #missingWanted = 0;

  constructor(init: TorrentInit, private readonly host: TorrentHost) {
    this.id = init.id;
    this.serial = init.serial;
    this.#meta = init.meta;
    this.#init = init;
    this.flags = { ...init.flags };
    this.trackers = init.trackers;
    this.urlSeeds = init.urlSeeds;
    this.peers = init.peers;
    this.#name = init.name;
    this.#savePath = init.savePath;
    this.#adapter = init.storage;
    this.#needsCheck = !init.flags.seedMode;
    this.handshakeHash = init.handshakeHash;
    this.#link = new SwarmLink(() => host.net(), init.peers, init.maxConnections);
    this.#peers = new TorrentPeers(peersHostFor(this, host, (ti) => this.#gotMetadata(ti)), init.trackers);
    const meta = init.meta;
    if (meta) {
      this.#initPieces(meta);
      this.#state = 'checking_files';
    } else {
      if (init.filePriorities) init.filePriorities.forEach((p, i) => checkPriority(p, `file ${i}`));
      this.#state = 'downloading_metadata';
    }
  }

  get name(): string { return this.#name; }
  get savePath(): string { return this.#savePath; }
  get state(): TorrentState { return this.#state; }
  get hasMetadata(): boolean { return this.meta !== undefined; }
  get paused(): boolean { return this.flags.paused; }

  #ids(): { infoHash: string; name: string } {
    return { infoHash: this.id, name: this.#name };
  }

  #post<K extends AlertType>(type: K, fields: Omit<AlertFields<K>, 'infoHash' | 'name'>): void {
    this.host.post(type, { ...this.#ids(), ...fields } as unknown as AlertFields<K>);
  }

  #setState(s: TorrentState): void {
    if (s === this.#state) return;
    const prevState = this.#state;
    this.#state = s;
    this.#post('state_changed', { state: s, prevState });
    this.host.changed(this.id);
  }

  #initPieces(meta: TorrentMeta): void {
    const init = this.#init;
    this.#have = new Bitfield(meta.pieceCount);
    this.#prio = new Priorities(meta);
    if (init.filePriorities) this.#prio.setFiles(priorityVector(init.filePriorities, meta.files.length, 'file'));
    if (init.piecePriorities) {
      priorityVector(init.piecePriorities, meta.pieceCount, 'piece').forEach((p, i) => this.#prio!.setPiece(i, p));
    }
  }

  /** A magnet's metadata arrived (verified and parsed): become a normal torrent and open storage. */
  #gotMetadata(ti: TorrentInfo): void {
    if (this.#meta || this.#closing) return;
    this.#meta = ti;
    this.#name = ti.name;
    this.#initPieces(ti);
    this.host.metadataReceived(this.id, ti);
    this.#setState('checking_files');
    void this.start();
  }

  /** Opens storage and starts checking (or seeds at once in seed mode). Errors go to the error state. */
  start(): Promise<void> {
    this.#syncSwarm();
    if (!this.meta) return Promise.resolve();
    this.#opening = this.#open(this.meta);
    return this.#opening;
  }

  async #open(meta: TorrentMeta): Promise<void> {
    const skipFiles = new Set<number>();
    this.#prio!.files.forEach((p, i) => { if (p === 0) skipFiles.add(i); });
    try {
      const storage = await this.#adapter.open(meta.layout(), { skipFiles });
      if (this.#closing) {
        await storage.close().catch(() => undefined);
        return;
      }
      this.#storage = storage;
    } catch (err) {
      this.#fail(err, 'open');
      return;
    }
    if (this.flags.seedMode) {
      this.#have!.setAll();
      this.#checked = meta.pieceCount;
      this.#settle();
    } else {
      this.#maybeCheck();
    }
  }

  #fail(err: unknown, operation: string): void {
    const error = toAlertError(err);
    this.#error = error;
    this.#post('file_error', { error, operation });
    this.#post('torrent_error', { error });
    this.host.changed(this.id);
    this.#syncSwarm();
  }

  /** Starts a check if one is needed and nothing prevents it. */
  #maybeCheck(): void {
    if (this.#check || !this.#needsCheck || !this.#storage || !this.meta || this.#error || this.#closing) return;
    if (this.#busy > 0 || this.flags.paused || this.host.sessionPaused()) return;
    this.#stopSwarm();
    this.#setState('checking_files');
    const ac = new AbortController();
    const done = this.#runCheck(this.meta, this.#storage, ac.signal);
    this.#check = { ac, done };
  }

  async #runCheck(meta: TorrentMeta, storage: TorrentStorage, signal: AbortSignal): Promise<void> {
    let release: (() => void) | undefined;
    try {
      release = await this.host.acquireCheckSlot(signal);
      const have = this.#have!;
      const verifier = new PieceVerifier(meta, this.host.hasher());
      const todo: number[] = [];
      for (let i = 0; i < meta.pieceCount; i++) if (!have.get(i)) todo.push(i);
      this.#checked = meta.pieceCount - todo.length;
      await runCheck({
        pieces: todo,
        concurrency: this.host.checkConcurrency(meta.pieceLength),
        signal,
        read: (i) => storage.read(i, 0, meta.pieceSize(i)),
        verify: (i, data) => verifier.verify(i, data),
        onResult: (i, ok) => {
          this.#checked++;
          if (ok) have.set(i);
          this.host.changed(this.id);
        },
      });
      this.#needsCheck = false;
      this.#post('torrent_checked', {});
      this.#settle();
    } catch (err) {
      if (!isTorrentError(err, 'aborted')) this.#fail(err, 'read');
    } finally {
      release?.();
      this.#check = undefined;
      queueMicrotask(() => {
        this.#maybeCheck();
        this.#syncSwarm();
      });
    }
  }

  async #stopCheck(): Promise<void> {
    const c = this.#check;
    if (!c) return;
    c.ac.abort();
    await c.done;
  }

  /** Sets the state that follows from the verified pieces, posting torrent_finished on completion. */
  #settle(): void {
    if (!this.meta) return this.#setState('downloading_metadata');
    if (this.#needsCheck) return;
    const have = this.#have!;
    const acc = this.#prio!.account((i) => have.get(i));
    this.#missingWanted = acc.wantedPieces - acc.wantedHave;
    const next: TorrentState = have.all ? 'seeding' : acc.wantedHave === acc.wantedPieces ? 'finished' : 'downloading';
    const was = FINISHED.has(this.#state);
    this.#setState(next);
    if (FINISHED.has(next) && !was) {
      if (this.#completedTime === 0) this.#completedTime = Math.floor(Date.now() / 1000);
      this.#post('torrent_finished', {});
      if (have.all) this.#peers.completed();
    }
    this.#syncSwarm();
  }

  /** Pauses the torrent (aborts a running check; it resumes where it stopped). */
  pause(): void {
    if (this.flags.paused) return;
    this.flags.paused = true;
    void this.#stopCheck();
    this.#stopSwarm();
    this.#post('torrent_paused', {});
    this.host.changed(this.id);
  }

  /** Resumes the torrent. */
  resume(): void {
    if (!this.flags.paused) return;
    this.flags.paused = false;
    this.#post('torrent_resumed', {});
    this.host.changed(this.id);
    this.#link.resetBackoff();
    this.#maybeCheck();
    this.#syncSwarm();
  }

  /** The session was paused or resumed. */
  sessionPauseChanged(paused: boolean): void {
    if (paused) void this.#stopCheck();
    else {
      this.#link.resetBackoff();
      this.#maybeCheck();
    }
    this.#syncSwarm();
    this.host.changed(this.id);
  }

  #needMeta(): TorrentMeta {
    if (!this.meta) throw new TorrentError('metadata_not_available', 'the torrent has no metadata yet');
    return this.meta;
  }

  /** Whether piece i is verified. */
  havePiece(i: number): boolean {
    checkIndex(i, this.#needMeta().pieceCount, 'piece');
    return this.#have!.get(i);
  }

  /** Reads a verified piece from storage. */
  async readPiece(i: number): Promise<Uint8Array> {
    const meta = this.#needMeta();
    checkIndex(i, meta.pieceCount, 'piece');
    if (!this.#have!.get(i)) throw new TorrentError('invalid_argument', `piece ${i} is not verified`, { details: { piece: i } });
    if (!this.#storage) throw new TorrentError('storage_closed', 'storage is not open');
    return this.#storage.read(i, 0, meta.pieceSize(i));
  }

  /** Makes written data durable; posts cache_flushed. */
  async flushCache(): Promise<void> {
    await this.#storage?.flush?.();
    this.#post('cache_flushed', {});
  }

  #serial<R>(fn: () => Promise<R>): Promise<R> {
    const run = this.#ops.then(fn, fn);
    this.#ops = run.catch(() => undefined);
    return run;
  }

  /** Moves the data to `path` (storage_moved / storage_moved_failed). A check in progress resumes after. */
  moveStorage(path: string): Promise<void> {
    if (typeof path !== 'string' || path === '') throw new TorrentError('invalid_argument', 'moveStorage needs a non-empty path');
    return this.#serial(async () => {
      const oldPath = this.#savePath;
      if (!this.meta) {
        // No storage exists before metadata: only the location changes.
        this.#savePath = path;
        this.#post('storage_moved', { storagePath: path, oldPath });
        this.host.changed(this.id);
        return;
      }
      await this.#opening;
      const s = this.#storage;
      this.#busy++;
      try {
        await this.#stopCheck();
        await this.#stopSwarmAndWait();
        if (!s) throw new TorrentError('storage_closed', 'storage is not open');
        if (!s.move) throw new TorrentError('not_supported', `storage ${this.#adapter.name} cannot move`);
        await s.move(path);
        this.#savePath = path;
        this.#post('storage_moved', { storagePath: path, oldPath });
        this.host.changed(this.id);
      } catch (err) {
        this.#post('storage_moved_failed', { error: toAlertError(err), filePath: path, operation: 'move' });
        throw err;
      } finally {
        this.#busy--;
        this.#maybeCheck();
        this.#syncSwarm();
      }
    });
  }

  /** Forgets every verified piece and checks the storage again; clears an error. */
  forceRecheck(): Promise<void> {
    this.#needMeta();
    return this.#serial(async () => {
      await this.#opening;
      this.#busy++;
      try {
        await this.#stopCheck();
        await this.#stopSwarmAndWait();
        this.#have!.clearAll();
        this.#checked = 0;
        this.#needsCheck = true;
        this.#error = undefined;
        this.#setState('checking_files');
      } finally {
        this.#busy--;
      }
      if (!this.#storage) return this.#reopen();
      this.#maybeCheck();
    });
  }

  async #reopen(): Promise<void> {
    if (this.#closing || !this.meta) return;
    this.#opening = this.#open(this.meta);
    await this.#opening;
  }

  /** Clears the error state and retries what failed (opening or checking). */
  clearError(): void {
    if (!this.#error) return;
    this.#error = undefined;
    this.host.changed(this.id);
    if (!this.#storage && this.meta) void this.#serial(() => this.#reopen());
    else {
      this.#maybeCheck();
      this.#syncSwarm();
    }
  }

  /** File priorities (a copy). Before metadata: the ones given at add time, if any. */
  filePriorities(): number[] {
    return [...this.#needPrio().files];
  }

  #needPrio(): Priorities {
    this.#needMeta();
    return this.#prio!;
  }

  /** Sets every file's priority (missing entries default to 4) and derives piece priorities. */
  prioritizeFiles(list: readonly number[]): void {
    const meta = this.#needMeta();
    this.#prio!.setFiles(priorityVector(list, meta.files.length, 'file'));
    this.#afterPriorities();
  }

  /** Gets or sets one file's priority. */
  filePriority(i: number, p?: number): number {
    const meta = this.#needMeta();
    checkIndex(i, meta.files.length, 'file');
    if (p === undefined) return this.#prio!.files[i]!;
    const next = Uint8Array.from(this.#prio!.files);
    next[i] = checkPriority(p, `file ${i}`);
    this.#prio!.setFiles(next);
    this.#afterPriorities();
    return p;
  }

  /** Piece priorities (a copy). */
  piecePriorities(): number[] {
    return [...this.#needPrio().pieces];
  }

  /** Sets piece priorities: a full list (missing entries 4) or `[piece, priority]` pairs. */
  prioritizePieces(list: readonly number[] | readonly (readonly [number, number])[]): void {
    const meta = this.#needMeta();
    const prio = this.#prio!;
    if (list.length > 0 && Array.isArray(list[0])) {
      const pairs = list as readonly (readonly [number, number])[];
      for (const [i, p] of pairs) { checkIndex(i, meta.pieceCount, 'piece'); checkPriority(p, `piece ${i}`); }
      for (const [i, p] of pairs) prio.setPiece(i, p);
    } else {
      priorityVector(list as readonly number[], meta.pieceCount, 'piece').forEach((p, i) => prio.setPiece(i, p));
    }
    this.#afterPriorities();
  }

  /** Gets or sets one piece's priority. */
  piecePriority(i: number, p?: number): number {
    const meta = this.#needMeta();
    checkIndex(i, meta.pieceCount, 'piece');
    if (p === undefined) return this.#prio!.pieces[i]!;
    this.#prio!.setPiece(i, p);
    this.#afterPriorities();
    return p;
  }

  #afterPriorities(): void {
    this.host.changed(this.id);
    if (!this.#check && !this.#needsCheck && !this.#error) this.#settle();
    this.#link.prioritiesChanged();
  }

  /** Records a deadline for a piece (read by the picker once the swarm lands). */
  setPieceDeadline(piece: number, ms: number): void {
    checkIndex(piece, this.#needMeta().pieceCount, 'piece');
    if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0) throw new TorrentError('invalid_argument', `deadline must be a non-negative integer of ms, got ${String(ms)}`);
    this.deadlines.set(piece, Date.now() + ms);
    this.#link.prioritiesChanged();
  }

  /** Removes a piece's deadline. */
  resetPieceDeadline(piece: number): void {
    checkIndex(piece, this.#needMeta().pieceCount, 'piece');
    this.deadlines.delete(piece);
    this.#link.prioritiesChanged();
  }

  /** The torrent's status snapshot. */
  status(): TorrentStatus {
    const meta = this.meta;
    const have = this.#have;
    const acc = meta && have ? this.#prio!.account((i) => have.get(i)) : { wanted: 0, done: 0, wantedDone: 0, wantedPieces: 0, wantedHave: 0 };
    const checking = this.#state === 'checking_files' && meta !== undefined;
    const progress = !meta ? 0 : checking ? this.#checked / meta.pieceCount : acc.wanted === 0 ? 1 : acc.wantedDone / acc.wanted;
    const isSeeding = this.#state === 'seeding';
    const isFinished = FINISHED.has(this.#state);
    return {
      infoHash: this.id,
      name: this.#name,
      savePath: this.#savePath,
      state: this.#state,
      progress,
      progressPpm: Math.floor(progress * 1_000_000),
      totalDone: acc.done,
      totalWanted: acc.wanted,
      totalWantedDone: acc.wantedDone,
      pieces: have ? have.toBytes() : new Uint8Array(0),
      numPieces: have ? have.count : 0,
      paused: this.flags.paused, sessionPaused: this.host.sessionPaused(), autoManaged: this.flags.autoManaged,
      seedMode: this.flags.seedMode, uploadMode: this.flags.uploadMode, sequentialDownload: this.flags.sequentialDownload,
      ...(this.#error ? { errorCode: this.#error.code, error: this.#error.message } : {}),
      ...this.#link.status(),
      isSeeding, isFinished, hasMetadata: meta !== undefined, addedTime: this.addedTime, completedTime: this.#completedTime,
    };
  }

  // ---- swarm -------------------------------------------------------------------------------------------

  /** Whether peers may be connected now: checked, storage open, no error, not paused, nothing busy. */
  #canRun(): boolean {
    return !!this.meta && !!this.#storage && !this.#needsCheck && !this.#check && !this.#error && !this.#closing && this.#busy === 0 && !this.flags.paused && !this.host.sessionPaused();
  }

  /** Starts or stops the swarm (and the metadata phase, trackers, DHT, LSD) to match {@link #canRun}. */
  #syncSwarm(): void {
    const run = this.#canRun();
    this.#link.sync(run, () => this.#swarmContext());
    const active = !this.#error && !this.#closing && !this.flags.paused && !this.host.sessionPaused();
    this.#peers.sync({ active, hasMetadata: !!this.meta, transferring: run, seeding: !!this.#have?.all });
  }

  #stopSwarm(): void {
    if (this.#link.stop()) this.host.changed(this.id);
  }

  #stopSwarmAndWait(): Promise<void> {
    this.#stopSwarm();
    return this.#link.stopAndWait();
  }

  #swarmContext(): SwarmTorrent {
    const meta = this.meta!;
    const have = this.#have!;
    const prio = this.#prio!;
    return {
      meta,
      storage: this.#storage!,
      infoHash: this.handshakeHash,
      net: this.host.net(),
      hasher: () => this.host.hasher(),
      havePiece: (i) => have.get(i),
      bitfield: () => have.toBytes(),
      isSeed: () => have.all,
      piecePriorities: () => prio.pieces,
      sequential: () => this.flags.sequentialDownload,
      uploadMode: () => this.flags.uploadMode,
      deadlines: () => this.deadlines,
      maxConnections: () => this.#link.maxConnections(),
      post: (type, fields) => this.#post(type, fields),
      pieceVerified: (i) => this.#pieceVerified(i),
      storageFailed: (err, op) => {
        if (!this.#closing && !this.#error) this.#fail(err, op);
      },
      changed: () => this.host.changed(this.id),
      ext: this.#peers.ext,
    };
  }

  #pieceVerified(i: number): void {
    if (!this.#have!.set(i)) return;
    if (this.#prio!.wanted(i)) this.#missingWanted--;
    this.host.changed(this.id);
    if (this.#missingWanted <= 0 || this.#have!.all) this.#settle();
  }

  /** Stops all work and releases (or deletes) the storage. Used by remove and session close. */
  async shutdown(deleteFiles: boolean): Promise<void> {
    this.#closing = true;
    await this.#stopCheck();
    await Promise.all([this.#stopSwarmAndWait(), this.#peers.close()]);
    await this.#opening;
    await this.#ops;
    await this.#stopCheck();
    const s = this.#storage;
    this.#storage = undefined;
    if (!s) return;
    if (deleteFiles) await s.destroy();
    else await s.close();
  }
}
