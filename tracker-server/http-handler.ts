/**
 * HTTP announce and scrape (BEP 3, BEP 23 compact peers, BEP 7 `peers6`, BEP 48 scrape). Query strings
 * are decoded byte-wise (info_hash and peer_id are raw 20-byte values); replies are bencoded. The peer
 * address is the TCP source address with the announced `port`; `ip=` is ignored (no spoofing others).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bencode } from '../src/metainfo/bencode.js';
import type { BEncodable } from '../src/metainfo/bencode.js';
import type { SwarmStore } from './swarm.js';

/** HTTP tracker limits. */
export interface HttpTrackerLimits {
  intervalSec: number;
  /** Default numwant. */
  defaultNumwant: number;
  /** Largest numwant honoured. */
  maxNumwant: number;
  /** Longest request URL accepted. */
  maxUrlLength: number;
}

/** Percent-decodes a query component to a binary string (one char per byte); undefined when malformed. */
export function percentDecodeBinary(s: string): string | undefined {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '%') {
      const h = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) return undefined;
      out += String.fromCharCode(parseInt(h, 16));
      i += 2;
    } else if (c === '+') out += ' ';
    else if (s.charCodeAt(i) > 0x7f) return undefined;
    else out += c;
  }
  return out;
}

/** Parses a query string into lists of binary-string values. */
export function parseQuery(q: string): Map<string, string[]> | undefined {
  const m = new Map<string, string[]>();
  for (const part of q.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const k = percentDecodeBinary(eq < 0 ? part : part.slice(0, eq));
    const v = percentDecodeBinary(eq < 0 ? '' : part.slice(eq + 1));
    if (k === undefined || v === undefined) return undefined;
    const list = m.get(k) ?? [];
    if (list.length < 100) list.push(v);
    m.set(k, list);
  }
  return m;
}

const bytesOf = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

function compactPeers(peers: ReadonlyArray<{ ip: string; port: number }>): { v4: Uint8Array; v6: Uint8Array } {
  const v4: number[] = [];
  const v6: number[] = [];
  for (const p of peers) {
    const port = [p.port >> 8, p.port & 255];
    if (/^\d+\.\d+\.\d+\.\d+$/.test(p.ip)) v4.push(...p.ip.split('.').map(Number), ...port);
    else if (p.ip.includes(':')) {
      const halves = p.ip.split('::');
      const head = (halves[0] ?? '').split(':').filter(Boolean);
      const tail = halves.length > 1 ? (halves[1] ?? '').split(':').filter(Boolean) : [];
      const groups = [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail];
      if (groups.length !== 8) continue;
      for (const g of groups) {
        const n = parseInt(g, 16);
        v6.push(n >> 8, n & 255);
      }
      v6.push(...port);
    }
  }
  return { v4: Uint8Array.from(v4), v6: Uint8Array.from(v6) };
}

function reply(res: ServerResponse, body: BEncodable): void {
  const bytes = bencode(body);
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': bytes.length });
  res.end(bytes);
}

/** Serves /announce and /scrape; anything else is 404. */
export function handleHttpRequest(req: IncomingMessage, res: ServerResponse, ip: string, store: SwarmStore, limits: HttpTrackerLimits): void {
  const url = req.url ?? '/';
  if (req.method !== 'GET' || url.length > limits.maxUrlLength) {
    res.writeHead(url.length > limits.maxUrlLength ? 414 : 405).end();
    return;
  }
  const qAt = url.indexOf('?');
  const path = qAt < 0 ? url : url.slice(0, qAt);
  const q = parseQuery(qAt < 0 ? '' : url.slice(qAt + 1));
  if (path !== '/announce' && path !== '/scrape') {
    res.writeHead(404).end();
    return;
  }
  if (q === undefined) return reply(res, { 'failure reason': 'malformed query string' });
  if (path === '/scrape') {
    const files = new Map<string, BEncodable>();
    for (const ih of (q.get('info_hash') ?? []).slice(0, 50)) {
      if (ih.length !== 20) return reply(res, { 'failure reason': 'invalid info_hash' });
      const s = store.get(ih);
      files.set(ih, { complete: s?.complete ?? 0, downloaded: s?.downloaded ?? 0, incomplete: s?.incomplete ?? 0 });
    }
    // Keys are binary strings: encode them as raw bytes, sorted bytewise by the encoder.
    return reply(res, new Map<string, BEncodable>([['files', files]]));
  }
  const ih = q.get('info_hash')?.[0];
  const pid = q.get('peer_id')?.[0];
  const port = Number(q.get('port')?.[0]);
  if (ih?.length !== 20) return reply(res, { 'failure reason': 'invalid info_hash' });
  if (pid?.length !== 20) return reply(res, { 'failure reason': 'invalid peer_id' });
  if (!Number.isInteger(port) || port < 1 || port > 65535) return reply(res, { 'failure reason': 'invalid port' });
  const leftN = Number(q.get('left')?.[0] ?? 'x');
  const left = Number.isFinite(leftN) && leftN >= 0 ? leftN : 1;
  const event = q.get('event')?.[0];
  const swarm = store.announce(ih, { peerId: pid, ip, port, left }, event === '' ? undefined : event, Date.now());
  if (typeof swarm === 'string') return reply(res, { 'failure reason': swarm });
  const nw = Number(q.get('numwant')?.[0] ?? limits.defaultNumwant);
  const numwant = Math.min(Number.isFinite(nw) && nw >= 0 ? nw : limits.defaultNumwant, limits.maxNumwant);
  const peers = event === 'stopped' ? [] : swarm.pick(numwant, pid, false);
  const compact = q.get('compact')?.[0] !== '0';
  const body: Record<string, BEncodable> = { complete: swarm.complete, incomplete: swarm.incomplete, interval: limits.intervalSec, 'min interval': Math.ceil(limits.intervalSec / 2) };
  if (compact) {
    const c = compactPeers(peers);
    body.peers = c.v4;
    if (c.v6.length > 0) body.peers6 = c.v6;
  } else {
    body.peers = peers.map((p) => ({ ip: p.ip, 'peer id': bytesOf(p.peerId), port: p.port }));
  }
  reply(res, body);
}
