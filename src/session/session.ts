/**
 * Session: the entry point (libtorrent's session / session_handle). Holds the torrents, settings,
 * alert queue, IP filter, checking slots and the hash pool.
 *
 * Runtime-neutral: storage comes from the `storage` option (the runtime entries, entry/node.ts and
 * entry/browser.ts, default it to fs / IndexedDB) or from AddTorrentParams.storage; transports from the
 * `transports` option (entry/node.ts defaults it to TCP on `listenInterfaces`). Peers, listeners and
 * limits are managed by ./connections.ts; each active torrent runs a swarm (src/torrent/swarm).
 *
 * Invariants: after close() resolves, no torrent work is running, every storage is closed, the hash
 * pool the session created is closed, every listener, connection and transport is closed, and no
 * timer of the session remains.
 */
import { TorrentError } from '../errors.js';
import type { StorageAdapter } from '../interfaces/storage.js';
import type { Logger } from '../interfaces/logger.js';
import type { PeerAddress } from '../interfaces/transport.js';
import { silentLogger } from '../interfaces/logger.js';
import { infoHashId, toHex } from '../metainfo/info-hash.js';
import type { InfoHashes } from '../metainfo/info-hash.js';
import { createHashPool } from '#platform/hash-pool';
import type { HashPool } from '#platform/hash-pool';
import { Torrent } from '../torrent/torrent.js';
import type { TorrentHost } from '../torrent/torrent.js';
import { AlertQueue } from './alert-queue.js';
import { ALERT_CATEGORY, createAlert } from './alerts.js';
import type { Alert, AlertFields, AlertType } from './alerts.js';
import { checkPeerAddress, defaultTorrentFlags, magnetParams, trackerTiers } from './add-torrent-params.js';
import type { AddTorrentParams } from './add-torrent-params.js';
import type { IPFilter } from './ip-filter.js';
import { emptyIPFilter } from './ip-filter-default.js';
import { defaultSettings, validateSettings } from './settings.js';
import type { SettingsPack } from './settings.js';
import { Slots } from './slots.js';
import { TorrentHandle } from './torrent-handle.js';
import type { HandleResolver } from './torrent-handle.js';
import { toAlertError } from '../torrent/torrent.js';
import type { SwarmNet } from '../torrent/swarm/net.js';
import { Connections } from './connections.js';
import { TorrentRegistry } from './torrent-registry.js';
import { hash20, stateSettings } from './session-options.js';
import type { RemoveOptions, SessionOptions, StorageOption } from './session-options.js';
import { SessionDiscovery } from './discovery.js';
import { SessionWebRtc } from './webrtc.js';
import { lazy } from '../lazy.js';

/** The magnet parser (with the metadata swarm: one chunk, see ../torrent/discovery/magnet-phase.ts). */
const loadMagnetPhase = lazy(() => import('../torrent/discovery/magnet-phase.js'));

export type { RemoveOptions, SessionOptions, StorageOption } from './session-options.js';

/** A BitTorrent session. */
export class Session {
  #settings: SettingsPack;
  readonly #queue: AlertQueue;
  readonly #reg = new TorrentRegistry();
  readonly #conns: Connections;
  readonly #disc: SessionDiscovery;
  readonly #net: SwarmNet;
  readonly #dirty = new Set<string>();
  readonly #slots: Slots;
  readonly #storage: StorageOption | undefined;
  readonly #adapters = new Map<string, StorageAdapter>();
  readonly #logger: Logger;
  #pool: HashPool | undefined;
  readonly #ownPool: boolean;
  /** Undefined until setIpFilter: everything allowed, and no range lookup per connection. */
  #ipFilter: IPFilter | undefined;
  #serial = 0;
  #paused = false;
  #closing: Promise<void> | undefined;
  readonly #host: TorrentHost;
  readonly #resolver: HandleResolver;

  constructor(opts: SessionOptions = {}) {
    this.#settings = { ...defaultSettings, ...stateSettings(opts.state), ...validateSettings(opts.settings ?? {}) };
    this.#queue = new AlertQueue({ mask: this.#settings.alertMask, limit: this.#settings.alertQueueSize });
    this.#slots = new Slots(this.#settings.activeChecking);
    this.#storage = opts.storage;
    this.#pool = opts.hashPool;
    this.#ownPool = opts.hashPool === undefined;
    this.#logger = opts.logger ?? silentLogger;
    this.#host = {
      post: (type, fields) => this.#post(type, fields),
      hasher: () => this.#hashPool(),
      checkConcurrency: (pieceLength) => {
        const budget = this.#settings.checkingMemUsage * 16384;
        return Math.max(1, Math.min(Math.floor(budget / pieceLength), this.#hashPool().size * 2 + 2));
      },
      acquireCheckSlot: (signal) => this.#slots.acquire(signal),
      sessionPaused: () => this.#paused,
      changed: (id) => this.#dirty.add(id),
      net: () => this.#net,
      discovery: () => this.#disc,
      metadataReceived: (id, ti) => {
        const e = this.#reg.get(id);
        if (e) e.ti = ti;
      },
    };
    this.#conns = new Connections(opts.transports ?? [], {
      settings: () => this.#settings,
      ipFilter: () => this.#ipFilter,
      post: (type, fields) => this.#post(type, fields),
      route: (ih) => this.#reg.byHandshakeHex(toHex(ih))?.swarm.owner,
      banned: (host) => {
        for (const e of this.#reg.values()) e.torrent.swarm.closeHost(host);
      },
      logger: this.#logger,
    });
    const conns = this.#conns;
    this.#disc = new SessionDiscovery(
      {
        peerId: conns.peerId,
        settings: () => this.#settings,
        post: (type, fields) => this.#post(type, fields),
        listenReady: conns.ready,
        listenPort: () => conns.listenPort(),
        torrentOf: (hex) => {
          const t = this.#reg.byHandshakeHex(hex);
          return t && { infoHash: t.id, name: t.name };
        },
        lsdPeer: (hex, peer) => this.#reg.byHandshakeHex(hex)?.discovery.addPeer(peer, 'lsd'),
        addTransport: (t) => conns.addTransport(t),
        logger: this.#logger,
      },
      {
        ...(opts.datagram ? { datagram: opts.datagram } : {}), ...(opts.lsd ? { lsd: opts.lsd } : {}), ...(opts.resolve ? { resolve: opts.resolve } : {}), ...(opts.state ? { state: opts.state } : {}),
        webrtc: new SessionWebRtc({
          webrtc: opts.webrtc,
          webSocket: opts.webSocket,
          adopt: (stream, ih) => conns.adopt(stream, this.#reg.byHandshakeHex(toHex(ih))?.swarm.owner),
        }),
      },
    );
    this.#net = {
      peerId: conns.peerId,
      settings: () => this.#settings,
      peerSettings: () => conns.peerSettings(),
      canDial: (a) => conns.canDial(a),
      hasRoom: () => conns.hasRoom(),
      blocked: (h) => conns.blocked(h),
      ban: (h) => conns.ban(h),
      dial: (a, owner, signal) => conns.dial(a, owner, signal),
      fallback: (c) => conns.fallback(c),
    };
    this.#resolver = {
      resolve: (id, serial) => {
        const e = this.#reg.get(id);
        return e && e.torrent.serial === serial ? e.torrent : undefined;
      },
      infoHashesOf: (t) => this.#reg.get(t.id)!.infoHashes,
      torrentInfoOf: (t) => this.#reg.get(t.id)?.ti,
      canDial: (a) => this.#conns.canDial(a),
    };
  }

  #post<K extends AlertType>(type: K, fields: AlertFields<K>): void {
    if (!this.#queue.shouldPost(type, ALERT_CATEGORY[type])) return;
    this.#queue.post(createAlert(type, fields));
  }

  #hashPool(): HashPool {
    this.#pool ??= createHashPool({ threads: this.#settings.hashingThreads });
    return this.#pool;
  }

  #live(): void {
    if (this.#closing) throw new TorrentError('session_closed', 'the session is closed');
  }

  #adapterFor(params: AddTorrentParams, savePath: string): StorageAdapter {
    if (params.storage) return params.storage;
    const opt = this.#storage;
    if (opt === undefined) {
      throw new TorrentError('invalid_argument', 'no storage: pass AddTorrentParams.storage, or create the session with a storage option (the runtime entries do)');
    }
    if (typeof opt !== 'function') return opt;
    let a = this.#adapters.get(savePath);
    if (!a) {
      a = opt(savePath);
      this.#adapters.set(savePath, a);
    }
    return a;
  }

  /**
   * Adds a torrent. Resolves with its handle once it is in the session; checking the data already in
   * storage then runs in the background (state_changed, torrent_checked, torrent_finished alerts).
   * Posts add_torrent either way. Rejects with `duplicate_torrent` if it is already in the session.
   */
  async addTorrent(params: AddTorrentParams): Promise<TorrentHandle> {
    this.#live();
    let p = params;
    let ids = { infoHash: '', name: params.name ?? params.ti?.name ?? '' };
    try {
      if (p === null || typeof p !== 'object') throw new TorrentError('invalid_argument', 'addTorrent needs an AddTorrentParams object');
      if (p.url !== undefined) {
        const m = magnetParams((await loadMagnetPhase()).parseMagnet(p.url));
        this.#live();
        p = { ...m, ...p, trackers: [...(m.trackers ?? []), ...(p.trackers ?? [])], urlSeeds: [...(m.urlSeeds ?? []), ...(p.urlSeeds ?? [])], peers: [...(m.peers ?? []), ...(p.peers ?? [])] };
      }
      const ti = p.ti;
      const infoHashes = ti ? ti.infoHashes : p.infoHashes;
      if (!infoHashes || (!infoHashes.v1 && !infoHashes.v2)) throw new TorrentError('invalid_argument', 'addTorrent needs ti, infoHashes or a magnet url');
      if (ti && p.infoHashes) {
        const clash = (a?: Uint8Array, b?: Uint8Array): boolean => a !== undefined && b !== undefined && toHex(a) !== toHex(b);
        if (clash(ti.infoHashes.v1, p.infoHashes.v1) || clash(ti.infoHashes.v2, p.infoHashes.v2)) {
          throw new TorrentError('invalid_argument', 'infoHashes do not match the metadata');
        }
      }
      const id = infoHashId(infoHashes);
      const name = ti?.name ?? p.name ?? '';
      ids = { infoHash: id, name };
      this.#reg.checkNew(id, infoHashes);
      const savePath = p.savePath ?? '';
      if (typeof savePath !== 'string') throw new TorrentError('invalid_argument', 'savePath must be a string');
      const storage = this.#adapterFor(p, savePath);
      const flags = { ...defaultTorrentFlags, ...(p.flags ?? {}) };
      const torrent = new Torrent(
        {
          id,
          serial: ++this.#serial,
          ...(ti ? { meta: ti } : {}),
          name,
          savePath,
          storage,
          flags,
          ...(p.filePriorities ? { filePriorities: p.filePriorities } : {}),
          ...(p.piecePriorities ? { piecePriorities: p.piecePriorities } : {}),
          trackers: [...(ti?.announce ?? []), ...trackerTiers(p.trackers)],
          urlSeeds: [...(ti?.urlList ?? []), ...(p.urlSeeds ?? [])],
          peers: (p.peers ?? []).map(checkPeerAddress),
          handshakeHash: (infoHashes.v1 ?? infoHashes.v2!.subarray(0, 20)),
          infoHashes,
        },
        this.#host,
      );
      this.#reg.add(torrent, infoHashes, ti);
      this.#dirty.add(id);
      this.#post('torrent_added', ids);
      this.#post('add_torrent', ids);
      this.#logger.debug('torrent added', { infoHash: id, name });
      void torrent.start();
      return new TorrentHandle(id, torrent.serial, this.#resolver);
    } catch (err) {
      this.#post('add_torrent', { ...ids, error: toAlertError(err) });
      throw err;
    }
  }

  /** The handle of the torrent with this info-hash (hex v1 / v2 / id, or InfoHashes), if present. */
  findTorrent(infoHash: string | InfoHashes): TorrentHandle | undefined {
    const id = this.#reg.find(infoHash);
    const e = id === undefined ? undefined : this.#reg.get(id);
    return e ? new TorrentHandle(e.torrent.id, e.torrent.serial, this.#resolver) : undefined;
  }

  /** Handles of every torrent, in the order they were added. */
  getTorrents(): TorrentHandle[] {
    return [...this.#reg.values()].map((e) => new TorrentHandle(e.torrent.id, e.torrent.serial, this.#resolver));
  }

  /**
   * Removes a torrent: its handle becomes invalid at once and torrent_removed is posted; the promise
   * resolves when its work stopped and its storage is closed (or deleted, then torrent_deleted or
   * torrent_delete_failed).
   */
  async removeTorrent(handle: TorrentHandle, opts: RemoveOptions = {}): Promise<void> {
    this.#live();
    if (!handle.isValid()) throw new TorrentError('invalid_handle', `torrent ${handle.id} is not in the session`);
    const t = this.#reg.get(handle.id)!.torrent;
    this.#reg.remove(t.id);
    this.#dirty.delete(t.id);
    const ids = { infoHash: t.id, name: t.name };
    this.#post('torrent_removed', ids);
    try {
      await t.shutdown(opts.deleteFiles === true);
      if (opts.deleteFiles) this.#post('torrent_deleted', ids);
    } catch (err) {
      if (opts.deleteFiles) this.#post('torrent_delete_failed', { ...ids, error: toAlertError(err) });
      else this.#logger.warn('closing storage failed', { infoHash: t.id, error: String(err) });
    }
  }

  /** Pauses every torrent's activity (each keeps its own paused flag). */
  pause(): void {
    this.#live();
    if (this.#paused) return;
    this.#paused = true;
    for (const e of this.#reg.values()) e.torrent.sessionPauseChanged(true);
  }

  /** Undoes {@link Session.pause}. */
  resume(): void {
    this.#live();
    if (!this.#paused) return;
    this.#paused = false;
    for (const e of this.#reg.values()) e.torrent.sessionPauseChanged(false);
  }

  /** Whether the session is paused. */
  isPaused(): boolean {
    return this.#paused;
  }

  /**
   * Replaces the IP filter (a copy is kept). Every new connection, in and out, is checked against it
   * (blocked ones post peer_blocked); connected peers now blocked are closed.
   */
  setIpFilter(filter: IPFilter): void {
    this.#live();
    this.#ipFilter = filter.clone();
    for (const e of this.#reg.values()) e.torrent.swarm.closeBlocked((h) => this.#conns.blocked(h) !== undefined);
  }

  /**
   * Resolves once the listeners are bound (and the UDP socket, DHT node and LSD are set up); rejects with
   * `listen_failed` when none of the TCP listeners asked for could be bound.
   */
  async ready(): Promise<void> {
    await this.#conns.ready;
    await this.#disc.ready;
  }

  /** The UDP port of the DHT and UDP trackers (0 when there is no UDP socket). */
  dhtPort(): number {
    return this.#disc.udpPort();
  }

  /** Whether the DHT node runs. */
  isDhtRunning(): boolean {
    return this.#disc.dhtNode() !== undefined;
  }

  #dhtNode(): NonNullable<ReturnType<SessionDiscovery['dhtNode']>> {
    this.#live();
    const n = this.#disc.dhtNode();
    if (!n) throw new TorrentError('not_supported', 'the DHT is not running (enableDht off, no UDP socket, or not ready yet)');
    return n;
  }

  /** Looks up peers of a 20-byte info-hash (or 40 hex digits) on the DHT (dht_reply alerts as they come). */
  async dhtGetPeers(infoHash: Uint8Array | string): Promise<PeerAddress[]> {
    const node = this.#dhtNode();
    return (await node.getPeers(hash20(infoHash))).peers;
  }

  /** Announces that we serve `infoHash` on `port` (default our listen port) to the DHT. */
  async dhtAnnounce(infoHash: Uint8Array | string, port?: number): Promise<{ peers: PeerAddress[]; announcedTo: number }> {
    const node = this.#dhtNode();
    return node.announce(hash20(infoHash), { port: port ?? this.listenPort() });
  }

  /** Pings a DHT node and adds it to the routing table when it answers (libtorrent add_dht_node). */
  addDhtNode(addr: PeerAddress): Promise<boolean> {
    return this.#dhtNode().addNode(addr);
  }

  /** Settings and DHT state (node id and good nodes), bencoded; give it to {@link loadState} or `state`. */
  saveState(): Uint8Array {
    return this.#disc.saveState();
  }

  /**
   * Applies a state from {@link saveState}: its settings (those that are valid; others are skipped) and,
   * before the DHT starts, its node id and nodes. Throws a typed error (bdecode_*, invalid_argument) for
   * bytes that are not a state; nothing is changed then.
   */
  loadState(state: Uint8Array): void {
    this.#live();
    const { settings } = this.#disc.loadState(state);
    this.applySettings(settings);
  }

  /** The bound TCP listen port (else the first listener's), 0 when not listening. */
  listenPort(): number {
    return this.#conns.listenPort();
  }

  /** Every bound listen address. */
  listenAddresses(): PeerAddress[] {
    return this.#conns.listenAddresses();
  }

  /** Our peer id (20 bytes, BEP 20 style from the `peerFingerprint` setting). */
  peerId(): Uint8Array {
    return this.#conns.peerId.slice();
  }

  /**
   * A copy of the IP filter in effect; until setIpFilter, a new empty IPFilter (everything allowed). The
   * session does not import the IPFilter class: in a tree-shaken browser build whose code never imports
   * IPFilter, the empty filter returned here answers lookups, exports and copies like an empty IPFilter but
   * its editing methods throw `ip_filter_unavailable`; import IPFilter and set a `new IPFilter()` instead.
   */
  getIpFilter(): IPFilter {
    return this.#ipFilter?.clone() ?? emptyIPFilter();
  }

  /** Validates and applies settings (TorrentError('invalid_setting') names a bad one; nothing changes then). */
  applySettings(settings: Partial<SettingsPack>): void {
    this.#live();
    const valid = validateSettings(settings);
    this.#settings = { ...this.#settings, ...valid };
    this.#queue.setMask(this.#settings.alertMask);
    this.#queue.setLimit(this.#settings.alertQueueSize);
    this.#slots.setLimit(this.#settings.activeChecking);
  }

  /** A copy of every setting in effect. */
  getSettings(): SettingsPack {
    return { ...this.#settings };
  }

  /** Posts a state_update alert with the status of every torrent that changed since the last call. */
  postTorrentUpdates(): void {
    this.#live();
    const status = [];
    for (const id of this.#dirty) {
      const e = this.#reg.get(id);
      if (e) status.push(e.torrent.status());
    }
    this.#dirty.clear();
    this.#post('state_update', { status });
  }

  /** Removes and returns every queued alert (followed by alerts_dropped if some were lost). */
  popAlerts(): Alert[] {
    return this.#queue.popAll();
  }

  /**
   * Resolves with the oldest queued alert (left in the queue, as libtorrent's wait_for_alert) as soon as
   * there is one, or null after `ms` milliseconds or when the session closes.
   */
  waitForAlert(ms: number): Promise<Alert | null> {
    return this.#queue.waitForAlert(ms);
  }

  /** Sets a callback run (in a microtask) when the alert queue goes from empty to non-empty. */
  setAlertNotify(fn: (() => void) | undefined): void {
    this.#queue.setNotify(fn);
  }

  /** Alerts as they are posted (taken from the same queue as popAlerts); ends when the session closes. */
  alerts(): AsyncIterableIterator<Alert> {
    return this.#queue.iterate();
  }

  /**
   * Stops everything: aborts checking, closes every torrent's storage, closes the hash pool the session
   * created, ends alert iterators. Later calls reject with `session_closed`; close() itself is idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const torrents = this.#reg.clear();
    const results = await Promise.allSettled(torrents.map((t) => t.shutdown(false)));
    for (const r of results) if (r.status === 'rejected') this.#logger.warn('closing a torrent failed', { error: String(r.reason) });
    await this.#disc.close();
    await this.#conns.close();
    if (this.#ownPool && this.#pool) await this.#pool.close();
    this.#pool = undefined;
    this.#queue.close();
  }
}
