/**
 * BEP 11 peer exchange for one peer connection. Pure logic: the torrent calls {@link PexTracker.poll} with
 * its connected peer set (about once a second is fine) and sends what it returns; it hands incoming
 * payloads to {@link PexTracker.receive} and adds the returned peers to its peer list.
 *
 * Design notes (invariants)
 * - Outgoing: at most one message per `intervalMs` (60 s, BEP 11); each carries at most 50 added and 50
 *   dropped peers. `#told` is what the remote has heard from us: added = connected − told, dropped =
 *   told − connected; what does not fit waits for the next message. The remote itself is never listed.
 *   Nothing is sent when nothing changed.
 * - Incoming (HOSTILE-INPUTS 23): a message arriving less than `minIncomingIntervalMs` after the previous
 *   accepted one is ignored whole (default 45 s: the 60 s rule with slack for timer drift). Entries beyond
 *   50 per list are cut by the codec. Entries that are 0.0.0.0/8, ::, multicast, broadcast, port 0, the
 *   sending peer's own address or one of our own addresses are filtered; duplicates collapse. Bytes that
 *   are not a bencoded dict drop the peer.
 */
import { decodePexMessage, encodePexMessage, PEX_MAX_PEERS } from './ut-pex-codec.js';
import type { PexPeer } from './ut-pex-codec.js';
import { canonicalIP, isUnusablePeerAddress } from '../../net/ip.js';
import type { MessageVerdict } from './ut-metadata-codec.js';

/** Tunables and context (defaults in brackets). */
export interface PexTrackerOptions {
  /** Milliseconds clock. */
  now(): number;
  /** The remote peer's address (it is never sent to it, and never learned from it). */
  remote?: { host: string; port: number };
  /** True for addresses that are ours (listen address as seen by others, local interfaces). */
  isSelf?(host: string, port: number): boolean;
  /** Minimum time between our messages [60 000 ms]. */
  intervalMs?: number;
  /** Incoming messages closer together than this are ignored [45 000 ms]. */
  minIncomingIntervalMs?: number;
  /** Most added (and most dropped) peers per message, both ways [50]. */
  maxPeersPerMessage?: number;
}

/** What {@link PexTracker.receive} learned. */
export interface PexReceiveResult {
  /** What to do with the message / peer. */
  readonly verdict: MessageVerdict;
  /** Usable new peers (filtered, deduplicated). */
  readonly added: readonly PexPeer[];
  /** Peers the remote disconnected from (filtered). */
  readonly dropped: readonly { readonly host: string; readonly port: number }[];
  /** Entries removed by the filters (bad address, ourselves, the sender, duplicates). */
  readonly filtered: number;
  /** True when a list held more than the per-message cap (the excess was cut unread). */
  readonly truncated: boolean;
}

function keyOf(host: string, port: number): string | undefined {
  const ip = canonicalIP(host, { unmapIPv4: true });
  return ip === undefined ? undefined : `${ip.includes(':') ? `[${ip}]` : ip}:${port}`;
}

/** PEX state for one connection. */
export class PexTracker {
  readonly #opts: PexTrackerOptions;
  readonly #interval: number;
  readonly #minIn: number;
  readonly #max: number;
  readonly #remoteKey: string | undefined;
  readonly #told = new Map<string, PexPeer>();
  #lastSent = Number.NEGATIVE_INFINITY;
  #lastReceived = Number.NEGATIVE_INFINITY;

  constructor(options: PexTrackerOptions) {
    this.#opts = options;
    this.#interval = options.intervalMs ?? 60_000;
    this.#minIn = options.minIncomingIntervalMs ?? 45_000;
    this.#max = Math.min(options.maxPeersPerMessage ?? PEX_MAX_PEERS, PEX_MAX_PEERS);
    this.#remoteKey = options.remote ? keyOf(options.remote.host, options.remote.port) : undefined;
  }

  /**
   * Returns the payload to send now, or undefined when it is too early or nothing changed. `connected` is
   * our current set of connected peers (flags as we know them); the remote itself and unusable addresses are
   * skipped.
   */
  poll(connected: Iterable<PexPeer>): Uint8Array | undefined {
    const now = this.#opts.now();
    if (now - this.#lastSent < this.#interval) return undefined;
    const current = new Map<string, PexPeer>();
    for (const p of connected) {
      if (isUnusablePeerAddress(p.host, p.port)) continue;
      const k = keyOf(p.host, p.port);
      if (k === undefined || k === this.#remoteKey) continue;
      current.set(k, p);
    }
    const added: PexPeer[] = [];
    for (const [k, p] of current) {
      if (added.length >= this.#max) break;
      if (!this.#told.has(k)) added.push(p);
    }
    const dropped: { host: string; port: number }[] = [];
    const droppedKeys: string[] = [];
    for (const [k, p] of this.#told) {
      if (dropped.length >= this.#max) break;
      if (!current.has(k)) {
        dropped.push({ host: p.host, port: p.port });
        droppedKeys.push(k);
      }
    }
    if (added.length === 0 && dropped.length === 0) return undefined;
    for (const p of added) this.#told.set(keyOf(p.host, p.port)!, p);
    for (const k of droppedKeys) this.#told.delete(k);
    this.#lastSent = now;
    return encodePexMessage({ added, dropped });
  }

  /** Handles an incoming ut_pex payload. */
  receive(payload: Uint8Array): PexReceiveResult {
    const now = this.#opts.now();
    if (now - this.#lastReceived < this.#minIn) {
      return { verdict: { action: 'ignore', reason: 'too_frequent' }, added: [], dropped: [], filtered: 0, truncated: false };
    }
    const r = decodePexMessage(payload, this.#max);
    if (!r.ok) return { verdict: { action: 'drop', reason: r.reason }, added: [], dropped: [], filtered: 0, truncated: false };
    this.#lastReceived = now;
    let filtered = 0;
    const seen = new Set<string>();
    const usable = (host: string, port: number): boolean => {
      const k = keyOf(host, port);
      const ok = k !== undefined && !seen.has(k) && k !== this.#remoteKey && !isUnusablePeerAddress(host, port)
        && !(this.#opts.isSelf?.(host, port) ?? false);
      if (ok) seen.add(k);
      else filtered++;
      return ok;
    };
    const added = r.message.added.filter((p) => usable(p.host, p.port));
    seen.clear();
    const dropped = r.message.dropped.filter((p) => usable(p.host, p.port));
    return { verdict: { action: 'accept' }, added, dropped, filtered, truncated: r.truncated };
  }
}
