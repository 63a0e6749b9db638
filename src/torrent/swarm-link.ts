/**
 * A torrent's link to its swarm: the peer list (kept while the torrent is paused, so resuming reconnects),
 * the swarm while the torrent is active, payload totals across swarm lifetimes, and the per-torrent
 * connection limit. Torrent decides when peers may run; this starts and stops the swarm accordingly.
 * A stopped swarm's connections close in the background; `stopAndWait` waits for them (before storage
 * moves, rechecks and shutdown).
 *
 * The metadata swarm of a magnet (discovery/metadata-swarm.ts with the ut_metadata fetcher) is loaded on
 * the first magnet (discovery/magnet-phase.ts): a page that only adds .torrent files never fetches it. Until the module
 * is there no metadata swarm runs (incoming connections for the torrent find no owner and are refused,
 * known peers wait in the peer list); a stop in the meantime cancels the start.
 */
import { TorrentError } from '../errors.js';
import type { PeerAddress } from '../interfaces/transport.js';
import type { TorrentStatus } from '../session/torrent-status.js';
import { PeerList } from './swarm/peer-list.js';
import type { SwarmNet } from './swarm/net.js';
import { Swarm } from './swarm/swarm.js';
import type { SwarmTorrent } from './swarm/swarm.js';
import type { MetadataSwarm, MetadataSwarmHost } from './discovery/metadata-swarm.js';
import type { PeerOwner } from '../peer/index.js';
import { lazy } from '../lazy.js';

const loadMetadataSwarm = lazy(() => import('./discovery/magnet-phase.js'));

/** The swarm-related fields of a TorrentStatus. */
export type SwarmStatusFields = Pick<TorrentStatus, 'downloadRate' | 'uploadRate' | 'downloadPayloadRate' | 'uploadPayloadRate' | 'numPeers' | 'numSeeds' | 'totalPayloadDownload' | 'totalPayloadUpload'>;

/** Starts, stops and reports on one torrent's swarm. */
export class SwarmLink {
  #swarm: Swarm | undefined;
  #meta: MetadataSwarm | undefined;
  /** The context of a metadata swarm asked for while its module loads. */
  #metaWanted: (() => MetadataSwarmHost) | undefined;
  #stopping: Promise<void> = Promise.resolve();
  readonly #list: PeerList;
  #maxConnections: number | undefined;
  #totalDown = 0;
  #totalUp = 0;

  constructor(private readonly net: () => SwarmNet, peers: readonly PeerAddress[], maxConnections: number | undefined) {
    this.#list = new PeerList(() => {
      const s = net().settings();
      return { maxSize: s.maxPeerlistSize, minReconnectMs: s.minReconnectTime * 1000, maxFailcount: s.maxFailcount };
    });
    for (const a of peers) this.#list.add(a);
    this.#maxConnections = maxConnections;
  }

  /** The running swarm (the PeerOwner for incoming connections), if any. */
  get swarm(): Swarm | undefined {
    return this.#swarm;
  }

  /** The owner for incoming connections now: the download swarm, else the metadata swarm. */
  get owner(): PeerOwner | undefined {
    return this.#swarm ?? this.#meta;
  }

  /** Known peer addresses. */
  get knownPeers(): number {
    return this.#list.size;
  }

  /** Starts the swarm (when `run` and none runs) or stops it (when not `run`). */
  sync(run: boolean, context: () => SwarmTorrent): void {
    if (run && !this.#swarm) {
      this.#stopMeta();
      this.#swarm = new Swarm(context(), this.#list);
    } else if (!run) this.stop();
  }

  /** Starts (or stops) the metadata-phase swarm of a magnet torrent (see discovery/metadata-swarm.ts). */
  syncMetadata(run: boolean, context: () => MetadataSwarmHost): void {
    if (!run) {
      this.#stopMeta();
      return;
    }
    if (this.#meta || this.#swarm || this.#metaWanted) return;
    this.#metaWanted = context;
    loadMetadataSwarm().then(
      (m) => {
        if (this.#metaWanted !== context) return; // stopped (or stopped and asked again) meanwhile
        this.#metaWanted = undefined;
        if (!this.#meta && !this.#swarm) this.#meta = new m.MetadataSwarm(context(), this.#list);
      },
      (err: unknown) => {
        if (this.#metaWanted !== context) return;
        this.#metaWanted = undefined; // the next sync asking for it tries again
        context().post('metadata_failed', { error: { code: 'not_supported', message: `the metadata fetcher could not be loaded: ${err instanceof Error ? err.message : String(err)}` } });
      },
    );
  }

  #stopMeta(): boolean {
    this.#metaWanted = undefined;
    const m = this.#meta;
    if (!m) return false;
    this.#meta = undefined;
    // Once its connections are closed, their addresses may be dialled again at once (by the download swarm).
    const done = m.stop().then(() => this.#list.resetBackoff());
    this.#stopping = Promise.all([this.#stopping, done]).then(() => undefined);
    return true;
  }

  /** Stops the swarm; its connections close in the background. Returns whether one was running. */
  stop(): boolean {
    const hadMeta = this.#stopMeta();
    const sw = this.#swarm;
    if (!sw) return hadMeta;
    this.#swarm = undefined;
    const st = sw.stats();
    this.#totalDown += st.totalDown;
    this.#totalUp += st.totalUp;
    this.#stopping = Promise.all([this.#stopping, sw.stop()]).then(() => undefined);
    return true;
  }

  /** Stops the swarm and waits until every connection of every stopped swarm has closed. */
  async stopAndWait(): Promise<void> {
    this.stop();
    await this.#stopping;
  }

  /** The torrent resumed: known addresses may be dialled at once. */
  resetBackoff(): void {
    this.#list.resetBackoff();
  }

  /**
   * Remembers `addr` and dials it now when a swarm runs; otherwise its back-off is cleared, so the swarm
   * dials it as soon as it starts (a torrent still checking, or paused, given a peer by connectPeer).
   */
  addPeer(addr: PeerAddress): void {
    const e = this.#list.add(addr);
    if (this.#swarm) this.#swarm.addPeer(addr);
    else if (e && !e.connected) e.retryAt = 0;
    this.#meta?.addPeer(addr);
  }

  /** Forgets `host` and closes its connections (banned). */
  closeHost(host: string): void {
    this.#list.removeHost(host);
    this.#swarm?.closeHost(host);
  }

  /** Closes connections to hosts now blocked (the IP filter changed). */
  closeBlocked(isBlocked: (host: string) => boolean): void {
    this.#swarm?.closeWhere(isBlocked);
  }

  prioritiesChanged(): void {
    this.#swarm?.prioritiesChanged();
  }

  deadlinesChanged(): void {
    this.#swarm?.deadlinesChanged();
  }

  maxConnections(): number {
    return this.#maxConnections ?? this.net().settings().maxConnectionsPerTorrent;
  }

  setMaxConnections(n: number): void {
    if (!Number.isInteger(n) || n < 1) throw new TorrentError('invalid_argument', `max connections must be a positive integer, got ${String(n)}`);
    this.#maxConnections = n;
  }

  /** Rates, peer counts and payload totals for status(). */
  status(): SwarmStatusFields {
    const st = this.#swarm?.stats();
    return {
      downloadRate: st?.totalDownloadRate ?? 0,
      uploadRate: st?.totalUploadRate ?? 0,
      downloadPayloadRate: Math.round(st?.downloadRate ?? 0),
      uploadPayloadRate: Math.round(st?.uploadRate ?? 0),
      numPeers: st?.numPeers ?? this.#meta?.peerCount() ?? 0,
      numSeeds: st?.numSeeds ?? 0,
      totalPayloadDownload: this.#totalDown + (st?.totalDown ?? 0),
      totalPayloadUpload: this.#totalUp + (st?.totalUp ?? 0),
    };
  }
}
