/**
 * A torrent's BEP 10 extensions on its peer connections: ut_metadata (BEP 9) both ways and ut_pex (BEP 11).
 * One instance per torrent; it outlives swarms (the metadata phase's and the download swarm) so the
 * metadata server keeps its per-peer buckets keyed by connection.
 *
 * - ut_metadata: we advertise it always; `metadata_size` once we have the info dict (MetadataServer serves
 *   it, with its rate limit). While fetching (magnet), a MetadataFetcher learns every peer whose extension
 *   handshake lists ut_metadata and asks it for pieces; a peer proven to send bad metadata is closed.
 * - ut_pex: advertised unless the torrent is private (BEP 27). One PexTracker per connection, polled on the
 *   swarm's tick (it rate-limits itself to `intervalMs`); peers learned join the peer list (source pex).
 *   The connected set we tell others holds each peer's listen address: the dialled address for outgoing
 *   connections, the extension handshake's `p` for incoming ones (skipped when unknown).
 * - Verdicts: a payload the codecs call `drop` closes that peer with kind `protocol`.
 * - BEP 52 hash messages (ids 21–23, not BEP 10 but routed here by the metadata swarm because this object
 *   sees every connection of both swarms): a {@link HashMessageHandler} — the piece-layer fetcher of a v2
 *   magnet (piece-layers.ts) — learns connections and receives them while it is set.
 */
import type { PeerAddress } from '../../interfaces/transport.js';
import type { PeerConnection } from '../../peer/index.js';
import type { DecodedExtensionHandshake } from '../../wire/extensions/extension-handshake.js';
import { UT_METADATA } from '../../wire/extensions/ut-metadata-codec.js';
import type { MessageVerdict } from '../../wire/extensions/ut-metadata-codec.js';
import { MetadataServer } from '../../wire/extensions/ut-metadata-server.js';
import type { MetadataFetcher } from '../../wire/extensions/ut-metadata-fetcher.js';
import { PexTracker } from '../../wire/extensions/ut-pex.js';
import { PexFlags, UT_PEX } from '../../wire/extensions/ut-pex-codec.js';
import type { PexPeer } from '../../wire/extensions/ut-pex-codec.js';

/** The ids we want to receive each extension on. */
export const EXTENSION_IDS = { ut_pex: 1, ut_metadata: 3 } as const;

/** What the extensions need from their torrent. */
export interface PeerExtensionsHost {
  /** True for private torrents: no PEX (BEP 27). */
  isPrivate(): boolean;
  /** PEX message interval, ms (60 s by BEP 11; shorter in tests). */
  pexIntervalMs(): number;
  /** Most peers per PEX message (maxPexPeers). */
  maxPexPeers(): number;
  /** A peer learned from PEX. */
  addPeer(addr: PeerAddress, source: 'pex'): void;
  /** Whether host:port is us (never learned). */
  isSelf(host: string, port: number): boolean;
}

/** Receives BEP 52 hash messages and learns connections while set (see the module notes). */
export interface HashMessageHandler {
  connected(conn: PeerConnection): void;
  closed(conn: PeerConnection): void;
  message(conn: PeerConnection, id: number, payload: Uint8Array): void;
  /** About once a second. */
  tick(): void;
}

interface ConnState {
  readonly key: string;
  pex: PexTracker | undefined;
}

/** Per-torrent extension state (see the module notes). */
export class PeerExtensions {
  readonly #host: PeerExtensionsHost;
  readonly #server: MetadataServer;
  readonly #conns = new Map<PeerConnection, ConnState>();
  readonly #byKey = new Map<string, PeerConnection>();
  #fetcher: MetadataFetcher | undefined;
  #hashes: HashMessageHandler | undefined;
  #next = 0;

  constructor(host: PeerExtensionsHost, info: Uint8Array | undefined, maxMetadataSize: number) {
    this.#host = host;
    this.#server = new MetadataServer({ send: (k, p) => this.#send(k, UT_METADATA, p), now: () => performance.now() }, {
      ...(info ? { info } : {}),
      maxMetadataSize,
    });
  }

  /** The fetcher of the metadata phase (set by the magnet swarm, cleared when done). */
  setFetcher(f: MetadataFetcher | undefined): void {
    this.#fetcher = f;
    if (!f) return;
    for (const [conn, st] of this.#conns) {
      if (conn.supportsExtension(UT_METADATA)) f.addPeer(st.key, conn.extensionHandshake?.metadataSize);
    }
  }

  /** The hash message handler (set while a v2 magnet fetches its piece layers); learns current connections. */
  setHashHandler(h: HashMessageHandler | undefined): void {
    this.#hashes = h;
    if (h) for (const conn of this.#conns.keys()) h.connected(conn);
  }

  /** A BEP 52 hash message (id 21–23) from a connection of a swarm. */
  hashMessage(conn: PeerConnection, id: number, payload: Uint8Array): void {
    if (this.#conns.has(conn)) this.#hashes?.message(conn, id, payload);
  }

  /** Our info dict arrived (or was known from the start): serve it, advertise its size. */
  setInfo(info: Uint8Array): void {
    this.#server.setInfo(info);
  }

  /** Sends `payload` on extension `name` to the peer with `key`. */
  send(key: string, name: string, payload: Uint8Array): void {
    this.#send(key, name, payload);
  }

  #send(key: string, name: string, payload: Uint8Array): void {
    this.#byKey.get(key)?.sendExtended(name, payload);
  }

  /** Peer key of a connection (stable for its lifetime). */
  keyOf(conn: PeerConnection): string | undefined {
    return this.#conns.get(conn)?.key;
  }

  /** The connection with peer key `key`. */
  connOf(key: string): PeerConnection | undefined {
    return this.#byKey.get(key);
  }

  /** Names → ids for our extension handshake. */
  extensions(): ReadonlyMap<string, number> {
    const m = new Map<string, number>([[UT_METADATA, EXTENSION_IDS.ut_metadata]]);
    if (!this.#host.isPrivate()) m.set(UT_PEX, EXTENSION_IDS.ut_pex);
    return m;
  }

  metadataSize(): number | undefined {
    return this.#server.metadataSize;
  }

  /** A connection was accepted by a swarm. */
  connected(conn: PeerConnection): void {
    if (this.#conns.has(conn)) return;
    const key = `p${this.#next++}`;
    this.#conns.set(conn, { key, pex: undefined });
    this.#byKey.set(key, conn);
    this.#hashes?.connected(conn);
  }

  /** The remote's extension handshake (first or update). */
  handshake(conn: PeerConnection, hs: DecodedExtensionHandshake): void {
    const st = this.#conns.get(conn);
    if (!st) return;
    if (hs.m.get(UT_METADATA)) this.#fetcher?.addPeer(st.key, hs.metadataSize);
    if (!this.#host.isPrivate() && hs.m.get(UT_PEX) && !st.pex) {
      const listen = listenAddress(conn);
      st.pex = new PexTracker({
        now: () => performance.now(),
        ...(listen ? { remote: listen } : {}),
        isSelf: (h, p) => this.#host.isSelf(h, p),
        intervalMs: this.#host.pexIntervalMs(),
        minIncomingIntervalMs: Math.min(45_000, Math.floor(this.#host.pexIntervalMs() * 0.75)),
        maxPeersPerMessage: this.#host.maxPexPeers(),
      });
    }
  }

  /** An extended message for one of our extensions. */
  message(conn: PeerConnection, name: string, payload: Uint8Array): void {
    const st = this.#conns.get(conn);
    if (!st) return;
    let verdict: MessageVerdict = { action: 'accept' };
    if (name === UT_METADATA) {
      verdict = this.#server.onMessage(st.key, payload);
      if (verdict.action === 'ignore' && verdict.reason === 'not_a_request' && this.#fetcher) verdict = this.#fetcher.onMessage(st.key, payload);
    } else if (name === UT_PEX && st.pex) {
      const r = st.pex.receive(payload);
      verdict = r.verdict;
      for (const p of r.added) this.#host.addPeer({ host: p.host, port: p.port }, 'pex');
    }
    if (verdict.action === 'drop') conn.close(`${name}: ${verdict.reason}`, 'protocol');
  }

  /** A connection closed. */
  closed(conn: PeerConnection): void {
    const st = this.#conns.get(conn);
    if (!st) return;
    this.#conns.delete(conn);
    this.#byKey.delete(st.key);
    this.#server.removePeer(st.key);
    this.#fetcher?.removePeer(st.key);
    this.#hashes?.closed(conn);
  }

  /** Periodic work: PEX messages to peers that are due. `connected` is the swarm's peer set. */
  tick(connected: Iterable<PeerConnection>): void {
    this.#fetcher?.tick();
    this.#hashes?.tick();
    if (this.#host.isPrivate()) return;
    const set: PexPeer[] = [];
    for (const c of connected) {
      const a = listenAddress(c);
      if (!a) continue;
      const flags = (c.isSeed ? PexFlags.seed : 0) | (c.direction === 'out' ? PexFlags.reachable : 0);
      set.push({ host: a.host, port: a.port, flags });
    }
    for (const [conn, st] of this.#conns) {
      if (!st.pex) continue;
      const msg = st.pex.poll(set);
      if (msg) conn.sendExtended(UT_PEX, msg);
    }
  }
}

/** Where a connected peer accepts connections: the dialled address, else its handshake's `p`. */
export function listenAddress(conn: PeerConnection): PeerAddress | undefined {
  if (conn.direction === 'out') return { host: conn.remote.host, port: conn.remote.port };
  const p = conn.extensionHandshake?.p;
  return p ? { host: conn.remote.host, port: p } : undefined;
}
