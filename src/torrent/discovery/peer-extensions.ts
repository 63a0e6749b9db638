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
 * - The PEX code (./pex.ts: the tracker and its codec, wire/extensions/ut-pex*.ts) loads on first use, as a
 *   page whose peers are all WebRTC (no IP addresses) has nothing to exchange: when a ut_pex peer whose
 *   address is an IP literal completes its extension handshake, when a ut_pex message arrives, or when a
 *   tick has an IP-addressed peer to tell about. Until then a ut_pex peer's tracker options wait (taken at
 *   its handshake, as before) and its messages queue (a few); once loaded, every waiting tracker is made,
 *   fed its queue, and polled if a tick was waiting. A tracker made later behaves as one made at the
 *   handshake: until its first message, or a poll with a usable address, it holds no state. Once the code is
 *   in, trackers are made at the handshake, synchronously. A failed load posts `session_error`
 *   (`not_supported`); the next handshake or message tries again.
 * - The ut_metadata server (wire/extensions/ut-metadata-server.ts with the BEP 9 codec, in the magnet phase's
 *   chunk: magnet-phase.ts) loads on first use too, as a download from a .torrent serves metadata only to
 *   peers that came by magnet: with the first ut_metadata message, or when a magnet's fetcher is set (the
 *   replies to its requests pass the server first). Until then `metadata_size` is answered from the info
 *   bytes held here, and ut_metadata messages queue per peer (copies, at most
 *   {@link MAX_QUEUED_METADATA_BYTES} bytes: past that the peer is closed as a flood); once loaded, each is
 *   handled in order as it would have been at once (answered, rejected, handed to the fetcher, or its peer
 *   dropped). A failed load posts `session_error` and closes the peers whose messages waited (they asked
 *   what we cannot answer); the next message tries again.
 * - Verdicts: a payload the codecs call `drop` closes that peer with kind `protocol`.
 * - BEP 52 hash messages (ids 21–23, not BEP 10 but routed here by the metadata swarm because this object
 *   sees every connection of both swarms): a {@link HashMessageHandler} — the piece-layer fetcher of a v2
 *   magnet (piece-layers.ts) — learns connections and receives them while it is set.
 */
import type { PeerAddress } from '../../interfaces/transport.js';
import type { PeerConnection } from '../../peer/index.js';
import type { DecodedExtensionHandshake } from '../../wire/extensions/extension-handshake.js';
import type { MessageVerdict } from '../../wire/extensions/ut-metadata-codec.js';
import type { MetadataServer } from '../../wire/extensions/ut-metadata-server.js';
import type { MetadataFetcher } from '../../wire/extensions/ut-metadata-fetcher.js';
import type { PexTracker, PexTrackerOptions } from '../../wire/extensions/ut-pex.js';
import type { PexPeer } from '../../wire/extensions/ut-pex-codec.js';
import { isUnusablePeerAddress, parseIP } from '../../net/ip.js';
import { lazy } from '../../lazy.js';

/** The ids we want to receive each extension on. */
export const EXTENSION_IDS = { ut_pex: 1, ut_metadata: 3 } as const;

/** BEP 11's name in the `m` dict (UT_PEX of ut-pex-codec.ts, spelled here so the codec loads with PexTracker). */
const UT_PEX = 'ut_pex' satisfies keyof typeof EXTENSION_IDS;
/** BEP 9's name (UT_METADATA of ut-metadata-codec.ts, spelled here so the codec loads with the server). */
const UT_METADATA = 'ut_metadata' satisfies keyof typeof EXTENSION_IDS;
/** Most ut_metadata bytes kept per peer while the server loads (a request is under 60 bytes, a block 16 KiB). */
export const MAX_QUEUED_METADATA_BYTES = 64 * 1024;
/** Most ut_pex messages kept per peer while the PEX code loads (the tracker ignores all but one per 45 s). */
const MAX_QUEUED_PEX = 4;

const loadPex = lazy(() => import('./pex.js'));

/** The ut_metadata server, in the magnet phase's chunk (see magnet-phase.ts). */
const loadMetadataServer = lazy(() => import('./magnet-phase.js'));

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
  /** The PEX code could not be loaded (a chunk that cannot be fetched): post it as an alert. */
  loadFailed(message: string): void;
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
  /** Options of the tracker to make once the PEX code is loaded (a ut_pex peer, module not loaded yet). */
  pexWaiting: PexTrackerOptions | undefined;
  /** ut_pex payloads received while waiting. */
  pexQueue: Uint8Array[] | undefined;
  /** ut_metadata payloads received while the server loads, and their bytes. */
  metaQueue: Uint8Array[] | undefined;
  metaQueued: number;
}

/** Per-torrent extension state (see the module notes). */
export class PeerExtensions {
  readonly #host: PeerExtensionsHost;
  /** The ut_metadata server, once its code is loaded (see the module notes). */
  #server: MetadataServer | undefined;
  #info: Uint8Array | undefined;
  readonly #maxMetadataSize: number;
  #metaLoading = false;
  readonly #conns = new Map<PeerConnection, ConnState>();
  readonly #byKey = new Map<string, PeerConnection>();
  #fetcher: MetadataFetcher | undefined;
  #hashes: HashMessageHandler | undefined;
  #next = 0;
  /** The PEX code is being loaded by this object. */
  #pexLoading = false;
  /** A tick found trackers waiting and a peer to tell about: its connections, polled once the code loads. */
  #pexTick: PeerConnection[] | undefined;
  /** The last load failed: ticks stop retrying (handshakes and messages still do). */
  #pexFailed = false;

  constructor(host: PeerExtensionsHost, info: Uint8Array | undefined, maxMetadataSize: number) {
    this.#host = host;
    this.#info = info;
    this.#maxMetadataSize = maxMetadataSize;
    if (loadMetadataServer.loaded) this.#makeServer(loadMetadataServer.loaded);
  }

  #makeServer(code: NonNullable<typeof loadMetadataServer.loaded>): MetadataServer {
    const info = this.#info;
    return (this.#server = new code.MetadataServer({ send: (k, p) => this.#send(k, UT_METADATA, p), now: () => performance.now() }, {
      ...(info ? { info } : {}),
      maxMetadataSize: this.#maxMetadataSize,
    }));
  }

  /** Starts loading the ut_metadata server (once at a time); when it is in, handles what waited. */
  #loadServer(): void {
    if (this.#server || this.#metaLoading) return;
    this.#metaLoading = true;
    loadMetadataServer().then(
      (m) => {
        this.#metaLoading = false;
        if (this.#server) return;
        this.#makeServer(m);
        for (const [conn, st] of this.#conns) {
          const queued = st.metaQueue ?? [];
          st.metaQueue = undefined;
          for (const payload of queued) if (this.#conns.get(conn) === st) this.message(conn, UT_METADATA, payload);
        }
      },
      (err: unknown) => {
        this.#metaLoading = false;
        const message = `the ut_metadata server could not be loaded: ${String(err)}`;
        let waited = false;
        for (const [conn, st] of this.#conns) {
          if (!st.metaQueue) continue;
          st.metaQueue = undefined;
          waited = true;
          conn.close(message, 'local');
        }
        if (waited) this.#host.loadFailed(message);
      },
    );
  }

  /** The fetcher of the metadata phase (set by the magnet swarm, cleared when done). */
  setFetcher(f: MetadataFetcher | undefined): void {
    this.#fetcher = f;
    if (!f) return;
    this.#loadServer();
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
    this.#info = info;
    this.#server?.setInfo(info);
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
    return this.#info?.length;
  }

  /** A connection was accepted by a swarm. */
  connected(conn: PeerConnection): void {
    if (this.#conns.has(conn)) return;
    const key = `p${this.#next++}`;
    this.#conns.set(conn, { key, pex: undefined, pexWaiting: undefined, pexQueue: undefined, metaQueue: undefined, metaQueued: 0 });
    this.#byKey.set(key, conn);
    this.#hashes?.connected(conn);
  }

  /** The remote's extension handshake (first or update). */
  handshake(conn: PeerConnection, hs: DecodedExtensionHandshake): void {
    const st = this.#conns.get(conn);
    if (!st) return;
    if (hs.m.get(UT_METADATA)) this.#fetcher?.addPeer(st.key, hs.metadataSize);
    if (!this.#host.isPrivate() && hs.m.get(UT_PEX) && !st.pex && !st.pexWaiting) {
      const listen = listenAddress(conn);
      const opts: PexTrackerOptions = {
        now: () => performance.now(),
        ...(listen ? { remote: listen } : {}),
        isSelf: (h, p) => this.#host.isSelf(h, p),
        intervalMs: this.#host.pexIntervalMs(),
        minIncomingIntervalMs: Math.min(45_000, Math.floor(this.#host.pexIntervalMs() * 0.75)),
        maxPeersPerMessage: this.#host.maxPexPeers(),
      };
      const pexCode = loadPex.loaded;
      if (pexCode) {
        st.pex = new pexCode.PexTracker(opts);
      } else {
        st.pexWaiting = opts;
        if (parseIP(conn.remote.host) !== undefined) this.#loadPex();
      }
    }
  }

  /** Starts loading the PEX code (once at a time); when it is in, makes the waiting trackers. */
  #loadPex(): void {
    if (this.#pexLoading) return;
    this.#pexLoading = true;
    loadPex().then(
      () => {
        this.#pexLoading = false;
        this.#pexFailed = false;
        this.#pexLoaded();
      },
      (err: unknown) => {
        this.#pexLoading = false;
        this.#pexFailed = true;
        this.#pexTick = undefined;
        for (const st of this.#conns.values()) st.pexQueue = undefined;
        this.#host.loadFailed(`the ut_pex code could not be loaded: ${err instanceof Error ? err.message : String(err)}`);
      },
    );
  }

  /** Makes every waiting tracker, feeds it what was queued, and runs the PEX part of a waiting tick. */
  #pexLoaded(): void {
    const pexCode = loadPex.loaded;
    const made = new Set<PeerConnection>();
    for (const [conn, st] of this.#conns) {
      const opts = st.pexWaiting;
      if (!opts || !pexCode) continue;
      st.pexWaiting = undefined;
      st.pex = new pexCode.PexTracker(opts);
      made.add(conn);
      const queued = st.pexQueue ?? [];
      st.pexQueue = undefined;
      for (const payload of queued) {
        if (this.#conns.get(conn) === st) this.message(conn, UT_PEX, payload);
      }
    }
    const tick = this.#pexTick;
    this.#pexTick = undefined;
    if (tick && made.size > 0 && !this.#host.isPrivate()) this.#pollPex(tick, made);
  }

  /** An extended message for one of our extensions. */
  message(conn: PeerConnection, name: string, payload: Uint8Array): void {
    const st = this.#conns.get(conn);
    if (!st) return;
    let verdict: MessageVerdict = { action: 'accept' };
    if (name === UT_METADATA && this.#server) {
      verdict = this.#server.onMessage(st.key, payload);
      if (verdict.action === 'ignore' && verdict.reason === 'not_a_request' && this.#fetcher) verdict = this.#fetcher.onMessage(st.key, payload);
    } else if (name === UT_METADATA) {
      st.metaQueue ??= [];
      st.metaQueued = st.metaQueue.length === 0 ? payload.length : st.metaQueued + payload.length;
      if (st.metaQueued > MAX_QUEUED_METADATA_BYTES) {
        st.metaQueue = undefined;
        verdict = { action: 'drop', reason: 'request_flood' };
      } else {
        st.metaQueue.push(payload.slice()); // a view valid during this call only
        this.#loadServer();
      }
    } else if (name === UT_PEX && st.pex) {
      const r = st.pex.receive(payload);
      verdict = r.verdict;
      for (const p of r.added) this.#host.addPeer({ host: p.host, port: p.port }, 'pex');
    } else if (name === UT_PEX && st.pexWaiting) {
      st.pexQueue ??= [];
      if (st.pexQueue.length < MAX_QUEUED_PEX) st.pexQueue.push(payload.slice()); // a view valid during this call only
      this.#loadPex();
    }
    if (verdict.action === 'drop') conn.close(`${name}: ${verdict.reason}`, 'protocol');
  }

  /** A connection closed. */
  closed(conn: PeerConnection): void {
    const st = this.#conns.get(conn);
    if (!st) return;
    this.#conns.delete(conn);
    this.#byKey.delete(st.key);
    this.#server?.removePeer(st.key);
    this.#fetcher?.removePeer(st.key);
    this.#hashes?.closed(conn);
  }

  /** Periodic work: PEX messages to peers that are due. `connected` is the swarm's peer set. */
  tick(connected: Iterable<PeerConnection>): void {
    this.#fetcher?.tick();
    this.#hashes?.tick();
    if (this.#host.isPrivate()) return;
    if (loadPex.loaded) {
      this.#pollPex(connected);
      return;
    }
    // Not loaded: a waiting tracker would send only if some peer has a usable address (else poll is a no-op).
    if (this.#pexFailed) return;
    let waiting = false;
    for (const st of this.#conns.values()) waiting ||= st.pexWaiting !== undefined;
    if (!waiting) return;
    const conns = [...connected];
    if (!conns.some((c) => {
      const a = listenAddress(c);
      return a !== undefined && !isUnusablePeerAddress(a.host, a.port);
    })) return;
    this.#pexTick = conns;
    this.#loadPex();
  }

  /** Polls the trackers (of `only`, else all) with the connected set and sends what is due. */
  #pollPex(connected: Iterable<PeerConnection>, only?: ReadonlySet<PeerConnection>): void {
    const flagBits = loadPex.loaded?.PexFlags;
    if (!flagBits) return;
    const set: PexPeer[] = [];
    for (const c of connected) {
      const a = listenAddress(c);
      if (!a) continue;
      const flags = (c.isSeed ? flagBits.seed : 0) | (c.direction === 'out' ? flagBits.reachable : 0);
      set.push({ host: a.host, port: a.port, flags });
    }
    for (const [conn, st] of this.#conns) {
      if (!st.pex || (only && !only.has(conn))) continue;
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
