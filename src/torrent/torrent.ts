/**
 * One torrent's lifecycle: storage, verified pieces, checking, pause, errors, storage moves and rechecks.
 * States and invariants are described in ./STATE.md. The session owns Torrent objects; users reach
 * them only through TorrentHandle. Types and the host interface: torrent-types.ts; priorities and
 * deadlines: torrent-priorities.ts; the status snapshot: torrent-status-builder.ts.
 */
import { TorrentError, isTorrentError } from '../errors.js';
import type { StorageAdapter, TorrentStorage } from '../interfaces/storage.js';
import type { PeerAddress } from '../interfaces/transport.js';
import type { AlertFields, AlertType } from '../session/alerts.js';
import type { AlertError, TorrentState, TorrentStatus } from '../session/torrent-status.js';
import { Bitfield } from './bitfield.js';
import { PieceVerifier } from './piece-hash.js';
import { Priorities, checkIndex, checkPriority, priorityVector } from './priorities.js';
import { runCheck, unreadablePieces } from './state/checking.js';
import type { SwarmTorrent } from './swarm/swarm.js';
import { SwarmLink } from './swarm-link.js';
import { TorrentPeers, peersHostFor } from './discovery/torrent-peers.js';
import type { InfoHashes } from '../metainfo/info-hash.js';
import type { TorrentInfo } from '../metainfo/torrent-info.js';
import { toAlertError } from './torrent-types.js';
import type { TorrentFlags, TorrentHost, TorrentInit, TorrentMeta } from './torrent-types.js';
import { FreshPieces } from './fresh-pieces.js';
import { TorrentPriorityControl } from './torrent-priorities.js';
import { missingPieceLayers, verificationMeta } from './verification-meta.js';
import { FINISHED_STATES as FINISHED, buildTorrentStatus } from './torrent-status-builder.js';

export { toAlertError } from './torrent-types.js';
export type { TorrentFlags, TorrentHost, TorrentInit, TorrentMeta } from './torrent-types.js';

/** One torrent in a session. */
export class Torrent {
  readonly id: string;
  readonly serial: number;
  #meta: TorrentMeta | undefined;
  /** What pieces are verified with (verification-meta.ts): the metadata, or a v1-only view of it. */
  #verifyMeta: TorrentMeta | undefined;
  get meta(): TorrentMeta | undefined { return this.#meta; }
  readonly flags: TorrentFlags;
  readonly trackers: readonly (readonly string[])[];
  readonly urlSeeds: readonly string[];
  readonly peers: readonly PeerAddress[];
  readonly addedTime = Math.floor(Date.now() / 1000);
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
  /** Priority and deadline commands (torrent-priorities.ts); the public methods below delegate to it. */
  readonly #prios = new TorrentPriorityControl({
    pieces: () => ({ meta: this.#needMeta(), prio: this.#prio! }),
    prioritiesChanged: () => this.#afterPriorities(),
    deadlinesChanged: () => this.#link.deadlinesChanged(),
  });
  /** Just-verified pieces a reader waits for (fresh-pieces.ts): readPiece serves them from memory. */
  readonly #fresh = new FreshPieces();
  /** Piece → deadline (Date.now() ms), read by the swarm's picker. */
  get deadlines(): ReadonlyMap<number, number> {
    return this.#prios.deadlines;
  }
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
    this.#verifyMeta = verificationMeta(meta);
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
    if (ti.metaVersion === 'v2' && missingPieceLayers(ti)) {
      // Guard: a v2-only torrent reaching this point without piece layers could never verify (magnets fetch the
      // layers first, discovery/piece-layers.ts): fail with a typed error instead of hanging.
      this.#error = toAlertError(new TorrentError('not_supported', 'the metadata of this v2-only torrent arrived without its BEP 52 piece layers, so no piece can be verified; add the .torrent file instead'));
      this.#post('torrent_error', { error: this.#error });
      this.host.changed(this.id);
      this.#syncSwarm();
      return;
    }
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
      const verifier = new PieceVerifier(this.#verifyMeta!, this.host.hasher());
      // Pieces with bytes in missing or short files cannot verify: not read (state/checking.ts). A stat
      // failure just means reading everything (a real I/O problem then surfaces from the reads).
      const sizes = await storage.stat?.().catch(() => undefined);
      const absent = sizes === undefined ? undefined : unreadablePieces(meta.layout(), sizes);
      const todo: number[] = [];
      for (let i = 0; i < meta.pieceCount; i++) if (!have.get(i) && absent?.[i] !== 1) todo.push(i);
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
    const acc = this.#prio!.account(have.toBytes());
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

  /**
   * Reads a verified piece: a due time-critical piece just verified comes from memory once (FreshPieces),
   * a piece whose write is still in flight from the swarm's buffer, anything else from storage.
   */
  async readPiece(i: number): Promise<Uint8Array> {
    const meta = this.#needMeta();
    checkIndex(i, meta.pieceCount, 'piece');
    if (!this.#have!.get(i)) throw new TorrentError('invalid_argument', `piece ${i} is not verified`, { details: { piece: i } });
    const mem = this.#fresh.take(i) ?? this.#link.swarm?.unwrittenPiece(i);
    if (mem !== undefined) return mem;
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

  /** File priorities (a copy). */
  filePriorities(): number[] { return this.#prios.filePriorities(); }
  /** Sets every file's priority (missing entries default to 4) and derives piece priorities. */
  prioritizeFiles(list: readonly number[]): void { this.#prios.prioritizeFiles(list); }
  /** Gets or sets one file's priority. */
  filePriority(i: number, p?: number): number { return this.#prios.filePriority(i, p); }
  /** Piece priorities (a copy). */
  piecePriorities(): number[] { return this.#prios.piecePriorities(); }
  /** Sets piece priorities: a full list (missing entries 4) or `[piece, priority]` pairs. */
  prioritizePieces(list: readonly number[] | readonly (readonly [number, number])[]): void { this.#prios.prioritizePieces(list); }
  /** Gets or sets one piece's priority. */
  piecePriority(i: number, p?: number): number { return this.#prios.piecePriority(i, p); }
  /** Records a deadline for a piece (the picker fetches it first). */
  setPieceDeadline(piece: number, ms: number): void {
    this.#prios.setPieceDeadline(piece, ms);
    if (this.meta) this.#fresh.prepare(this.meta.pieceLength);
  }
  /** Removes a piece's deadline. */
  resetPieceDeadline(piece: number): void {
    this.#prios.resetPieceDeadline(piece);
    this.#fresh.delete(piece);
    if (this.deadlines.size === 0) this.#fresh.release();
  }
  /** Removes every piece deadline. */
  clearPieceDeadlines(): void {
    this.#prios.clearPieceDeadlines();
    this.#fresh.clear();
  }

  #afterPriorities(): void {
    this.host.changed(this.id);
    if (!this.#check && !this.#needsCheck && !this.#error) this.#settle();
    this.#link.prioritiesChanged();
  }

  /** The torrent's status snapshot. */
  status(): TorrentStatus {
    return buildTorrentStatus({
      id: this.id, name: this.#name, savePath: this.#savePath, state: this.#state, meta: this.meta, have: this.#have, prio: this.#prio,
      checked: this.#checked, flags: this.flags, sessionPaused: this.host.sessionPaused(), error: this.#error, swarm: this.#link.status(),
      addedTime: this.addedTime, completedTime: this.#completedTime,
    });
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
    const have = this.#have!;
    const prio = this.#prio!;
    return {
      meta: this.#verifyMeta!,
      storage: this.#storage!,
      infoHash: this.handshakeHash,
      net: this.host.net(),
      hasher: () => this.host.hasher(),
      havePiece: (i) => have.get(i),
      bitfield: () => have.toBytes(),
      isSeed: () => have.all,
      piecePriorities: () => prio.pieces,
      piecePriority: (i) => prio.pieces[i]!,
      sequential: () => this.flags.sequentialDownload,
      uploadMode: () => this.flags.uploadMode,
      deadlines: () => this.deadlines,
      maxConnections: () => this.#link.maxConnections(),
      post: (type, fields) => this.#post(type, fields),
      pieceVerified: (i, data) => {
        // `data` comes only with a piece whose deadline had fallen due (the swarm decided, on its clock): a
        // reader waits for it, so keep its bytes for that reader's readPiece.
        if (data !== undefined) this.#fresh.put(i, data);
        this.#pieceVerified(i);
      },
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
    // #settle recounts every piece: only when this piece can change the state (the last wanted or the
    // very last piece). A streamed torrent with nothing wanted but its deadline pieces stays 'finished'
    // while each of them arrives, and recounting per piece was O(pieces) on the reader's critical path.
    if (this.#have!.all || (this.#missingWanted <= 0 && !FINISHED.has(this.#state))) this.#settle();
  }

  /** Stops all work and releases (or deletes) the storage. Used by remove and session close. */
  async shutdown(deleteFiles: boolean): Promise<void> {
    this.#closing = true;
    this.#fresh.clear();
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
