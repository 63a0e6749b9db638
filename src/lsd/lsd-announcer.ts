/**
 * BEP 14 announcer: runtime-neutral logic over a "send one datagram to the group" owner. The Node socket
 * side is transports/lsd; browsers have no multicast and do not run LSD.
 *
 * Design notes (invariants)
 * - Each torrent is announced when added (next tick) and then every `intervalMs` (5 min). Due torrents are
 *   batched: one datagram carries up to `maxInfoHashesPerDatagram` Infohash lines, once per family.
 * - Outgoing cap: at most `maxDatagramsPerMinute` datagrams in any one-minute window; what does not fit
 *   stays due for a later tick. `announceNow` refuses a torrent announced less than
 *   `minAnnounceIntervalMs` ago.
 * - Incoming: datagrams carrying our own cookie are our echoes (multicast loopback) and ignored; a source
 *   IP sending more than `maxIncomingPerIpPerMinute` datagrams in a window is ignored until the window ends
 *   (the table is bounded); only info-hashes we announce are reported, as sender IP + its `Port` header.
 */
import { decodeLsdAnnounce, encodeLsdAnnounces, LSD_DEFAULT_MAX_INFO_HASHES, lsdHostHeader, LSD_PORT } from './lsd-codec.js';

/** What the announcer needs from its runtime. */
export interface LsdAnnouncerOwner {
  /** Sends one datagram to the LSD group of `family`. */
  send(datagram: Uint8Array, family: 4 | 6): void;
  /** Milliseconds. */
  now(): number;
  /** A peer on the local network announced `infoHash` (lowercase hex) and listens on `port`. */
  onPeer(infoHash: string, peer: { host: string; port: number }): void;
}

/** Tunables (defaults in brackets). */
export interface LsdAnnouncerOptions {
  /** Our BitTorrent listen port, sent in the Port header. */
  listenPort: number;
  /** Families we announce on [[4]]. */
  families?: readonly (4 | 6)[];
  /** Re-announce period per torrent [300 000 ms]. */
  intervalMs?: number;
  /** Floor between two announces of one torrent through `announceNow` [60 000 ms]. */
  minAnnounceIntervalMs?: number;
  /** Outgoing datagram cap per minute [30]. */
  maxDatagramsPerMinute?: number;
  /** Incoming datagrams accepted per source IP per minute [20]. */
  maxIncomingPerIpPerMinute?: number;
  /** Info-hashes per datagram, sent and accepted [20]. */
  maxInfoHashesPerDatagram?: number;
  /** Our cookie [random]. */
  cookie?: string;
  /** The group port written in the Host header [6771]. */
  groupPort?: number;
}

/** Why an incoming datagram produced no peers, or the peers it produced. */
export interface LsdReceiveResult {
  /** Set when the datagram was ignored: `own_echo`, `rate_limited`, `unknown_info_hash` or a codec reason. */
  readonly ignored?: string;
  /** Peers reported to the owner. */
  readonly peers: readonly { readonly infoHash: string; readonly host: string; readonly port: number }[];
}

const HEX = /^[0-9a-f]{40}$/;
const MAX_SOURCES = 1024;
const WINDOW_MS = 60_000;

function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

function randomCookie(): string {
  const b = new Uint8Array(8);
  globalThis.crypto.getRandomValues(b);
  return toHex(b);
}

/** Announces our torrents on the local network and reports local peers. */
export class LsdAnnouncer {
  /** Our cookie (echoes carrying it are ignored). */
  readonly cookie: string;
  readonly #owner: LsdAnnouncerOwner;
  readonly #families: readonly (4 | 6)[];
  readonly #interval: number;
  readonly #minInterval: number;
  readonly #maxOut: number;
  readonly #maxIn: number;
  readonly #maxHashes: number;
  readonly #groupPort: number;
  #port: number;
  /** info-hash hex → { next announce at, last announced at } */
  readonly #torrents = new Map<string, { next: number; last: number }>();
  readonly #sent: number[] = [];
  readonly #sources = new Map<string, { start: number; count: number }>();

  constructor(owner: LsdAnnouncerOwner, options: LsdAnnouncerOptions) {
    this.#owner = owner;
    this.#port = options.listenPort;
    this.#families = options.families ?? [4];
    this.#interval = options.intervalMs ?? 300_000;
    this.#minInterval = options.minAnnounceIntervalMs ?? 60_000;
    this.#maxOut = options.maxDatagramsPerMinute ?? 30;
    this.#maxIn = options.maxIncomingPerIpPerMinute ?? 20;
    this.#maxHashes = options.maxInfoHashesPerDatagram ?? LSD_DEFAULT_MAX_INFO_HASHES;
    this.#groupPort = options.groupPort ?? LSD_PORT;
    this.cookie = options.cookie ?? randomCookie();
  }

  /** Changes the port we announce (e.g. after the listener rebinds). */
  setListenPort(port: number): void {
    this.#port = port;
  }

  /** Starts announcing a torrent (20-byte info-hash, or its 40-digit hex); announced on the next tick. */
  addTorrent(infoHash: Uint8Array | string): void {
    const ih = typeof infoHash === 'string' ? infoHash.toLowerCase() : toHex(infoHash);
    if (!HEX.test(ih)) throw new RangeError('LSD needs a 20-byte info-hash');
    if (!this.#torrents.has(ih)) this.#torrents.set(ih, { next: Number.NEGATIVE_INFINITY, last: Number.NEGATIVE_INFINITY });
  }

  /** Stops announcing a torrent and reporting its peers. */
  removeTorrent(infoHash: Uint8Array | string): void {
    this.#torrents.delete(typeof infoHash === 'string' ? infoHash.toLowerCase() : toHex(infoHash));
  }

  /** Makes a torrent due now unless it was announced within `minAnnounceIntervalMs`; true when scheduled. */
  announceNow(infoHash: Uint8Array | string): boolean {
    const t = this.#torrents.get(typeof infoHash === 'string' ? infoHash.toLowerCase() : toHex(infoHash));
    if (t === undefined || this.#owner.now() - t.last < this.#minInterval) return false;
    t.next = Number.NEGATIVE_INFINITY;
    this.tick();
    return true;
  }

  /** Sends the announces that are due (call about once a second). Returns the datagrams sent. */
  tick(): number {
    const now = this.#owner.now();
    while (this.#sent.length > 0 && now - this.#sent[0]! >= WINDOW_MS) this.#sent.shift();
    const due = [...this.#torrents].filter(([, t]) => t.next <= now).map(([ih]) => ih);
    let sent = 0;
    for (let i = 0; i < due.length; i += this.#maxHashes) {
      if (this.#sent.length + this.#families.length > this.#maxOut) break;
      const batch = due.slice(i, i + this.#maxHashes);
      for (const family of this.#families) {
        const host = lsdHostHeader(family, this.#groupPort);
        for (const d of encodeLsdAnnounces({ host, port: this.#port, infoHashes: batch, cookie: this.cookie }, this.#maxHashes)) {
          this.#owner.send(d, family);
          this.#sent.push(now);
          sent++;
        }
      }
      for (const ih of batch) {
        const t = this.#torrents.get(ih)!;
        t.last = now;
        t.next = now + this.#interval;
      }
    }
    return sent;
  }

  /** Handles a datagram received on the LSD socket from `from` (an IP literal). */
  receive(data: Uint8Array, from: { host: string }): LsdReceiveResult {
    const now = this.#owner.now();
    let src = this.#sources.get(from.host);
    if (src === undefined || now - src.start >= WINDOW_MS) {
      if (src === undefined && this.#sources.size >= MAX_SOURCES) this.#pruneSources(now);
      src = { start: now, count: 0 };
      this.#sources.set(from.host, src);
    }
    if (++src.count > this.#maxIn) return { ignored: 'rate_limited', peers: [] };
    const r = decodeLsdAnnounce(data, this.#maxHashes);
    if (!r.ok) return { ignored: r.reason, peers: [] };
    if (r.announce.cookie !== undefined && r.announce.cookie === this.cookie) return { ignored: 'own_echo', peers: [] };
    const peers: { infoHash: string; host: string; port: number }[] = [];
    for (const ih of r.announce.infoHashes) {
      if (!this.#torrents.has(ih)) continue;
      const peer = { host: from.host, port: r.announce.port };
      peers.push({ infoHash: ih, ...peer });
      this.#owner.onPeer(ih, peer);
    }
    return peers.length === 0 ? { ignored: 'unknown_info_hash', peers } : { peers };
  }

  #pruneSources(now: number): void {
    for (const [k, v] of this.#sources) if (now - v.start >= WINDOW_MS) this.#sources.delete(k);
    // still full: forget the oldest half (insertion order) rather than grow
    if (this.#sources.size >= MAX_SOURCES) {
      let n = this.#sources.size / 2;
      for (const k of this.#sources.keys()) {
        if (n-- <= 0) break;
        this.#sources.delete(k);
      }
    }
  }
}
