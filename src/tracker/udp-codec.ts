/**
 * UDP tracker packets (BEP 15) and the BEP 41 URL-data option. All integers big-endian.
 *
 *   connect  req: u64 0x41727101980 | u32 action=0 | u32 txid                       (16 bytes)
 *            res: u32 0 | u32 txid | u64 connection id                               (16 bytes)
 *   announce req: u64 conn | u32 1 | u32 txid | hash 20 | peer id 20 | u64 downloaded | u64 left |
 *                 u64 uploaded | u32 event | u32 ip=0 | u32 key | i32 numwant | u16 port (98 bytes)
 *                 then BEP 41 options: 0x2 len data (path+query in chunks of ≤ 255), 0x0 end
 *            res: u32 1 | u32 txid | u32 interval | u32 leechers | u32 seeders | peers (6 or 18 each)
 *   scrape   req: u64 conn | u32 2 | u32 txid | hash 20 × n
 *            res: u32 2 | u32 txid | (u32 seeders | u32 completed | u32 leechers) × n
 *   error    res: u32 3 | u32 txid | message
 */
import type { AnnounceEvent, AnnounceRequest } from './types.js';

/** BEP 15 protocol id for connect requests. */
export const UDP_PROTOCOL_ID = 0x41727101980n;
/** Actions. */
export const ACTION_CONNECT = 0;
export const ACTION_ANNOUNCE = 1;
export const ACTION_SCRAPE = 2;
export const ACTION_ERROR = 3;
/** Most info-hashes in one scrape request (keeps the packet under a typical MTU). */
export const MAX_SCRAPE_HASHES = 74;

const EVENTS: Record<AnnounceEvent, number> = { completed: 1, started: 2, stopped: 3 };

export function encodeConnect(txid: number): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, UDP_PROTOCOL_ID);
  v.setUint32(8, ACTION_CONNECT);
  v.setUint32(12, txid >>> 0);
  return b;
}

/** BEP 41 options carrying `urlData` (path + query), in chunks of at most 255 bytes, then end-of-options. */
export function encodeUrlDataOptions(urlData: string): Uint8Array {
  const data = new TextEncoder().encode(urlData);
  if (data.length === 0) return new Uint8Array(0);
  const chunks = Math.ceil(data.length / 255);
  const out = new Uint8Array(data.length + chunks * 2 + 1);
  let o = 0;
  for (let i = 0; i < data.length; i += 255) {
    const part = data.subarray(i, i + 255);
    out[o++] = 2;
    out[o++] = part.length;
    out.set(part, o);
    o += part.length;
  }
  out[o] = 0;
  return out;
}

const u64 = (n: number): bigint => BigInt(Math.max(0, Math.min(Number.MAX_SAFE_INTEGER, Math.floor(n))));

export function encodeAnnounce(conn: bigint, txid: number, req: AnnounceRequest, urlData: string): Uint8Array {
  const opts = encodeUrlDataOptions(urlData);
  const b = new Uint8Array(98 + opts.length);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, conn);
  v.setUint32(8, ACTION_ANNOUNCE);
  v.setUint32(12, txid >>> 0);
  b.set(req.infoHash, 16);
  b.set(req.peerId, 36);
  v.setBigUint64(56, u64(req.downloaded));
  v.setBigUint64(64, u64(req.left));
  v.setBigUint64(72, u64(req.uploaded));
  v.setUint32(80, req.event === undefined ? 0 : EVENTS[req.event]);
  v.setUint32(84, 0);
  v.setUint32(88, req.key >>> 0);
  v.setInt32(92, req.numWant ?? -1);
  v.setUint16(96, req.port);
  b.set(opts, 98);
  return b;
}

export function encodeScrape(conn: bigint, txid: number, hashes: readonly Uint8Array[]): Uint8Array {
  const b = new Uint8Array(16 + 20 * hashes.length);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, conn);
  v.setUint32(8, ACTION_SCRAPE);
  v.setUint32(12, txid >>> 0);
  hashes.forEach((h, i) => b.set(h, 16 + 20 * i));
  return b;
}

/** The action and transaction id of a reply, or undefined when shorter than 8 bytes. */
export function replyHeader(data: Uint8Array): { action: number; txid: number } | undefined {
  if (data.length < 8) return undefined;
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return { action: v.getUint32(0), txid: v.getUint32(4) };
}
