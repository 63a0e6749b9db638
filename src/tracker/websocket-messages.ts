/**
 * WebTorrent's WebSocket tracker protocol: JSON text frames. Ids (`info_hash`, `peer_id`, `offer_id`,
 * `to_peer_id`) travel as 20-character "binary strings" (one char per byte, 0..255). Shared by our client
 * (src/tracker/websocket.ts) and our server (tracker-server/).
 *
 * Client → tracker:
 *   { action: 'announce', info_hash, peer_id, numwant, uploaded, downloaded, left, event?, trackerid?,
 *     offers?: [{ offer: { type: 'offer', sdp }, offer_id }] }
 *   { action: 'announce', info_hash, peer_id, to_peer_id, offer_id, answer: { type: 'answer', sdp } }
 *   { action: 'scrape', info_hash: string | string[] }
 * Tracker → client:
 *   { action: 'announce', info_hash, interval, 'min interval'?, complete, incomplete, 'tracker id'?, 'warning message'? }
 *   { action: 'announce', info_hash, peer_id, offer_id, offer }       (a relayed offer)
 *   { action: 'announce', info_hash, peer_id, offer_id, answer }      (a relayed answer)
 *   { action: 'scrape', files: { [info_hash]: { complete, incomplete, downloaded } } }
 *   { 'failure reason', action?, info_hash? }
 *
 * Every parser here checks sizes before work and returns `undefined` for anything malformed.
 */
import { TorrentError } from '../errors.js';

/** A session description as exchanged through the tracker. */
export interface WsDescription {
  readonly type: 'offer' | 'answer';
  readonly sdp: string;
}

/** Byte → binary-string conversion (one char per byte). */
export function toBinaryString(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i] as number);
  return s;
}

/** Binary string → bytes; throws `invalid_argument` on chars over 0xff. */
export function fromBinaryString(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new TorrentError('invalid_argument', 'not a binary string');
    out[i] = c;
  }
  return out;
}

/** True for a 20-char binary string. */
export function isBinaryId(v: unknown): v is string {
  if (typeof v !== 'string' || v.length !== 20) return false;
  for (let i = 0; i < 20; i++) if (v.charCodeAt(i) > 0xff) return false;
  return true;
}

/** Lowercase hex of a binary string id. */
export function binaryIdToHex(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += s.charCodeAt(i).toString(16).padStart(2, '0');
  return out;
}

/** A session description of `type` whose SDP is at most `maxSdp` chars, else undefined. */
export function parseDescription(v: unknown, type: 'offer' | 'answer', maxSdp: number): WsDescription | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const { type: t, sdp } = v as { type?: unknown; sdp?: unknown };
  if (t !== type || typeof sdp !== 'string' || sdp.length === 0 || sdp.length > maxSdp) return undefined;
  return { type, sdp };
}

/** Parses one JSON frame into a plain object, or undefined (too long, not JSON, not an object). */
export function parseFrame(text: unknown, maxBytes: number): Record<string, unknown> | undefined {
  if (typeof text !== 'string' || text.length > maxBytes) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);
const str = (v: unknown, max = 1024): string | undefined => (typeof v === 'string' ? v.slice(0, max) : undefined);

/** What a tracker → client frame carries, validated. */
export type WsServerMessage =
  | { kind: 'failure'; infoHash?: string; reason: string }
  | {
      kind: 'announce';
      infoHash: string;
      interval?: number;
      minInterval?: number;
      complete?: number;
      incomplete?: number;
      trackerId?: string;
      warning?: string;
      /** A relayed offer (validated), when present. */
      offer?: { peerId: string; offerId: string; offer: WsDescription };
      /** A relayed answer (validated), when present. */
      answer?: { peerId: string; offerId: string; answer: WsDescription };
    }
  | { kind: 'scrape'; files: Map<string, { complete: number; incomplete: number; downloaded: number }> };

/** Validates a tracker → client frame; returns undefined for anything unusable. */
export function parseServerMessage(text: unknown, limits: { maxFrameBytes: number; maxSdpBytes: number; maxScrapeFiles?: number }): WsServerMessage | undefined {
  const m = parseFrame(text, limits.maxFrameBytes);
  if (m === undefined) return undefined;
  const failure = str(m['failure reason']);
  if (failure !== undefined) return { kind: 'failure', reason: failure, ...(isBinaryId(m.info_hash) ? { infoHash: m.info_hash } : {}) };
  if (m.action === 'scrape') {
    const files = new Map<string, { complete: number; incomplete: number; downloaded: number }>();
    const f = m.files;
    if (typeof f !== 'object' || f === null) return undefined;
    for (const [k, v] of Object.entries(f as Record<string, unknown>)) {
      if (files.size >= (limits.maxScrapeFiles ?? 100)) break;
      if (!isBinaryId(k) || typeof v !== 'object' || v === null) continue;
      const c = v as Record<string, unknown>;
      files.set(k, { complete: num(c.complete) ?? 0, incomplete: num(c.incomplete) ?? 0, downloaded: num(c.downloaded) ?? 0 });
    }
    return { kind: 'scrape', files };
  }
  if (m.action !== 'announce' || !isBinaryId(m.info_hash)) return undefined;
  const out: WsServerMessage & { kind: 'announce' } = { kind: 'announce', infoHash: m.info_hash };
  const set = <K extends keyof typeof out>(k: K, v: (typeof out)[K] | undefined): void => {
    if (v !== undefined) out[k] = v;
  };
  set('interval', num(m.interval));
  set('minInterval', num(m['min interval']));
  set('complete', num(m.complete));
  set('incomplete', num(m.incomplete));
  set('trackerId', str(m['tracker id'], 128));
  set('warning', str(m['warning message']));
  if (isBinaryId(m.peer_id) && isBinaryId(m.offer_id)) {
    const offer = m.offer === undefined ? undefined : parseDescription(m.offer, 'offer', limits.maxSdpBytes);
    const answer = m.answer === undefined ? undefined : parseDescription(m.answer, 'answer', limits.maxSdpBytes);
    if (offer !== undefined) out.offer = { peerId: m.peer_id, offerId: m.offer_id, offer };
    if (answer !== undefined) out.answer = { peerId: m.peer_id, offerId: m.offer_id, answer };
  }
  return out;
}

/** Fields of a client announce frame. */
export interface WsAnnounceFields {
  infoHash: string;
  peerId: string;
  numwant?: number;
  uploaded?: number;
  downloaded?: number;
  left?: number;
  event?: 'started' | 'completed' | 'stopped';
  trackerId?: string;
  offers?: ReadonlyArray<{ offer: WsDescription; offerId: string }>;
}

/** Encodes a client announce frame (with offers when given). */
export function encodeAnnounce(a: WsAnnounceFields): string {
  const msg: Record<string, unknown> = {
    action: 'announce',
    info_hash: a.infoHash,
    peer_id: a.peerId,
    numwant: a.numwant ?? 0,
    uploaded: a.uploaded ?? 0,
    downloaded: a.downloaded ?? 0,
    left: a.left ?? 0,
  };
  if (a.event !== undefined) msg.event = a.event;
  if (a.trackerId !== undefined) msg.trackerid = a.trackerId;
  if (a.offers !== undefined) msg.offers = a.offers.map((o) => ({ offer: o.offer, offer_id: o.offerId }));
  return JSON.stringify(msg);
}

/** Encodes a client answer frame. */
export function encodeAnswer(a: { infoHash: string; peerId: string; toPeerId: string; offerId: string; answer: WsDescription; trackerId?: string }): string {
  const msg: Record<string, unknown> = {
    action: 'announce',
    info_hash: a.infoHash,
    peer_id: a.peerId,
    to_peer_id: a.toPeerId,
    answer: a.answer,
    offer_id: a.offerId,
  };
  if (a.trackerId !== undefined) msg.trackerid = a.trackerId;
  return JSON.stringify(msg);
}

/** Encodes a client scrape frame. */
export function encodeScrape(infoHashes: readonly string[]): string {
  return JSON.stringify({ action: 'scrape', info_hash: infoHashes.length === 1 ? infoHashes[0] : infoHashes });
}
