/**
 * KRPC message codec (BEP 5). Every incoming datagram goes through {@link decodeKrpc}: our strict
 * bdecode (unsorted keys tolerated, duplicates rejected) with small depth / token / size limits
 * checked before anything is built, then a typed shape check. Anything malformed comes back as
 * `{ y: 'invalid' }` carrying the transaction id when one could be read, so a query can be answered
 * with error 203 and everything else dropped.
 */
import { bdecode, bencode, isDict } from '../metainfo/bencode.js';
import type { BDict, BEncodable, BValue } from '../metainfo/bencode.js';
import { decodeCompactPeer, encodeCompactPeer } from '../net/compact.js';
import { isUnusableAddr } from './addr.js';
import { ID_LENGTH } from './node-id.js';

/** KRPC error codes (BEP 5). */
export const KrpcErrorCode = { generic: 201, server: 202, protocol: 203, methodUnknown: 204 } as const;

/** Limits applied while decoding untrusted datagrams. */
export interface KrpcLimits {
  /** Largest datagram accepted (default 1500 bytes; larger ones are dropped unread). */
  maxPacket: number;
  /** Largest transaction id accepted (default 16 bytes). */
  maxTransactionId: number;
}

/** Default {@link KrpcLimits}. */
export const defaultKrpcLimits: KrpcLimits = { maxPacket: 1500, maxTransactionId: 16 };

/** A decoded query. `args` is the raw `a` dict; `id` has been checked to be 20 bytes. */
export interface KrpcQuery {
  readonly y: 'q';
  readonly t: Uint8Array;
  readonly method: string;
  readonly id: Uint8Array;
  readonly args: BDict;
  /** BEP 43 read-only flag: the sender does not want to be added to routing tables. */
  readonly readOnly: boolean;
}

/** A decoded response. */
export interface KrpcResponse {
  readonly y: 'r';
  readonly t: Uint8Array;
  readonly id: Uint8Array;
  readonly r: BDict;
  /** BEP 42: our address as the responder saw it. */
  readonly ip?: { host: string; port: number };
}

/** A decoded error message. */
export interface KrpcErrorMessage {
  readonly y: 'e';
  readonly t: Uint8Array;
  readonly code: number;
  readonly message: string;
}

/** A datagram that is not a valid KRPC message; `t` and `query` say whether (and how) to answer. */
export interface KrpcInvalid {
  readonly y: 'invalid';
  readonly t?: Uint8Array;
  /** True when the packet claimed to be a query (so error 203 may be sent back). */
  readonly query: boolean;
  readonly reason: string;
}

/** Any decoded datagram. */
export type KrpcMessage = KrpcQuery | KrpcResponse | KrpcErrorMessage | KrpcInvalid;

const latin1 = (b: Uint8Array): string => String.fromCharCode(...b);

/** Decodes one datagram. Never throws. */
export function decodeKrpc(data: Uint8Array, limits: KrpcLimits = defaultKrpcLimits): KrpcMessage {
  if (data.length > limits.maxPacket) return { y: 'invalid', query: false, reason: 'packet too large' };
  let v: BValue;
  try {
    v = bdecode(data, { strict: false, maxDepth: 8, maxTokens: 600, largeIntegers: 'reject' });
  } catch {
    return { y: 'invalid', query: false, reason: 'bdecode failed' };
  }
  if (!isDict(v)) return { y: 'invalid', query: false, reason: 'not a dict' };
  const tv = v.get('t');
  const t = tv instanceof Uint8Array && tv.length <= limits.maxTransactionId ? tv : undefined;
  const yv = v.get('y');
  const y = yv instanceof Uint8Array && yv.length === 1 ? latin1(yv) : '';
  const bad = (reason: string): KrpcInvalid => (t ? { y: 'invalid', t, query: y === 'q', reason } : { y: 'invalid', query: y === 'q', reason });
  if (!t) return bad('missing or oversized transaction id');
  if (y === 'q') {
    const q = v.get('q');
    const a = v.get('a');
    if (!(q instanceof Uint8Array) || q.length > 32) return bad('missing method');
    if (!isDict(a)) return bad('missing arguments');
    const id = a.get('id');
    if (!(id instanceof Uint8Array) || id.length !== ID_LENGTH) return bad('invalid node id');
    return { y: 'q', t, method: latin1(q), id, args: a, readOnly: v.get('ro') === 1 };
  }
  if (y === 'r') {
    const r = v.get('r');
    if (!isDict(r)) return bad('missing response body');
    const id = r.get('id');
    if (!(id instanceof Uint8Array) || id.length !== ID_LENGTH) return bad('invalid node id');
    const ipv = v.get('ip');
    const ip = ipv instanceof Uint8Array ? decodeCompactPeer(ipv) : undefined;
    return ip ? { y: 'r', t, id, r, ip } : { y: 'r', t, id, r };
  }
  if (y === 'e') {
    const e = v.get('e');
    const code = Array.isArray(e) && typeof e[0] === 'number' ? e[0] : KrpcErrorCode.generic;
    const msg = Array.isArray(e) && e[1] instanceof Uint8Array ? latin1(e[1].subarray(0, 200)) : '';
    return { y: 'e', t, code, message: msg };
  }
  return bad('unknown message type');
}

/** Encodes a query. */
export function encodeQuery(t: Uint8Array, method: string, args: Record<string, BEncodable>, readOnly = false): Uint8Array {
  return bencode({ t, y: 'q', q: method, a: args, ro: readOnly ? 1 : undefined });
}

/** Encodes a response; `requester` adds BEP 42's `ip` field. */
export function encodeResponse(t: Uint8Array, body: Record<string, BEncodable | undefined>, requester?: { host: string; port: number }): Uint8Array {
  const ip = requester ? encodeCompactPeer(requester.host, requester.port) : undefined;
  return bencode({ t, y: 'r', r: body, ip });
}

/** Encodes an error message. */
export function encodeError(t: Uint8Array, code: number, message: string): Uint8Array {
  return bencode({ t, y: 'e', e: [code, message] });
}

/** A node from a compact node list. */
export interface CompactNode {
  readonly id: Uint8Array;
  readonly host: string;
  readonly port: number;
}

/**
 * Decodes a compact node list (26-byte IPv4 or 38-byte IPv6 entries), at most `max` entries,
 * dropping unusable addresses (case 23). A length that is not a multiple of the entry size is
 * truncated to whole entries.
 */
export function decodeCompactNodes(b: Uint8Array, family: 4 | 6, max: number): CompactNode[] {
  const size = family === 4 ? 26 : 38;
  const n = Math.min(Math.floor(b.length / size), max);
  const out: CompactNode[] = [];
  for (let i = 0; i < n; i++) {
    const off = i * size;
    const addr = decodeCompactPeer(b.subarray(off + ID_LENGTH, off + size));
    if (!addr || isUnusableAddr(addr.host, addr.port)) continue;
    out.push({ id: b.slice(off, off + ID_LENGTH), host: addr.host, port: addr.port });
  }
  return out;
}

/** Encodes nodes of one family as a compact node list (others are skipped). */
export function encodeCompactNodes(nodes: readonly CompactNode[], family: 4 | 6): Uint8Array {
  const size = family === 4 ? 26 : 38;
  const parts: Uint8Array[] = [];
  for (const n of nodes) {
    const a = encodeCompactPeer(n.host, n.port);
    if (!a || a.length + ID_LENGTH !== size) continue;
    parts.push(n.id, a);
  }
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Decodes a `values` list of compact peers (6 or 18 bytes each), at most `max`, filtered (case 23). */
export function decodeCompactPeers(values: BValue | undefined, max: number): { host: string; port: number }[] {
  if (!Array.isArray(values)) return [];
  const out: { host: string; port: number }[] = [];
  for (const v of values) {
    if (out.length >= max) break;
    if (!(v instanceof Uint8Array)) continue;
    const a = decodeCompactPeer(v);
    if (!a || isUnusableAddr(a.host, a.port)) continue;
    out.push(a);
  }
  return out;
}

/** Reads a 20-byte id argument, or undefined. */
export function getId(d: BDict, key: string): Uint8Array | undefined {
  const v = d.get(key);
  return v instanceof Uint8Array && v.length === ID_LENGTH ? v : undefined;
}
