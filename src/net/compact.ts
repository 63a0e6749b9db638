/**
 * Compact peer addresses (BEP 23 / BEP 7 / BEP 5 / BEP 11): 6 bytes for IPv4 (address then big-endian
 * port) and 18 bytes for IPv6, alone or packed back to back in a list.
 *
 * List parsing never throws on hostile input: a trailing partial entry, entries a caller's filter rejects
 * and entries past the cap are counted in `dropped`; entries past the cap are not even decoded.
 */
import { formatIPv4, formatIPv6, parseIP } from './ip.js';

/** A peer address as text host and port. */
export interface CompactPeer {
  host: string;
  port: number;
}

/** Bytes per compact entry for an address family. */
export function compactPeerSize(family: 4 | 6): 6 | 18 {
  return family === 4 ? 6 : 18;
}

/** Writes `ip` (4 or 16 bytes) and `port` (big-endian, low 16 bits) at `off` in `out`. */
export function writeCompactPeer(out: Uint8Array, off: number, ip: Uint8Array, port: number): void {
  out.set(ip, off);
  out[off + ip.length] = (port >> 8) & 0xff;
  out[off + ip.length + 1] = port & 0xff;
}

/** Encodes an IP literal host and port as 6 or 18 compact bytes, or undefined if `host` is not an IP literal. */
export function encodeCompactPeer(host: string, port: number): Uint8Array | undefined {
  const ip = parseIP(host);
  if (!ip) return undefined;
  const out = new Uint8Array(ip.length + 2);
  writeCompactPeer(out, 0, ip, port);
  return out;
}

/** Reads the compact entry of `family` at `off` (the caller checks the bounds). */
export function readCompactPeer(b: Uint8Array, off: number, family: 4 | 6): CompactPeer {
  const n = family === 4 ? 4 : 16;
  const host = family === 4 ? formatIPv4(b, off) : formatIPv6(b, off);
  return { host, port: ((b[off + n] ?? 0) << 8) | (b[off + n + 1] ?? 0) };
}

/** Decodes exactly one 6- or 18-byte compact address, or undefined for any other length. */
export function decodeCompactPeer(b: Uint8Array): CompactPeer | undefined {
  if (b.length !== 6 && b.length !== 18) return undefined;
  return readCompactPeer(b, 0, b.length === 6 ? 4 : 6);
}

/**
 * Decides whether a compact entry is dropped: `b` holds the address at `off` (4 or 16 bytes by `family`),
 * `port` is already decoded.
 */
export type CompactPeerFilter = (b: Uint8Array, off: number, family: 4 | 6, port: number) => boolean;

/** Accumulates a parsed peer list over one or more calls of {@link decodeCompactPeerList}. */
export interface CompactPeerList {
  peers: CompactPeer[];
  dropped: number;
}

/**
 * Parses a packed list of compact entries into `out`. At most `max` peers are kept in `out.peers` in total
 * (counting peers already there); every entry `reject` refuses, every entry past the cap and a trailing
 * partial entry add one each to `out.dropped`.
 */
export function decodeCompactPeerList(
  bytes: Uint8Array,
  family: 4 | 6,
  max: number,
  out: CompactPeerList,
  reject?: CompactPeerFilter,
): void {
  const size = compactPeerSize(family);
  const count = Math.floor(bytes.length / size);
  if (bytes.length % size !== 0) out.dropped++;
  for (let i = 0; i < count; i++) {
    if (out.peers.length >= max) {
      out.dropped += count - i;
      return;
    }
    const off = i * size;
    const port = ((bytes[off + size - 2] ?? 0) << 8) | (bytes[off + size - 1] ?? 0);
    if (reject?.(bytes, off, family, port)) {
      out.dropped++;
      continue;
    }
    out.peers.push(readCompactPeer(bytes, off, family));
  }
}
