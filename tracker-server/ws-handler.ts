/**
 * The WebSocket signalling relay, compatible with WebTorrent clients (bittorrent-tracker's protocol, see
 * src/tracker/websocket-messages.ts). Per socket: one peer id (the first announced), at most
 * `maxTorrentsPerSocket` swarms, a token bucket of `messagesPerSecond`; frames over `maxMessageBytes`
 * are refused by `ws` itself (maxPayload, connection closed with 1009). Each announce relays at most
 * `maxOffersPerAnnounce` offers (one per random other WebSocket peer); SDPs over `maxSdpBytes`, bad ids
 * and bad JSON are answered with a `failure reason` and otherwise ignored. Answers go only to a peer
 * of the same swarm with that `to_peer_id`.
 */
import type { WebSocket } from 'ws';
import { binaryIdToHex, isBinaryId, parseDescription, parseFrame } from '../src/tracker/websocket-messages.js';
import type { SwarmStore } from './swarm.js';

/** Relay limits. */
export interface WsRelayLimits {
  maxMessageBytes: number;
  maxSdpBytes: number;
  maxOffersPerAnnounce: number;
  messagesPerSecond: number;
  maxTorrentsPerSocket: number;
  intervalSec: number;
}

/** Counters. */
export interface WsRelayStats {
  offersRelayed: number;
  answersRelayed: number;
  rejected: number;
}

interface SocketState {
  /** The peer id announced for each swarm on this socket. */
  readonly peers: Map<string, string>;
  tokens: number;
  at: number;
}

/** Attaches the relay to one accepted socket. */
export function handleWsConnection(ws: WebSocket, ip: string, port: number, store: SwarmStore, limits: WsRelayLimits, stats: WsRelayStats): void {
  const st: SocketState = { peers: new Map(), tokens: limits.messagesPerSecond * 2, at: Date.now() };
  const sock = { send: (text: string): void => void (ws.readyState === ws.OPEN && ws.send(text)) };
  const fail = (reason: string, infoHash?: string): void => {
    stats.rejected++;
    sock.send(JSON.stringify({ 'failure reason': reason, ...(infoHash !== undefined ? { info_hash: infoHash } : {}) }));
  };

  ws.on('message', (data, isBinary) => {
    const now = Date.now();
    st.tokens = Math.min(limits.messagesPerSecond * 2, st.tokens + ((now - st.at) / 1000) * limits.messagesPerSecond);
    st.at = now;
    if (st.tokens < 1) {
      stats.rejected++;
      return; // over the rate: dropped silently (answering would amplify a flood)
    }
    st.tokens -= 1;
    if (isBinary) return fail('binary frames are not supported');
    const m = parseFrame(data.toString(), limits.maxMessageBytes);
    if (m === undefined) return fail('invalid JSON');
    if (m.action === 'scrape') return onScrape(m);
    if (m.action !== 'announce') return fail('invalid action');
    onAnnounce(m, now);
  });
  ws.on('close', () => {
    for (const [ih, pid] of st.peers) store.removeSocket(sock, [ih], pid);
  });
  ws.on('error', () => {});

  function onAnnounce(m: Record<string, unknown>, now: number): void {
    const ih = m.info_hash;
    const pid = m.peer_id;
    if (!isBinaryId(ih)) return fail('invalid info_hash');
    if (!isBinaryId(pid)) return fail('invalid peer_id', ih);
    const known = st.peers.get(ih);
    if (known !== undefined && known !== pid) return fail('peer_id changed for this torrent on this socket', ih);
    if (known === undefined && st.peers.size >= limits.maxTorrentsPerSocket) return fail('too many torrents on this socket', ih);
    const event = typeof m.event === 'string' ? m.event : undefined;
    const leftNum = Number(m.left);
    const left = Number.isFinite(leftNum) && leftNum >= 0 ? leftNum : 1;
    const swarm = store.announce(ih, { peerId: pid, ip, port, left, socket: sock }, event, now);
    if (typeof swarm === 'string') return fail(swarm, ih);
    if (event === 'stopped') st.peers.delete(ih);
    else st.peers.set(ih, pid);

    if (m.answer !== undefined) {
      const answer = parseDescription(m.answer, 'answer', limits.maxSdpBytes);
      const to = m.to_peer_id;
      const offerId = m.offer_id;
      if (answer === undefined || !isBinaryId(to) || !isBinaryId(offerId)) return fail('invalid answer', ih);
      const target = swarm.peers.get(to);
      if (target?.socket === undefined) {
        stats.rejected++;
        return; // unknown destination: dropped
      }
      stats.answersRelayed++;
      target.socket.send(JSON.stringify({ action: 'announce', answer, offer_id: offerId, peer_id: pid, info_hash: ih }));
      return;
    }

    sock.send(JSON.stringify({ action: 'announce', interval: limits.intervalSec, info_hash: ih, complete: swarm.complete, incomplete: swarm.incomplete }));
    if (!Array.isArray(m.offers) || event === 'stopped') return;
    const offers: Array<{ offer: { type: 'offer'; sdp: string }; offerId: string }> = [];
    for (const o of m.offers.slice(0, limits.maxOffersPerAnnounce) as unknown[]) {
      if (typeof o !== 'object' || o === null) continue;
      const { offer, offer_id: offerId } = o as { offer?: unknown; offer_id?: unknown };
      const d = parseDescription(offer, 'offer', limits.maxSdpBytes);
      if (d === undefined || !isBinaryId(offerId)) {
        stats.rejected++;
        continue;
      }
      offers.push({ offer: { type: 'offer', sdp: d.sdp }, offerId });
    }
    const targets = swarm.pick(offers.length, pid, true);
    targets.forEach((t, i) => {
      const o = offers[i];
      if (o === undefined || t.socket === undefined) return;
      stats.offersRelayed++;
      t.socket.send(JSON.stringify({ action: 'announce', offer: o.offer, offer_id: o.offerId, peer_id: pid, info_hash: ih }));
    });
  }

  function onScrape(m: Record<string, unknown>): void {
    const raw = m.info_hash;
    const list = raw === undefined ? [...store.swarms.keys()].slice(0, 50) : Array.isArray(raw) ? raw.slice(0, 50) : [raw];
    const files: Record<string, { complete: number; incomplete: number; downloaded: number }> = {};
    for (const ih of list) {
      if (!isBinaryId(ih)) return fail('invalid info_hash');
      const s = store.get(ih);
      files[ih] = { complete: s?.complete ?? 0, incomplete: s?.incomplete ?? 0, downloaded: s?.downloaded ?? 0 };
    }
    sock.send(JSON.stringify({ action: 'scrape', files, flags: { min_request_interval: limits.intervalSec } }));
  }
}

/** Hex of a binary id, for logs. */
export const idHex = binaryIdToHex;
