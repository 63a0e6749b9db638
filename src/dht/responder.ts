/**
 * Answers incoming queries (ping, find_node, get_peers, announce_peer).
 *
 * Amplification rule (HOSTILE-INPUTS case 27): a source that has never answered one of our queries
 * may be spoofed, so its reply is trimmed to no more bytes than its query — BEP 42's `ip` field
 * first, then nodes (the closest is kept longest), then peers; if even the bare reply is larger it is not sent. Verified sources
 * get full replies (K nodes, up to `maxPeersReply` peers).
 */
import type { PeerAddress } from '../interfaces/transport.js';
import type { BEncodable } from '../metainfo/bencode.js';
import { encodeCompactPeer } from '../net/compact.js';
import { isUnusableAddr } from './addr.js';
import { encodeCompactNodes, encodeError, encodeResponse, getId, KrpcErrorCode } from './krpc.js';
import type { CompactNode, KrpcQuery } from './krpc.js';
import { idHex } from './node-id.js';
import type { PeerStore } from './peer-store.js';
import type { DhtEvent, DhtSettings } from './settings.js';
import type { TokenManager } from './tokens.js';

/** What the responder needs from its DHT node. */
export interface ResponderContext {
  readonly settings: DhtSettings;
  readonly family: 4 | 6;
  ownId(): Uint8Array;
  closest(target: Uint8Array, n: number): CompactNode[];
  readonly store: PeerStore;
  readonly tokens: TokenManager;
  now(): number;
  isVerified(from: PeerAddress): boolean;
  send(data: Uint8Array, to: PeerAddress): Promise<boolean>;
  emit(e: DhtEvent): void;
  isClosed(): boolean;
}

type Body = (nNodes: number, nValues: number) => Record<string, BEncodable | undefined>;

/** Sends the largest reply that fits `budget` (Infinity for verified sources). */
export function sendFitted(ctx: ResponderContext, q: KrpcQuery, from: PeerAddress, body: Body, maxNodes: number, maxValues: number, budget: number): Promise<boolean> {
  let nv = maxValues;
  let nn = maxNodes;
  let withIp = true;
  for (;;) {
    const data = encodeResponse(q.t, body(nn, nv), withIp ? from : undefined);
    const over = data.length - budget;
    if (over <= 0) return ctx.send(data, from);
    if (withIp) withIp = false;
    else if (nn > 0) nn = Math.max(0, nn - Math.ceil(over / 26));
    else if (nv > 0) nv = Math.max(0, nv - Math.ceil(over / 8));
    else return Promise.resolve(false);
  }
}

/** Sends a KRPC error (only when it is no larger than the query for unverified sources). */
export function sendError(ctx: ResponderContext, t: Uint8Array, code: number, msg: string, from: PeerAddress, budget: number): Promise<boolean> {
  const data = encodeError(t, code, msg);
  return data.length <= budget ? ctx.send(data, from) : Promise.resolve(false);
}

/** Answers one well-formed query. */
export async function answerQuery(ctx: ResponderContext, q: KrpcQuery, from: PeerAddress, requestSize: number): Promise<void> {
  const s = ctx.settings;
  const budget = s.limitUnverifiedReplies && !ctx.isVerified(from) ? requestSize : Infinity;
  const nodesKey = ctx.family === 4 ? 'nodes' : 'nodes6';
  const nodesFor = (target: Uint8Array, n: number): Uint8Array => encodeCompactNodes(ctx.closest(target, n), ctx.family);
  const a = q.args;
  switch (q.method) {
    case 'ping':
      await sendFitted(ctx, q, from, () => ({ id: ctx.ownId() }), 0, 0, budget);
      return;
    case 'find_node': {
      const target = getId(a, 'target');
      if (!target) {
        await sendError(ctx, q.t, KrpcErrorCode.protocol, 'invalid target', from, budget);
        return;
      }
      await sendFitted(ctx, q, from, (nn) => ({ id: ctx.ownId(), [nodesKey]: nodesFor(target, nn) }), s.k, 0, budget);
      return;
    }
    case 'get_peers': {
      const ih = getId(a, 'info_hash');
      if (!ih) {
        await sendError(ctx, q.t, KrpcErrorCode.protocol, 'invalid info_hash', from, budget);
        return;
      }
      ctx.emit({ type: 'dht_get_peers', infoHash: ih.slice(), from: { host: from.host, port: from.port } });
      const token = await ctx.tokens.issue(from.host);
      if (ctx.isClosed()) return;
      const stored = ctx.store.get(idHex(ih), s.maxPeersReply, ctx.now());
      const values = stored.map((p) => encodeCompactPeer(p.host, p.port)).filter((v): v is Uint8Array => v !== undefined);
      const body: Body = (nn, nv) => ({
        id: ctx.ownId(),
        token,
        values: nv > 0 ? values.slice(0, nv) : undefined,
        [nodesKey]: nodesFor(ih, nn),
      });
      await sendFitted(ctx, q, from, body, s.k, values.length, budget);
      return;
    }
    case 'announce_peer': {
      const ih = getId(a, 'info_hash');
      const token = a.get('token');
      const portArg = a.get('port');
      const implied = a.get('implied_port') === 1;
      const port = implied ? from.port : typeof portArg === 'number' ? portArg : -1;
      if (!ih || !(token instanceof Uint8Array) || isUnusableAddr(from.host, port)) {
        await sendError(ctx, q.t, KrpcErrorCode.protocol, 'invalid announce arguments', from, budget);
        return;
      }
      const ok = await ctx.tokens.verify(token, from.host);
      if (ctx.isClosed()) return;
      if (!ok) {
        await sendError(ctx, q.t, KrpcErrorCode.protocol, 'bad token', from, budget);
        return;
      }
      ctx.store.add(idHex(ih), from.host, port, ctx.now());
      ctx.emit({ type: 'dht_announce', infoHash: ih.slice(), host: from.host, port });
      await sendFitted(ctx, q, from, () => ({ id: ctx.ownId() }), 0, 0, budget);
      return;
    }
    default:
      await sendError(ctx, q.t, KrpcErrorCode.methodUnknown, 'method unknown', from, budget);
  }
}
