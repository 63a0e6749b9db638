/**
 * One torrent's swarm: its peer connections (PeerOwner for the peer layer), the known-peer list and
 * dialing, choking, uploads, status figures, and the Downloader (downloader.ts) for the download side.
 * It exists while the torrent is active (checked, not paused, no error); stop() closes every connection.
 * See SWARM.md for the design.
 */
import { TorrentError, isTorrentError } from '../../errors.js';
import type { TorrentStorage } from '../../interfaces/storage.js';
import type { PeerAddress } from '../../interfaces/transport.js';
import type { PeerCloseReason, PeerConnection, PeerOwner, PeerSettings } from '../../peer/index.js';
import type { DecodedExtensionHandshake } from '../../wire/extensions/extension-handshake.js';
import { runChoker, initialChokerState } from '../../picker/choker.js';
import type { ChokerPeer, ChokerState, SeedChokingAlgorithm } from '../../picker/choker.js';
import type { AlertFields, AlertType } from '../../session/alerts.js';
import type { PieceHasher } from '../piece-hash.js';
import type { TorrentMeta } from '../torrent.js';
import { Downloader } from './downloader.js';
import type { SwarmPeer } from './downloader.js';
import type { SwarmNet } from './net.js';
import { MeteredStream } from './metered-stream.js';
import type { PeerList } from './peer-list.js';
import type { PeerEntry } from './peer-list.js';
import type { PeerExtensions } from '../discovery/peer-extensions.js';
import { HashServing } from '../discovery/hash-serving.js';
import { DOUBLE_ZERO } from '../../double-zero.js';

/** Alert fields without the torrent's ids (the torrent adds them). */
export type SwarmAlertFields<K extends AlertType> = Omit<AlertFields<K>, 'infoHash' | 'name'>;

/** What a swarm needs from its torrent. */
export interface SwarmTorrent {
  readonly meta: TorrentMeta;
  readonly storage: TorrentStorage;
  /** The 20-byte info-hash of handshakes (v1, or v2 truncated). */
  readonly infoHash: Uint8Array;
  readonly net: SwarmNet;
  hasher(): PieceHasher;
  havePiece(i: number): boolean;
  bitfield(): Uint8Array;
  isSeed(): boolean;
  piecePriorities(): ArrayLike<number>;
  /** One piece's priority (0..7). */
  piecePriority(i: number): number;
  sequential(): boolean;
  uploadMode(): boolean;
  deadlines(): ReadonlyMap<number, number>;
  maxConnections(): number;
  post<K extends AlertType>(type: K, fields: SwarmAlertFields<K>): void;
  /**
   * Piece `i` passed its hash check: the torrent marks it and settles its state. `data` (time-critical
   * pieces only) is the piece's bytes, valid during the call.
   */
  pieceVerified(i: number, data?: Uint8Array): void;
  /** A storage write failed: the torrent enters its error state (and stops the swarm). */
  storageFailed(err: unknown, operation: string): void;
  changed(): void;
  /** BEP 10 extensions (ut_metadata serving, ut_pex); absent: none advertised. */
  readonly ext?: PeerExtensions;
}

const CHOKE_INTERVAL_MS = 10_000;

/** Live figures of a swarm (rates in bytes/s; totals in bytes). */
export interface SwarmStats {
  readonly downloadRate: number;
  readonly uploadRate: number;
  readonly totalDownloadRate: number;
  readonly totalUploadRate: number;
  readonly numPeers: number;
  readonly numSeeds: number;
  readonly totalDown: number;
  readonly totalUp: number;
}

/** The peers of one active torrent. */
export class Swarm implements PeerOwner {
  readonly infoHash: Uint8Array;
  readonly #t: SwarmTorrent;
  readonly #net: SwarmNet;
  readonly #peers = new Map<PeerConnection, SwarmPeer>();
  readonly #byId = new Map<number, SwarmPeer>();
  readonly #list: PeerList;
  readonly #dl: Downloader;
  /** Answers BEP 52 hash requests (ids 21–23) from our piece layers (discovery/hash-serving.ts). */
  readonly #hashes: HashServing;
  readonly #ac = new AbortController();
  readonly #dials = new Set<Promise<unknown>>();
  /** Outgoing connections still in their handshake (not yet in #peers). */
  readonly #pending = new Set<PeerConnection>();
  /** The peer-list entry each outgoing connection was dialled for. */
  readonly #entryOf = new Map<PeerConnection, PeerEntry>();
  #nextId = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #lastChoke = DOUBLE_ZERO; // timestamps: double fields from the start (../../double-zero.ts)
  #lastExtTick = DOUBLE_ZERO;
  #choker: ChokerState = initialChokerState;
  #closed = false;
  #pausedReading = false;
  #totalDown = DOUBLE_ZERO; // byte totals pass 2^31: double fields from the start
  #totalUp = DOUBLE_ZERO;
  readonly #now = (): number => performance.now();
  readonly #bitfieldBytes: number;

  constructor(t: SwarmTorrent, list: PeerList) {
    this.#t = t;
    this.#net = t.net;
    this.infoHash = t.infoHash;
    this.#list = list;
    this.#bitfieldBytes = Math.ceil(t.meta.pieceCount / 8);
    const s = this.#net.settings();
    this.#hashes = new HashServing({
      meta: t.meta,
      isPeer: (c) => this.#peers.has(c),
      loadFailed: (message) => t.post('session_error', { error: { code: 'not_supported', message } }),
    });
    this.#dl = new Downloader(
      {
        meta: t.meta,
        storage: t.storage,
        hasher: () => t.hasher(),
        havePiece: (i) => t.havePiece(i),
        piecePriorities: () => t.piecePriorities(),
        piecePriority: (i) => t.piecePriority(i),
        sequential: () => t.sequential(),
        uploadMode: () => t.uploadMode(),
        deadlines: () => t.deadlines(),
        peer: (id) => this.#byId.get(id),
        peers: () => this.#peers.values(),
        verified: (i, data) => this.#verified(i, data),
        hashFailed: (i) => t.post('hash_failed', { pieceIndex: i }),
        ban: (host, reason) => this.#ban(host, reason),
        writeFailed: (err) => {
          if (!this.#closed) t.storageFailed(err, 'write');
        },
        backpressure: (on) => this.#backpressure(on),
        now: this.#now,
      },
      { requestTimeoutMs: s.pieceTimeout * 1000, maxQueueDepth: s.maxOutRequestQueue, interestLingerMs: s.deadlineInterestLinger },
    );
    const tick = Math.max(50, Math.min(s.tickInterval, 1000));
    this.#timer = setInterval(() => this.#tick(), tick);
    queueMicrotask(() => this.#connectMore());
  }

  // ---- queries for the peer layer ----------------------------------------------------------------------

  pieceCount(): number { return this.#t.meta.pieceCount; }
  pieceSize(i: number): number { return this.#t.meta.pieceSize(i); }
  havePiece(i: number): boolean { return this.#t.havePiece(i); }
  bitfield(): Uint8Array { return this.#t.bitfield(); }
  metadataSize(): number | undefined { return this.#t.ext?.metadataSize(); }
  extensions(): ReadonlyMap<string, number> { return this.#t.ext?.extensions() ?? NO_EXTENSIONS; }
  settings(): Partial<PeerSettings> { return this.#net.peerSettings(); }
  readBlock(index: number, begin: number, length: number): Promise<Uint8Array> {
    return this.#dl.store.readBlock(index, begin, length);
  }
  /** A copy of verified piece `i` while its write is still in flight (storage may not hold it yet), else undefined. */
  unwrittenPiece(i: number): Uint8Array | undefined {
    return this.#dl.store.unwritten(i);
  }

  // ---- peer events ---------------------------------------------------------------------------------------

  onConnected(conn: PeerConnection): boolean {
    this.#pending.delete(conn);
    if (this.#closed) return false;
    const host = conn.remote.host;
    const why = this.#net.blocked(host);
    if (why) {
      this.#t.post('peer_blocked', { endpoint: { ip: host, port: conn.remote.port }, reason: why });
      return false;
    }
    if (this.#peers.size >= this.#t.maxConnections()) return false;
    const multi = this.#net.settings().allowMultipleConnectionsPerIp;
    for (const p of this.#peers.values()) {
      if (conn.peerId && p.conn.peerId && sameId(conn.peerId, p.conn.peerId)) return false;
      if (!multi && p.host === host) return false;
    }
    const p: SwarmPeer = { conn, id: this.#nextId++, host, bits: new Uint8Array(this.#bitfieldBytes), seed: false, uploadedAtUnchoke: 0, lastUnchokedAt: undefined };
    this.#peers.set(conn, p);
    this.#byId.set(p.id, p);
    this.#dl.addPeer(p);
    const e = this.#entryOf.get(conn);
    if (e) this.#list.succeeded(e);
    if (this.#pausedReading) conn.pauseReading();
    this.#t.ext?.connected(conn);
    this.#t.post('peer_connect', { endpoint: { ip: host, port: conn.remote.port }, direction: conn.direction, transport: conn.remote.transport ?? '' });
    this.#t.changed();
    return true;
  }

  onExtensionHandshake(conn: PeerConnection, hs: DecodedExtensionHandshake): void {
    const p = this.#peers.get(conn);
    if (!p) return;
    this.#dl.extensionHandshake(p);
    this.#t.ext?.handshake(conn, hs);
  }

  onUnknownMessage(conn: PeerConnection, id: number, payload: Uint8Array): void {
    if (this.#peers.has(conn)) this.#hashes.message(conn, id, payload);
  }

  onExtended(conn: PeerConnection, name: string, payload: Uint8Array): void {
    if (this.#peers.has(conn)) this.#t.ext?.message(conn, name, payload);
  }

  onBitfield(conn: PeerConnection, bits: Uint8Array): void {
    const p = this.#peers.get(conn);
    if (!p) return;
    if (conn.isSeed) this.#dl.haveAll(p);
    else this.#dl.bitfield(p, bits);
    this.#seedPair(p);
  }

  onHaveAll(conn: PeerConnection): void {
    const p = this.#peers.get(conn);
    if (!p) return;
    this.#dl.haveAll(p);
    this.#seedPair(p);
  }

  onHave(conn: PeerConnection, index: number): void {
    const p = this.#peers.get(conn);
    if (!p) return;
    if (conn.isSeed && !p.seed) {
      this.#dl.haveAll(p);
      this.#seedPair(p);
    } else this.#dl.have(p, index);
  }

  /** Two seeds have nothing to trade: drop the connection (libtorrent does the same). */
  #seedPair(p: SwarmPeer): void {
    if (p.seed && this.#t.isSeed()) p.conn.close('both are seeds', 'local');
  }

  onPeerChoked(conn: PeerConnection): void {
    const p = this.#peers.get(conn);
    if (p) this.#dl.choked(p, true);
  }

  onPeerUnchoked(conn: PeerConnection): void {
    const p = this.#peers.get(conn);
    if (p) this.#dl.choked(p, false);
  }

  onPeerInterest(conn: PeerConnection, interested: boolean): void {
    const p = this.#peers.get(conn);
    if (!p || !interested || !conn.amChoking) return;
    // Free upload slot: unchoke at once rather than at the next choker round.
    const limit = this.#net.settings().unchokeSlotsLimit;
    let unchoked = 0;
    for (const q of this.#peers.values()) if (!q.conn.amChoking) unchoked++;
    if (limit < 0 || unchoked < limit) this.#unchoke(p);
  }

  onBlock(conn: PeerConnection, index: number, begin: number, block: Uint8Array): void {
    const p = this.#peers.get(conn);
    if (!p) return;
    this.#totalDown += block.length;
    this.#dl.block(p, index, begin, block);
  }

  onBlockSent(_conn: PeerConnection, _index: number, _begin: number, length: number): void {
    this.#totalUp += length;
  }

  onReject(conn: PeerConnection, index: number, begin: number): void {
    const p = this.#peers.get(conn);
    if (p) this.#dl.reject(p, index, begin);
  }

  onAllowedFast(conn: PeerConnection): void {
    const p = this.#peers.get(conn);
    if (p) this.#dl.allowedFast(p);
  }

  onClose(conn: PeerConnection, reason: PeerCloseReason): void {
    this.#pending.delete(conn);
    const p = this.#peers.get(conn);
    const e = this.#entryOf.get(conn);
    this.#entryOf.delete(conn);
    if (p) {
      this.#t.ext?.closed(conn);
      this.#peers.delete(conn);
      this.#byId.delete(p.id);
      this.#dl.removePeer(p);
      this.#dl.rememberHost(p.id, p.host);
      this.#t.post('peer_disconnected', {
        endpoint: { ip: p.host, port: conn.remote.port },
        reason: reason.kind,
        code: reason.error.code,
        error: { code: reason.error.code, message: reason.error.message },
      });
      if (e) this.#list.disconnected(e, this.#now());
      this.#t.changed();
    } else if (e) {
      // An outgoing attempt that ended before its handshake completed (refused by the remote, say); redialled
      // at once when the session has another transport for the address (TCP accepted, then hung up: uTP).
      if (!this.#closed && this.#net.fallback?.(conn) === true) {
        e.connected = false;
        this.#dial(e);
      } else this.#attemptFailed(e, reason.kind, reason.error);
    }
  }

  /**
   * A dial or handshake to `e` failed: back-off (peer-list.ts) and, unless this swarm is stopping, a
   * peer_disconnected alert, as libtorrent posts for failed connection attempts — so a connectPeer that
   * came to nothing is visible.
   */
  #attemptFailed(e: PeerEntry, reason: string, err: unknown): void {
    this.#list.failed(e, this.#now());
    if (this.#closed) return;
    const error = isTorrentError(err) ? { code: err.code, message: err.message } : { code: 'connection_failed' as const, message: err instanceof Error ? err.message : String(err) };
    this.#t.post('peer_disconnected', { endpoint: { ip: e.addr.host, port: e.addr.port }, reason, code: error.code, error });
  }

  // ---- commands ------------------------------------------------------------------------------------------

  /** Adds a peer address and dials it now if there is room (handle.connectPeer, add params, trackers). */
  addPeer(addr: PeerAddress, now = true): void {
    const e = this.#list.add(addr);
    if (e && now && !e.connected) {
      e.retryAt = 0;
      this.#dial(e);
    }
  }

  #connectMore(): void {
    if (this.#closed) return;
    const room = this.#t.maxConnections() - this.#peers.size - this.#dials.size;
    const speed = Math.max(1, this.#net.settings().connectionSpeed);
    for (const e of this.#list.candidates(this.#now(), Math.min(room, speed))) {
      if (!this.#net.hasRoom()) break;
      this.#dial(e);
    }
  }

  #dial(e: PeerEntry): void {
    if (this.#closed || e.connected) return;
    const why = this.#net.blocked(e.addr.host);
    if (why) {
      this.#t.post('peer_blocked', { endpoint: { ip: e.addr.host, port: e.addr.port }, reason: why });
      this.#list.removeHost(e.addr.host);
      return;
    }
    if (!this.#net.canDial(e.addr)) {
      this.#list.failed(e, this.#now());
      return;
    }
    if (!this.#net.hasRoom() || this.#peers.size + this.#dials.size >= this.#t.maxConnections()) return;
    e.connected = true;
    const d = this.#net.dial(e.addr, this, this.#ac.signal).then(
      (conn) => {
        this.#entryOf.set(conn, e);
        if (this.#closed) conn.close('torrent stopped');
        else if (conn.phase !== 'closed' && !this.#peers.has(conn)) this.#pending.add(conn);
      },
      (err: unknown) => {
        this.#attemptFailed(e, 'connect', err);
      },
    );
    this.#dials.add(d);
    void d.finally(() => this.#dials.delete(d));
  }

  /**
   * A piece passed: tell the torrent, then every peer (haves are batched per tick by the peer layer).
   * `data`: a time-critical piece's bytes, valid during the call (the torrent may keep a copy for readers).
   */
  #verified(i: number, data?: Uint8Array): void {
    this.#t.post('piece_finished', { pieceIndex: i });
    this.#t.pieceVerified(i, data);
    const tell = (): void => {
      if (this.#closed) return;
      for (const p of this.#peers.values()) p.conn.have(i);
      if (this.#t.isSeed()) for (const p of this.#peers.values()) if (p.seed) p.conn.close('both are seeds', 'local');
    };
    // A reader is blocked on a time-critical piece (data given): its wake-up runs in microtasks, and the
    // haves' socket writes would run ahead of it; peers can hear of the piece a task later.
    if (data !== undefined) setTimeout(tell, 0);
    else tell();
  }

  #ban(host: string, reason: string): void {
    if (this.#net.blocked(host) === 'banned') return;
    this.#list.removeHost(host);
    const port = [...this.#peers.values()].find((p) => p.host === host)?.conn.remote.port ?? 0;
    this.#t.post('peer_banned', { endpoint: { ip: host, port }, reason });
    this.#net.ban(host);
  }

  /** The session banned `host`: close its connections here. */
  closeHost(host: string): void {
    for (const p of [...this.#peers.values()]) if (p.host === host) p.conn.close('banned', 'rejected');
    this.#list.removeHost(host);
  }

  /** Closes connections whose host matches (the IP filter changed). */
  closeWhere(match: (host: string) => boolean): void {
    for (const p of [...this.#peers.values()]) {
      if (!match(p.host)) continue;
      this.#t.post('peer_blocked', { endpoint: { ip: p.host, port: p.conn.remote.port }, reason: 'ip_filter' });
      p.conn.close('blocked by the IP filter', 'rejected');
    }
  }

  #backpressure(on: boolean): void {
    this.#pausedReading = on;
    for (const p of this.#peers.values()) {
      if (on) p.conn.pauseReading();
      else p.conn.resumeReading();
    }
  }

  /** Piece / file priorities, sequential mode or deadlines changed. */
  prioritiesChanged(): void {
    if (!this.#closed) this.#dl.prioritiesChanged();
  }

  /** Only piece deadlines changed (a stream moved): cheaper than {@link prioritiesChanged}. */
  deadlinesChanged(): void {
    if (!this.#closed) this.#dl.deadlinesChanged();
  }

  #unchoke(p: SwarmPeer): void {
    p.conn.unchoke();
    p.uploadedAtUnchoke = p.conn.uploaded;
    p.lastUnchokedAt = this.#now();
  }

  #runChoker(now: number): void {
    const s = this.#net.settings();
    const list: ChokerPeer[] = [];
    for (const p of this.#peers.values()) {
      const c = p.conn;
      list.push({
        id: p.id,
        interested: c.peerInterested,
        choked: c.amChoking,
        downloadRate: c.downloadRate(now),
        uploadRate: c.uploadRate(now),
        uploadedSinceUnchoke: c.uploaded - p.uploadedAtUnchoke,
        ...(p.lastUnchokedAt === undefined ? {} : { lastUnchokedAt: p.lastUnchokedAt }),
      });
    }
    const d = runChoker(list, now, { unchokeSlotsLimit: s.unchokeSlotsLimit, seeding: this.#t.isSeed(), seedChokingAlgorithm: s.seedChokingAlgorithm as SeedChokingAlgorithm }, this.#choker);
    this.#choker = d.state;
    for (const id of d.choke) this.#byId.get(id)?.conn.choke();
    for (const id of d.unchoke) {
      const p = this.#byId.get(id);
      if (p) this.#unchoke(p);
    }
  }

  #tick(): void {
    if (this.#closed) return;
    const now = this.#now();
    this.#dl.tick();
    if (now - this.#lastChoke >= CHOKE_INTERVAL_MS) {
      this.#lastChoke = now;
      this.#runChoker(now);
    }
    this.#connectMore();
    if (now - this.#lastExtTick >= 1000) {
      this.#lastExtTick = now;
      this.#t.ext?.tick(this.#peers.keys());
    }
    if (this.#peers.size > 0) this.#t.changed();
  }

  /** Live figures for status(). */
  stats(): SwarmStats {
    const now = this.#now();
    let down = 0;
    let up = 0;
    let wireDown = 0;
    let wireUp = 0;
    let seeds = 0;
    for (const p of this.#peers.values()) {
      const d = p.conn.downloadRate(now);
      const u = p.conn.uploadRate(now);
      down += d;
      up += u;
      const m = p.conn.stream;
      wireDown += m instanceof MeteredStream ? m.down.rate(now) : d;
      wireUp += m instanceof MeteredStream ? m.up.rate(now) : u;
      if (p.seed) seeds++;
    }
    return {
      downloadRate: down,
      uploadRate: up,
      totalDownloadRate: Math.round(wireDown),
      totalUploadRate: Math.round(wireUp),
      numPeers: this.#peers.size,
      numSeeds: seeds,
      totalDown: this.#totalDown + 0, // + 0: never -0 (DOUBLE_ZERO)
      totalUp: this.#totalUp + 0,
    };
  }

  /** Connected peers (for inspection). */
  peerCount(): number {
    return this.#peers.size;
  }

  /** Closes every connection and stops timers; resolves when the connections have closed. */
  async stop(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#ac.abort(new TorrentError('aborted', 'torrent stopped'));
    this.#hashes.close();
    await Promise.allSettled([...this.#dials]);
    const conns = [...this.#peers.keys(), ...this.#pending];
    for (const c of conns) c.close('torrent stopped');
    await Promise.all(conns.map((c) => c.closed));
    this.#dl.close();
  }
}

const NO_EXTENSIONS: ReadonlyMap<string, number> = new Map();

function sameId(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 20; i++) if (a[i] !== b[i]) return false;
  return true;
}
