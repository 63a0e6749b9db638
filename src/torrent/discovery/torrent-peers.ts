/**
 * Glue between a Torrent and its peer sources: the BEP 10 extensions (peer-extensions.ts), trackers / DHT /
 * LSD (torrent-discovery.ts) and, for a magnet, the metadata phase (metadata-swarm.ts). Torrent calls
 * {@link TorrentPeers.sync} whenever its state may have changed; this starts or stops what should run.
 *
 * Metadata: the fetched info dict is verified by the fetcher against every info-hash we know, then parsed
 * with TorrentInfo.fromInfoDict (the magnet's trackers and web seeds kept). A dict that hashes right but
 * does not parse posts metadata_failed and the fetch goes on with other peers; one that parses posts
 * metadata_received and is handed to the torrent, which opens storage, checks and downloads.
 *
 * v2-only magnets: the info dict lacks the BEP 52 piece layers, without which no piece can be verified. The
 * metadata swarm then keeps running (its connections stay open) while a PieceLayerFetcher (piece-layers.ts)
 * asks its peers for the layers with hash requests and proves every reply against the files' pieces
 * roots; once all are verified the torrent receives a TorrentInfo with the layers and downloads normally.
 * Paused meanwhile, the fetcher keeps what it verified and goes on with the peers of the next metadata swarm.
 * piece-layers.ts (with the merkle proofs and the hash server: bep52-wire.ts, one chunk) is loaded then, so
 * torrents that never need it never fetch it.
 */
import type { PeerAddress } from '../../interfaces/transport.js';
import type { PeerConnection } from '../../peer/index.js';
import type { InfoHashes } from '../../metainfo/info-hash.js';
import { toHex } from '../../metainfo/info-hash.js';
import { TorrentInfo } from '../../metainfo/torrent-info.js';
import { isTorrentError } from '../../errors.js';
import type { AlertFields, AlertType } from '../../session/alerts.js';
import type { TrackerStatus } from '../../tracker/announcer-types.js';
import type { SwarmLink } from '../swarm-link.js';
import type { SwarmNet } from '../swarm/net.js';
import { PeerExtensions } from './peer-extensions.js';
import { sendWire } from './hash-serving.js';
import type { LayerFile, PieceLayerFetcher } from './piece-layers.js';
import { lazy } from '../../lazy.js';
import { TorrentDiscovery } from './torrent-discovery.js';
import type { DiscoveryServices, PeerSource } from './torrent-discovery.js';

export type { DiscoveryServices, PeerSource } from './torrent-discovery.js';

/** The piece-layer fetcher (in the BEP 52 chunk), loaded when a v2-only magnet's metadata arrives (../../lazy.ts). */
const loadPieceLayers = lazy(() => import('./bep52-wire.js'));
type PieceLayers = Awaited<ReturnType<typeof loadPieceLayers>>;

/** What the glue needs from its torrent. */
export interface TorrentPeersHost {
  readonly infoHash: Uint8Array;
  readonly infoHashes: InfoHashes;
  readonly link: SwarmLink;
  net(): SwarmNet;
  services(): DiscoveryServices;
  /** Info dict bytes when the metadata is known. */
  info(): Uint8Array | undefined;
  isPrivate(): boolean;
  announceStats(): { uploaded: number; downloaded: number; left: number };
  post<K extends AlertType>(type: K, fields: Omit<AlertFields<K>, 'infoHash' | 'name'>): void;
  changed(): void;
  /** Verified, parsed metadata for a magnet torrent. */
  gotMetadata(ti: TorrentInfo): void;
  /** Trackers and web seeds to keep in the TorrentInfo built from a magnet's metadata. */
  magnetExtras(): { announce: string[][]; urlList: string[] };
}

/** What the torrent tells {@link TorrentPeers.sync}. */
export interface PeersState {
  /** Peers may run at all (not paused, no error, not closing). */
  readonly active: boolean;
  /** The metadata is known. */
  readonly hasMetadata: boolean;
  /** Checked and ready to transfer (the download swarm runs). */
  readonly transferring: boolean;
  readonly seeding: boolean;
}

/** A torrent's peer sources. */
export class TorrentPeers {
  readonly ext: PeerExtensions;
  readonly #h: TorrentPeersHost;
  readonly #disc: TorrentDiscovery;
  #parsing = false;
  /** The piece-layer fetch of a v2-only magnet, while it runs. */
  #layers: PieceLayerFetcher<PeerConnection> | undefined;
  #closed = false;
  #last: PeersState = { active: false, hasMetadata: false, transferring: false, seeding: false };

  constructor(h: TorrentPeersHost, trackers: readonly (readonly string[])[]) {
    this.#h = h;
    const settings = (): ReturnType<SwarmNet['settings']> => h.net().settings();
    this.ext = new PeerExtensions(
      {
        isPrivate: () => h.isPrivate(),
        pexIntervalMs: () => settings().pexIntervalMs,
        maxPexPeers: () => Math.max(1, settings().maxPexPeers),
        addPeer: (a, s) => this.addPeer(a, s),
        // On one host (tests, LANs with one client per port) our address is loopback + our listen port.
        isSelf: (host, port) => port === h.services().listenPort() && (host === '127.0.0.1' || host === '::1'),
        loadFailed: (message) => h.post('session_error', { error: { code: 'not_supported', message } }),
      },
      h.info(),
      settings().maxMetadataSize,
    );
    this.#disc = new TorrentDiscovery(
      {
        infoHash: h.infoHash,
        infoHashHex: toHex(h.infoHash),
        isPrivate: () => h.isPrivate(),
        announceStats: () => h.announceStats(),
        addPeer: (a, s) => this.addPeer(a, s),
        post: (type, fields) => h.post(type, fields),
      },
      h.services(),
      trackers,
    );
  }

  /** A peer from any source joins the peer list (and is dialled when a swarm runs). */
  addPeer(addr: PeerAddress, source: PeerSource): void {
    if (source === 'lsd') this.#h.post('lsd_peer', { endpoint: { ip: addr.host, port: addr.port } });
    this.#h.link.addPeer(addr);
  }

  /** Starts or stops the metadata swarm and discovery to match the torrent's state. */
  sync(st: PeersState): void {
    const h = this.#h;
    this.#last = st;
    h.link.syncMetadata(st.active && !st.hasMetadata && (!this.#parsing || this.#layers !== undefined), () => ({
      infoHash: h.infoHash,
      infoHashes: h.infoHashes,
      net: h.net(),
      ext: this.ext,
      maxConnections: () => h.link.maxConnections(),
      post: (type, fields) => h.post(type, fields),
      onMetadata: (info) => void this.#metadata(info),
      changed: () => h.changed(),
    }));
    this.#disc.sync(st.active && (!st.hasMetadata || st.transferring), st.seeding);
  }

  async #metadata(info: Uint8Array): Promise<void> {
    const h = this.#h;
    if (this.#parsing) return; // a restarted metadata swarm fetched it again while the layers are fetched
    this.#parsing = true;
    try {
      const ti = await TorrentInfo.fromInfoDict(info, h.magnetExtras());
      this.ext.setInfo(ti.infoBytes);
      h.post('metadata_received', {});
      if (ti.metaVersion === 'v2') {
        const mod = await loadPieceLayers();
        const need = mod.missingLayerFiles(ti);
        if (this.#closed) return;
        if (need.length > 0) {
          this.#fetchLayers(mod, ti, need);
          return;
        }
      }
      h.link.syncMetadata(false, () => { throw new Error('unreachable'); });
      h.gotMetadata(ti);
    } catch (err) {
      h.post('metadata_failed', { error: { code: isTorrentError(err) ? err.code : 'torrent_invalid', message: err instanceof Error ? err.message : String(err) } });
      this.#parsing = false;
      this.sync(this.#last);
    }
  }

  /** Starts fetching the piece layers of `need` over the metadata swarm's connections. */
  #fetchLayers(mod: PieceLayers, ti: TorrentInfo, need: readonly LayerFile[]): void {
    const fetcher = new mod.PieceLayerFetcher<PeerConnection>(need, ti.pieceLength, {
      send: (c, m) => sendWire(c, m),
      now: () => performance.now(),
      onBadPeer: (c, reason) => c.close(`bad piece layer hashes: ${reason}`, 'protocol'),
      onDone: (layers) => void this.#layersDone(mod, ti, need, layers),
    });
    this.#layers = fetcher;
    // A v2-only torrent's handshakes carry the v2 info-hash: every peer of it speaks v2.
    const v2only = ti.metaVersion === 'v2';
    this.ext.setHashHandler({
      connected: (c) => {
        if (v2only || c.remoteHandshake?.v2) fetcher.addPeer(c);
      },
      closed: (c) => fetcher.removePeer(c),
      message: (c, id, payload) => fetcher.message(c, id, payload),
      tick: () => fetcher.tick(),
    });
    this.sync(this.#last); // the metadata swarm may have stopped while the info dict was parsed
  }

  async #layersDone(mod: PieceLayers, ti: TorrentInfo, need: readonly LayerFile[], layers: Map<number, Uint8Array>): Promise<void> {
    const h = this.#h;
    this.ext.setHashHandler(undefined);
    let full: TorrentInfo;
    try {
      full = await ti.withPieceLayers(layers);
    } catch (err) {
      // Every chunk was proven against its root, so this is not expected; fetch again rather than hang.
      h.post('metadata_failed', { error: { code: isTorrentError(err) ? err.code : 'torrent_invalid_piece_layers', message: err instanceof Error ? err.message : String(err) } });
      if (!this.#closed) this.#fetchLayers(mod, ti, need);
      return;
    }
    this.#layers = undefined;
    if (this.#closed) return;
    h.link.syncMetadata(false, () => { throw new Error('unreachable'); });
    h.gotMetadata(full);
  }

  /** The download finished. */
  completed(): void {
    this.#disc.completed();
  }

  trackers(): TrackerStatus[] { return this.#disc.trackers(); }
  addTracker(url: string, tier?: number): boolean { return this.#disc.addTracker(url, tier); }
  forceReannounce(): void { this.#disc.forceReannounce(); }
  forceDhtAnnounce(): void { this.#disc.forceDhtAnnounce(); }
  scrape(): Promise<void> { return this.#disc.scrape(); }

  /** Stops discovery (sends `stopped` to trackers, bounded) and the metadata phase. */
  close(): Promise<void> {
    this.#closed = true;
    this.#layers?.close();
    this.ext.setHashHandler(undefined);
    return this.#disc.close();
  }
}

/** The parts of a Torrent the glue reads (public members only). */
export interface PeersTorrent {
  readonly id: string;
  readonly name: string;
  readonly handshakeHash: Uint8Array;
  readonly infoHashes: InfoHashes;
  readonly swarm: SwarmLink;
  readonly meta: { readonly infoBytes?: Uint8Array; readonly isPrivate?: boolean; readonly totalLength: number } | undefined;
  readonly trackers: readonly (readonly string[])[];
  readonly urlSeeds: readonly string[];
  status(): { totalDone: number };
}

/** What the session gives a torrent, as far as the glue is concerned. */
export interface PeersSessionHost {
  post<K extends AlertType>(type: K, fields: AlertFields<K>): void;
  net(): SwarmNet;
  discovery(): DiscoveryServices;
  changed(id: string): void;
}

/** Builds the {@link TorrentPeersHost} of torrent `t`. */
export function peersHostFor(t: PeersTorrent, host: PeersSessionHost, gotMetadata: (ti: TorrentInfo) => void): TorrentPeersHost {
  return {
    infoHash: t.handshakeHash,
    get infoHashes() { return t.infoHashes; },
    get link() { return t.swarm; },
    net: () => host.net(),
    services: () => host.discovery(),
    info: () => t.meta?.infoBytes,
    isPrivate: () => t.meta?.isPrivate === true,
    announceStats: () => {
      const st = t.swarm.status();
      const left = t.meta ? Math.max(0, t.meta.totalLength - t.status().totalDone) : 0;
      return { uploaded: st.totalPayloadUpload, downloaded: st.totalPayloadDownload, left };
    },
    post: (type, fields) => host.post(type, { infoHash: t.id, name: t.name, ...fields } as unknown as AlertFields<typeof type>),
    changed: () => host.changed(t.id),
    gotMetadata,
    magnetExtras: () => ({ announce: t.trackers.map((x) => [...x]), urlList: [...t.urlSeeds] }),
  };
}
