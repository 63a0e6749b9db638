/**
 * UDP tracker client (BEP 15 + BEP 41) over the shared UDP socket (src/net/udp-demux.ts).
 *
 * Design notes
 * - Replies are claimed by the demux only when their transaction id is one we are waiting for and
 *   their action is the expected one or `error`; everything else (wrong ids, short packets, stray
 *   traffic) is never seen here. A claimed reply from the wrong port, or too short for its action, is
 *   ignored and the request keeps waiting.
 * - Transaction ids are random 32-bit values (WebCrypto), unique among pending requests; one request
 *   keeps its id across retransmissions.
 * - Retransmission (BEP 15): attempt n waits `base × 2^n` (base 15 s), n = 0 … maxRetransmits. Connect
 *   and announce/scrape share that schedule: a timed-out connect or request moves to the next n.
 * - Connection ids are cached per host:port for 60 s (BEP 15: valid for one minute); an `error` reply
 *   drops the cached id.
 * - Peers in an announce reply are 6 bytes when the tracker answered over IPv4, 18 bytes over IPv6
 *   (BEP 15, IPv6 section), judged by the reply's source address.
 */
import { TorrentError } from '../errors.js';
import type { PeerAddress } from '../interfaces/transport.js';
import { toHex } from '../metainfo/info-hash.js';
import type { UdpDemux } from '../net/udp-demux.js';
import { parseCompactPeers } from './address.js';
import type { PeerListResult } from './address.js';
import {
  ACTION_ANNOUNCE, ACTION_CONNECT, ACTION_ERROR, ACTION_SCRAPE, MAX_SCRAPE_HASHES,
  encodeAnnounce, encodeConnect, encodeScrape, replyHeader,
} from './udp-codec.js';
import { clampInterval } from './types.js';
import type {
  AnnounceRequest, AnnounceResponse, IntervalLimits, ScrapeCounts, ScrapeResponse, TrackerCallOptions, TrackerClient,
} from './types.js';

/** Options for {@link UdpTrackerClient}. */
export interface UdpTrackerOptions extends IntervalLimits {
  /** First retransmission timeout in ms (BEP 15: 15,000); attempt n waits base × 2^n. */
  retransmitBaseMs?: number;
  /** Retransmissions after the first send (BEP 15: 8). */
  maxRetransmits?: number;
  /** How long a connection id is reused, ms (default 60,000). */
  connectionIdTtlMs?: number;
  /** Most peers kept from one reply (default 1000). */
  maxPeers?: number;
  /** Clock for the connection-id cache (default Date.now). */
  now?: () => number;
}

interface Pending {
  readonly expect: number;
  readonly port: number;
  readonly resolve: (data: Uint8Array, from: PeerAddress) => void;
  readonly reject: (err: Error) => void;
}

interface Target {
  readonly addr: PeerAddress;
  readonly key: string;
  readonly urlData: string;
}

function random32(): number {
  return globalThis.crypto.getRandomValues(new Uint32Array(1))[0] ?? 0;
}

function parseUdpUrl(url: string): Target {
  let u: URL;
  try {
    u = new URL(url);
  } catch (err) {
    throw new TorrentError('invalid_argument', `invalid tracker URL ${url}`, { cause: err });
  }
  const port = Number(u.port);
  if (u.protocol !== 'udp:' || u.hostname === '' || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new TorrentError('invalid_argument', `not a udp://host:port tracker URL: ${url}`, { details: { url } });
  }
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  return { addr: { host, port }, key: `${host}:${port}`, urlData: u.pathname + u.search };
}

function isIPv6Source(host: string): boolean {
  return host.includes(':') && !/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(host);
}

/** BEP 15 client. One per shared socket; register it once on the demux (the constructor does). */
export class UdpTrackerClient implements TrackerClient {
  private readonly pending = new Map<number, Pending>();
  private readonly connections = new Map<string, { id: bigint; expires: number }>();
  private readonly unregister: () => void;
  private readonly base: number;
  private readonly retransmits: number;
  private readonly ttl: number;
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly demux: UdpDemux, private readonly opts: UdpTrackerOptions = {}) {
    this.base = opts.retransmitBaseMs ?? 15_000;
    this.retransmits = opts.maxRetransmits ?? 8;
    this.ttl = opts.connectionIdTtlMs ?? 60_000;
    this.now = opts.now ?? Date.now;
    this.unregister = demux.register('udp-tracker', (data) => this.claims(data), {
      message: (data, from) => this.onReply(data, from),
      close: (err) => this.failAll(err ?? new TorrentError('connection_failed', 'udp socket closed')),
    });
  }

  /** Requests waiting for a reply (for tests and diagnostics). */
  get pendingCount(): number {
    return this.pending.size;
  }

  canHandle(url: string): boolean {
    return /^udp:\/\//i.test(url);
  }

  async announce(url: string, req: AnnounceRequest, call: TrackerCallOptions = {}): Promise<AnnounceResponse> {
    const t = parseUdpUrl(url);
    const { data, from } = await this.request(t, ACTION_ANNOUNCE, (conn, txid) => encodeAnnounce(conn, txid, req, t.urlData), call.signal);
    const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const list: PeerListResult = { peers: [], dropped: 0 };
    parseCompactPeers(data.subarray(20), isIPv6Source(from.host) ? 6 : 4, this.opts.maxPeers ?? 1000, list);
    return {
      interval: clampInterval(v.getUint32(8), 1800, this.opts),
      incomplete: v.getUint32(12),
      complete: v.getUint32(16),
      peers: list.peers,
      droppedPeers: list.dropped,
    };
  }

  async scrape(url: string, infoHashes: readonly Uint8Array[], call: TrackerCallOptions = {}): Promise<ScrapeResponse> {
    const t = parseUdpUrl(url);
    const hashes = infoHashes.slice(0, MAX_SCRAPE_HASHES);
    if (hashes.some((h) => h.length !== 20)) throw new TorrentError('invalid_argument', 'info-hashes must be 20 bytes');
    const { data } = await this.request(t, ACTION_SCRAPE, (conn, txid) => encodeScrape(conn, txid, hashes), call.signal);
    const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const files = new Map<string, ScrapeCounts>();
    hashes.forEach((h, i) => {
      const off = 8 + 12 * i;
      if (off + 12 > data.length) return;
      files.set(toHex(h), { complete: v.getUint32(off), downloaded: v.getUint32(off + 4), incomplete: v.getUint32(off + 8) });
    });
    return { files };
  }

  /** Unregisters from the demux and rejects pending requests with `aborted`. The socket stays open. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unregister();
    this.failAll(new TorrentError('aborted', 'udp tracker client closed'));
  }

  private claims(data: Uint8Array): boolean {
    const h = replyHeader(data);
    if (h === undefined) return false;
    const p = this.pending.get(h.txid);
    return p !== undefined && (h.action === p.expect || h.action === ACTION_ERROR);
  }

  private onReply(data: Uint8Array, from: PeerAddress): void {
    const h = replyHeader(data);
    const p = h && this.pending.get(h.txid);
    if (h === undefined || p === undefined || from.port !== p.port) return;
    if (h.action === ACTION_ERROR) {
      const msg = new TextDecoder().decode(data.subarray(8, 8 + 512));
      p.reject(new TorrentError('tracker_error', `tracker failure: ${msg}`, { details: { reason: 'failure', failureReason: msg } }));
      return;
    }
    const min = h.action === ACTION_CONNECT ? 16 : h.action === ACTION_ANNOUNCE ? 20 : 8;
    if (data.length < min) return; // short reply: ignored, keep waiting
    p.resolve(data.slice(), from);
  }

  private failAll(err: Error): void {
    for (const p of [...this.pending.values()]) p.reject(err);
  }

  /** Runs connect (when needed) and one request on the retransmission schedule. */
  private async request(
    t: Target, action: number, build: (conn: bigint, txid: number) => Uint8Array, signal?: AbortSignal,
  ): Promise<{ data: Uint8Array; from: PeerAddress }> {
    if (this.closed) throw new TorrentError('aborted', 'udp tracker client closed');
    const txid = this.newTxid();
    for (let n = 0; n <= this.retransmits; n++) {
      const wait = this.base * 2 ** n;
      let conn = this.cachedConnection(t.key);
      if (conn === undefined) {
        const ctxid = this.newTxid(txid);
        const r = await this.exchange(t, ACTION_CONNECT, ctxid, encodeConnect(ctxid), wait, signal);
        if (r === undefined) continue;
        conn = new DataView(r.data.buffer, r.data.byteOffset).getBigUint64(8);
        this.connections.set(t.key, { id: conn, expires: this.now() + this.ttl });
      }
      const r = await this.exchange(t, action, txid, build(conn, txid), wait, signal);
      if (r !== undefined) return r;
    }
    throw new TorrentError('timeout', `udp tracker ${t.key} did not answer after ${this.retransmits + 1} attempts`, {
      details: { host: t.addr.host, port: t.addr.port },
    });
  }

  private cachedConnection(key: string): bigint | undefined {
    const c = this.connections.get(key);
    if (c === undefined) return undefined;
    if (c.expires <= this.now()) {
      this.connections.delete(key);
      return undefined;
    }
    return c.id;
  }

  private newTxid(avoid?: number): number {
    for (;;) {
      const id = random32();
      if (!this.pending.has(id) && id !== avoid) return id;
    }
  }

  /** Sends one packet and waits up to `ms` for its reply; undefined on timeout. */
  private exchange(
    t: Target, expect: number, txid: number, packet: Uint8Array, ms: number, signal?: AbortSignal,
  ): Promise<{ data: Uint8Array; from: PeerAddress } | undefined> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(new TorrentError('aborted', `udp tracker request to ${t.key} aborted`));
        return;
      }
      const done = (): void => {
        clearTimeout(timer);
        this.pending.delete(txid);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        done();
        reject(new TorrentError('aborted', `udp tracker request to ${t.key} aborted`));
      };
      const timer = setTimeout(() => {
        done();
        resolve(undefined);
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(txid, {
        expect,
        port: t.addr.port,
        resolve: (data, from) => {
          done();
          resolve({ data, from });
        },
        reject: (err) => {
          done();
          if (err instanceof TorrentError && err.code === 'tracker_error') this.connections.delete(t.key);
          reject(err);
        },
      });
      this.demux.send(packet, t.addr).catch((err: unknown) => {
        if (!this.pending.has(txid)) return;
        done();
        const msg = err instanceof Error ? err.message : String(err);
        reject(new TorrentError('tracker_error', `udp tracker ${t.key}: ${msg}`, { cause: err, details: { reason: 'network' } }));
      });
    });
  }
}
