/**
 * The session's network layer: transports, listeners, the peer id, global connection accounting, the IP
 * filter and the ban list. Incoming streams are checked (filter, bans, `connectionsLimit`) and handed to a
 * PeerConnection with a router that finds the torrent by the info-hash in the handshake (v1, or the v2
 * hash truncated to 20 bytes for v2-only torrents). Outgoing dials try, in order, each transport whose
 * `canDial` accepts the address and whose kind is enabled (`enableOutgoingTcp` / `enableOutgoingUtp`): TCP
 * first, then uTP when TCP fails. A peer that accepts TCP and hangs up before its handshake (libtorrent with
 * incoming TCP off does so) is remembered: {@link Connections.fallback} tells the swarm to dial it again at
 * once, starting at the next transport, as libtorrent retries a failed uTP connect over TCP. The uTP transport joins later, when
 * the session's UDP socket is bound ({@link Connections.addTransport}).
 *
 * Invariants: every PeerConnection this layer made is in `#peers` until it closes; `#dialing` counts dials
 * in flight, which count against `connectionsLimit` like connections; after close() no listener, dial,
 * connection or transport of the session remains.
 */
import { TorrentError } from '../errors.js';
import type { Logger } from '../interfaces/logger.js';
import type { Listener, PeerAddress, PeerStream, Transport } from '../interfaces/transport.js';
import { PeerConnection } from '../peer/index.js';
import type { PeerOwner, PeerSettings } from '../peer/index.js';
import { generatePeerId } from '../wire/handshake.js';
import type { BlockReason, SwarmNet } from '../torrent/swarm/net.js';
import { MeteredStream } from '../torrent/swarm/metered-stream.js';
import type { AlertFields, AlertType } from './alerts.js';
import type { IPFilterLookup } from './ip-filter-types.js';
import { parseListenInterfaces } from './listen-interfaces.js';
import type { SettingsPack } from './settings.js';

/** What the connection layer needs from the session. */
export interface ConnectionHost {
  settings(): Readonly<SettingsPack>;
  /** The session's IP filter; undefined when none is set (everything allowed). */
  ipFilter(): IPFilterLookup | undefined;
  post<K extends AlertType>(type: K, fields: AlertFields<K>): void;
  /** The torrent serving a 20-byte handshake info-hash, when it accepts peers now. */
  route(infoHash: Uint8Array): PeerOwner | undefined;
  /** A host was banned: close its connections everywhere. */
  banned(host: string): void;
  logger: Logger;
}

/** Maps session settings (seconds) onto the peer layer's (ms). */
export function peerSettingsFrom(s: Readonly<SettingsPack>, listenPort: number): Partial<PeerSettings> {
  return {
    handshakeTimeoutMs: s.handshakeTimeout * 1000,
    peerTimeoutMs: s.peerTimeout * 1000,
    keepAliveIntervalMs: Math.max(1000, Math.min(60_000, s.peerTimeout * 500)),
    inactivityTimeoutMs: s.inactivityTimeout * 1000,
    stallTimeoutMs: s.pieceTimeout * 1000,
    maxRequestQueue: s.maxAllowedInRequestQueue,
    ...(listenPort > 0 ? { listenPort } : {}),
  };
}

/** True for transports that `enableIncomingTcp` / `enableOutgoingTcp` govern. */
const isTcp = (t: Transport): boolean => t.name === 'tcp';

/** Whether the settings let `t` accept (`incoming`) or make connections. */
function enabled(t: Transport, s: Readonly<SettingsPack>, incoming: boolean): boolean {
  if (t.name === 'tcp') return incoming ? s.enableIncomingTcp : s.enableOutgoingTcp;
  if (t.name === 'utp') return incoming ? s.enableIncomingUtp : s.enableOutgoingUtp;
  return true;
}

/** Session-wide connection management (see the file comment). */
export class Connections implements Omit<SwarmNet, 'dial'> {
  readonly peerId: Uint8Array;
  readonly #transports: Transport[];
  readonly #host: ConnectionHost;
  readonly #listeners: Array<{ transport: Transport; listener: Listener }> = [];
  readonly #peers = new Set<PeerConnection>();
  readonly #bans = new Set<string>();
  /** "host:port" → the index (into its dialable transports) its next dial tries first; bounded, oldest out. */
  readonly #skip = new Map<string, number>();
  /** Outgoing connections made over a transport other than the address's last: where a fallback would go. */
  readonly #fallbacks = new WeakMap<PeerConnection, { key: string; next: number }>();
  readonly #ac = new AbortController();
  #dialing = 0;
  #closed = false;
  readonly ready: Promise<void>;

  constructor(transports: readonly Transport[], host: ConnectionHost) {
    this.#transports = [...transports];
    this.#host = host;
    this.peerId = generatePeerId(host.settings().peerFingerprint);
    this.ready = this.#listen();
    // ready() is the caller's to observe; an unobserved rejection must not crash the process.
    this.ready.catch(() => undefined);
  }

  async #listen(): Promise<void> {
    const s = this.#host.settings();
    const wanted = parseListenInterfaces(s.listenInterfaces);
    const candidates = this.#transports.filter((t) => t.listen && enabled(t, s, true));
    if (wanted.length === 0 || candidates.length === 0) return;
    let ok = 0;
    let lastErr: unknown;
    for (const t of candidates) {
      const err = await this.#listenOn(t);
      if (err === undefined) ok++;
      else lastErr = err;
      if (this.#closed) return;
    }
    if (ok === 0) throw new TorrentError('listen_failed', `no listener could be bound (${String(lastErr)})`, { cause: lastErr });
  }

  /** Listens on `t`; the error (posted as listen_failed) when it cannot. */
  async #listenOn(t: Transport): Promise<unknown> {
    try {
      const listener = await t.listen!((stream) => this.#incoming(stream, t));
      if (this.#closed) {
        await listener.close();
        return undefined;
      }
      this.#listeners.push({ transport: t, listener });
      this.#host.post('listen_succeeded', { address: listener.address.host, port: listener.address.port, socketType: t.name });
      return undefined;
    } catch (err) {
      const e = err instanceof TorrentError ? err : new TorrentError('listen_failed', String(err));
      const details = e.details as { host?: unknown; first?: unknown } | undefined;
      this.#host.post('listen_failed', {
        address: typeof details?.host === 'string' ? details.host : '',
        port: typeof details?.first === 'number' ? details.first : 0,
        socketType: t.name,
        operation: 'bind',
        error: { code: e.code, message: e.message },
      });
      return err;
    }
  }

  /**
   * Adds a transport that comes up after the listeners (uTP on the session's UDP socket): it dials after
   * the ones given at construction and listens when its kind's incoming setting allows. The connection
   * layer closes it with the others.
   */
  async addTransport(t: Transport): Promise<void> {
    if (this.#closed) {
      await t.close();
      return;
    }
    this.#transports.push(t);
    const s = this.#host.settings();
    if (t.listen && enabled(t, s, true) && parseListenInterfaces(s.listenInterfaces).length > 0) await this.#listenOn(t);
  }

  /** The first bound TCP port (else the first listener's port), 0 when none. */
  listenPort(): number {
    const tcp = this.#listeners.find((l) => isTcp(l.transport)) ?? this.#listeners[0];
    return tcp?.listener.address.port ?? 0;
  }

  /** Every bound listen address. */
  listenAddresses(): PeerAddress[] {
    return this.#listeners.map((l) => l.listener.address);
  }

  settings(): Readonly<SettingsPack> {
    return this.#host.settings();
  }

  peerSettings(): Partial<PeerSettings> {
    return peerSettingsFrom(this.#host.settings(), this.listenPort());
  }

  /** Connections open now (all torrents, including handshakes in progress). */
  get connectionCount(): number {
    return this.#peers.size;
  }

  hasRoom(): boolean {
    return !this.#closed && this.#peers.size + this.#dialing < this.#host.settings().connectionsLimit;
  }

  #transportsFor(addr: PeerAddress): Transport[] {
    const s = this.#host.settings();
    return this.#transports.filter((t) => enabled(t, s, false) && t.canDial(addr));
  }

  canDial(addr: PeerAddress): boolean {
    return this.#transportsFor(addr).length > 0;
  }

  blocked(host: string): BlockReason | undefined {
    if (this.#bans.has(host)) return 'banned';
    const filter = this.#host.ipFilter();
    if (filter === undefined) return undefined;
    let allowed = true;
    try {
      allowed = filter.isAllowed(host);
    } catch {
      allowed = true; // not an IP literal (e.g. a WebRTC peer id): the filter does not apply
    }
    return allowed ? undefined : 'ip_filter';
  }

  ban(host: string): void {
    if (this.#bans.has(host)) return;
    this.#bans.add(host);
    this.#host.banned(host);
  }

  /** Whether `host` is on the ban list. */
  isBanned(host: string): boolean {
    return this.#bans.has(host);
  }

  #track(peer: PeerConnection): PeerConnection {
    this.#peers.add(peer);
    return peer;
  }

  #onClose = (peer: PeerConnection): void => {
    this.#peers.delete(peer);
  };

  #incoming(stream: PeerStream, t: Transport): void {
    const host = stream.remote.host;
    const why = this.#closed ? 'closed' : this.blocked(host);
    if (why !== undefined || !this.hasRoom()) {
      if (why === 'ip_filter') this.#host.post('peer_blocked', { infoHash: '', name: '', endpoint: { ip: host, port: stream.remote.port }, reason: 'ip_filter' });
      stream.destroy(new TorrentError('connection_failed', why === undefined ? 'connection limit reached' : `incoming connection refused: ${why}`));
      return;
    }
    this.#host.logger.debug('incoming connection', { host, port: stream.remote.port, transport: t.name });
    this.#track(new PeerConnection(new MeteredStream(stream), {
      peerId: this.peerId,
      router: (ih) => this.#host.route(ih),
      settings: this.peerSettings(),
      onClose: this.#onClose,
    }));
  }

  /** Dials `addr` for `owner` (see {@link SwarmNet.dial}). */
  async dial(addr: PeerAddress, owner: PeerOwner, signal: AbortSignal): Promise<PeerConnection> {
    if (this.#closed) throw new TorrentError('aborted', 'the session is closing');
    const all = this.#transportsFor(addr);
    const key = `${addr.host}:${addr.port}`;
    const from = this.#skip.get(key) ?? 0;
    const ts = from < all.length ? [...all.slice(from), ...all.slice(0, from)] : all;
    if (ts.length === 0) throw new TorrentError('not_supported', `no transport can reach ${addr.host}:${addr.port}`, { details: { host: addr.host, port: addr.port } });
    const why = this.blocked(addr.host);
    if (why) throw new TorrentError('peer_banned', `${addr.host} is blocked (${why})`, { details: { host: addr.host, reason: why } });
    const both = AbortSignal.any([signal, this.#ac.signal]);
    this.#dialing++;
    let stream: PeerStream | undefined;
    let used = 0;
    try {
      let lastErr: unknown;
      for (const t of ts) {
        try {
          stream = await t.dial(addr, { signal: both });
          used = all.indexOf(t);
          break;
        } catch (err) {
          lastErr = err;
          if (both.aborted) break;
          this.#host.logger.debug('dial failed', { host: addr.host, port: addr.port, transport: t.name, error: String(err) });
        }
      }
      if (stream === undefined) throw lastErr;
    } finally {
      this.#dialing--;
    }
    if (this.#closed || signal.aborted) {
      stream.destroy(new TorrentError('aborted', 'dial no longer wanted'));
      throw new TorrentError('aborted', 'dial no longer wanted');
    }
    const peer = this.#track(new PeerConnection(new MeteredStream(stream), { peerId: this.peerId, owner, settings: this.peerSettings(), onClose: this.#onClose }));
    if (used + 1 < all.length) this.#fallbacks.set(peer, { key, next: used + 1 });
    return peer;
  }

  /**
   * An outgoing connection closed before the remote's handshake. When the remote hung up and another
   * transport can reach the address, that transport is tried first from now on and true is returned: the
   * caller dials again at once, as libtorrent retries a failed uTP connect over TCP.
   */
  fallback(peer: PeerConnection): boolean {
    const f = this.#fallbacks.get(peer);
    if (f === undefined || peer.remoteHandshake !== undefined || peer.closeReason?.kind !== 'remote_closed') return false;
    this.#fallbacks.delete(peer);
    this.#remember(f.key, f.next);
    return true;
  }

  #remember(key: string, from: number): void {
    this.#skip.delete(key);
    this.#skip.set(key, from);
    if (this.#skip.size > 4096) this.#skip.delete(this.#skip.keys().next().value!);
  }

  /**
   * Binds an already-connected stream for a known torrent (WebRTC, from a WebSocket tracker) to `owner`
   * as a connection that handshakes at once, as WebTorrent's WebRTC peers do on both ends. Counts toward
   * `connectionsLimit`; refused (stream destroyed, false) when closing, full, or no torrent accepts it.
   */
  adopt(stream: PeerStream, owner: PeerOwner | undefined): boolean {
    if (this.#closed || owner === undefined || !this.hasRoom() || this.#bans.has(stream.remote.host)) {
      stream.destroy(new TorrentError('connection_failed', 'WebRTC peer refused (closing, connection limit, banned or torrent not active)'));
      return false;
    }
    this.#track(new PeerConnection(new MeteredStream(stream), { peerId: this.peerId, owner, settings: this.peerSettings(), onClose: this.#onClose }));
    return true;
  }

  /** Closes listeners, dials, connections and transports. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#ac.abort(new TorrentError('aborted', 'session closing'));
    await this.ready.catch(() => undefined);
    await Promise.allSettled(this.#listeners.map((l) => l.listener.close()));
    const peers = [...this.#peers];
    for (const p of peers) p.close('session closing');
    await Promise.all(peers.map((p) => p.closed));
    await Promise.allSettled(this.#transports.map((t) => t.close()));
  }
}
