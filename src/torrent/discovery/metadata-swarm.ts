/**
 * The swarm of a torrent added without metadata (magnet link / info-hashes): it connects to peers from the
 * torrent's peer list, accepts incoming ones, and fetches the info dict over ut_metadata (BEP 9) with a
 * MetadataFetcher. It transfers no pieces.
 *
 * Piece count unknown: connections are made with `pieceCount()` undefined; the peer layer keeps what the
 * remote says (bitfield, haves) unchecked. When the metadata is verified this swarm stops and closes every
 * connection, and the download swarm reconnects from the same peer list at once (back-off reset). We chose
 * reconnecting over re-binding live connections to the download swarm: the download swarm then sees every
 * peer from its handshake on (bitfield sized and checked by the decoder, picker availability from the
 * first message), at the cost of one reconnect per peer, once per magnet.
 */
import { TorrentError } from '../../errors.js';
import type { PeerAddress } from '../../interfaces/transport.js';
import type { PeerCloseReason, PeerConnection, PeerOwner, PeerSettings } from '../../peer/index.js';
import type { InfoHashes } from '../../metainfo/info-hash.js';
import type { DecodedExtensionHandshake } from '../../wire/extensions/extension-handshake.js';
import { MetadataFetcher } from '../../wire/extensions/ut-metadata-fetcher.js';
import type { AlertFields, AlertType } from '../../session/alerts.js';
import type { SwarmNet } from '../swarm/net.js';
import type { PeerEntry, PeerList } from '../swarm/peer-list.js';
import type { PeerExtensions } from './peer-extensions.js';

type Fields<K extends AlertType> = Omit<AlertFields<K>, 'infoHash' | 'name'>;

/** What the metadata swarm needs from its torrent. */
export interface MetadataSwarmHost {
  readonly infoHash: Uint8Array;
  readonly infoHashes: InfoHashes;
  readonly net: SwarmNet;
  readonly ext: PeerExtensions;
  maxConnections(): number;
  post<K extends AlertType>(type: K, fields: Fields<K>): void;
  /** The verified info dict (called once). */
  onMetadata(info: Uint8Array): void;
  changed(): void;
}

/** Peers of a torrent while its metadata is fetched. */
export class MetadataSwarm implements PeerOwner {
  readonly infoHash: Uint8Array;
  readonly #h: MetadataSwarmHost;
  readonly #list: PeerList;
  readonly #fetcher: MetadataFetcher;
  readonly #peers = new Set<PeerConnection>();
  readonly #pending = new Set<PeerConnection>();
  readonly #entryOf = new Map<PeerConnection, PeerEntry>();
  readonly #dials = new Set<Promise<unknown>>();
  readonly #ac = new AbortController();
  readonly #timer: ReturnType<typeof setInterval>;
  #closed = false;
  #lastTick = 0;

  constructor(h: MetadataSwarmHost, list: PeerList) {
    this.#h = h;
    this.infoHash = h.infoHash;
    this.#list = list;
    const s = h.net.settings();
    this.#fetcher = new MetadataFetcher(
      {
        send: (key, payload) => h.ext.send(key, 'ut_metadata', payload),
        now: () => performance.now(),
        onMetadata: (info) => {
          if (!this.#closed) h.onMetadata(info);
        },
        onBadPeer: (key, reason) => {
          const c = h.ext.connOf(key);
          c?.close(`bad metadata: ${reason}`, 'protocol');
        },
        onHashFailed: () => h.post('metadata_failed', { error: { code: 'torrent_invalid', message: 'received metadata does not match the info-hash' } }),
      },
      { infoHashes: h.infoHashes, maxMetadataSize: s.maxMetadataSize, requestTimeoutMs: 10_000, rejectBackoffMs: 5_000 },
    );
    h.ext.setFetcher(this.#fetcher);
    this.#timer = setInterval(() => this.#tick(), Math.max(50, Math.min(s.tickInterval, 1000)));
    queueMicrotask(() => this.#connectMore());
  }

  pieceCount(): number | undefined { return undefined; }
  pieceSize(): number { return 0; }
  havePiece(): boolean { return false; }
  bitfield(): Uint8Array | undefined { return undefined; }
  metadataSize(): number | undefined { return this.#h.ext.metadataSize(); }
  extensions(): ReadonlyMap<string, number> { return this.#h.ext.extensions(); }
  settings(): Partial<PeerSettings> { return this.#h.net.peerSettings(); }
  readBlock(): Promise<Uint8Array> { return Promise.reject(new TorrentError('metadata_not_available', 'no metadata yet')); }

  onConnected(conn: PeerConnection): boolean {
    this.#pending.delete(conn);
    if (this.#closed) return false;
    const host = conn.remote.host;
    const why = this.#h.net.blocked(host);
    if (why) {
      this.#h.post('peer_blocked', { endpoint: { ip: host, port: conn.remote.port }, reason: why });
      return false;
    }
    if (this.#peers.size >= this.#h.maxConnections()) return false;
    const multi = this.#h.net.settings().allowMultipleConnectionsPerIp;
    for (const p of this.#peers) if (!multi && p.remote.host === host) return false;
    this.#peers.add(conn);
    const e = this.#entryOf.get(conn);
    if (e) this.#list.succeeded(e);
    this.#h.ext.connected(conn);
    this.#h.post('peer_connect', { endpoint: { ip: host, port: conn.remote.port }, direction: conn.direction, transport: conn.remote.transport ?? '' });
    this.#h.changed();
    return true;
  }

  onExtensionHandshake(conn: PeerConnection, hs: DecodedExtensionHandshake): void {
    if (this.#peers.has(conn)) this.#h.ext.handshake(conn, hs);
  }

  onExtended(conn: PeerConnection, name: string, payload: Uint8Array): void {
    if (this.#peers.has(conn)) this.#h.ext.message(conn, name, payload);
  }

  /** BEP 52 hash messages (ids 21–23): to the piece-layer fetcher of a v2 magnet, through the extensions. */
  onUnknownMessage(conn: PeerConnection, id: number, payload: Uint8Array): void {
    if (this.#peers.has(conn)) this.#h.ext.hashMessage(conn, id, payload);
  }

  onBitfield(): void {}
  onHaveAll(): void {}
  onHave(): void {}
  onPeerChoked(): void {}
  onPeerUnchoked(): void {}
  onBlock(): void {}
  onReject(): void {}

  onClose(conn: PeerConnection, reason: PeerCloseReason): void {
    this.#pending.delete(conn);
    const e = this.#entryOf.get(conn);
    this.#entryOf.delete(conn);
    if (this.#peers.delete(conn)) {
      this.#h.ext.closed(conn);
      this.#h.post('peer_disconnected', {
        endpoint: { ip: conn.remote.host, port: conn.remote.port },
        reason: reason.kind,
        code: reason.error.code,
        error: { code: reason.error.code, message: reason.error.message },
      });
      if (e) this.#list.disconnected(e, performance.now());
      this.#h.changed();
    } else if (e) this.#list.failed(e, performance.now());
  }

  /** A new address: dial it now. */
  addPeer(addr: PeerAddress): void {
    const e = this.#list.add(addr);
    if (e && !e.connected) {
      e.retryAt = 0;
      this.#dial(e);
    }
  }

  /** Connected peers. */
  peerCount(): number {
    return this.#peers.size;
  }

  #connectMore(): void {
    if (this.#closed) return;
    const room = this.#h.maxConnections() - this.#peers.size - this.#dials.size;
    const speed = Math.max(1, this.#h.net.settings().connectionSpeed);
    for (const e of this.#list.candidates(performance.now(), Math.min(room, speed))) {
      if (!this.#h.net.hasRoom()) break;
      this.#dial(e);
    }
  }

  #dial(e: PeerEntry): void {
    const net = this.#h.net;
    if (this.#closed || e.connected) return;
    if (net.blocked(e.addr.host)) {
      this.#list.removeHost(e.addr.host);
      return;
    }
    if (!net.canDial(e.addr)) {
      this.#list.failed(e, performance.now());
      return;
    }
    if (!net.hasRoom() || this.#peers.size + this.#dials.size >= this.#h.maxConnections()) return;
    e.connected = true;
    const d = net.dial(e.addr, this, this.#ac.signal).then(
      (conn) => {
        this.#entryOf.set(conn, e);
        if (this.#closed) conn.close('torrent stopped');
        else if (conn.phase !== 'closed' && !this.#peers.has(conn)) this.#pending.add(conn);
      },
      () => this.#list.failed(e, performance.now()),
    );
    this.#dials.add(d);
    void d.finally(() => this.#dials.delete(d));
  }

  #tick(): void {
    if (this.#closed) return;
    const now = performance.now();
    this.#connectMore();
    if (now - this.#lastTick >= 1000) {
      this.#lastTick = now;
      this.#h.ext.tick(this.#peers);
    } else this.#fetcher.tick();
  }

  /** Closes every connection; resolves when they have closed. */
  async stop(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#h.ext.setFetcher(undefined);
    this.#ac.abort(new TorrentError('aborted', 'metadata phase over'));
    await Promise.allSettled([...this.#dials]);
    const conns = [...this.#peers, ...this.#pending];
    for (const c of conns) c.close('torrent stopped');
    await Promise.all(conns.map((c) => c.closed));
  }
}
