/**
 * Address checks for tracker traffic: compact peer lists (BEP 23 / BEP 7), the peer filter
 * (HOSTILE-INPUTS 23) and the loopback/LAN test behind the redirect rule (HOSTILE-INPUTS 25).
 *
 * Kept here rather than importing src/session/ip-address.ts: trackers sit below the session in the
 * import order, and these checks need only a few fixed prefixes.
 */
import type { TrackerPeer } from './types.js';

/** Parses a strict dotted quad to 4 bytes, or undefined. */
export function parseIPv4Bytes(s: string): Uint8Array | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] ?? '';
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

/** Parses an IPv6 literal (no brackets, no zone) to 16 bytes, or undefined. Accepts an embedded dotted quad. */
export function parseIPv6Bytes(input: string): Uint8Array | undefined {
  let s = input;
  const lastColon = s.lastIndexOf(':');
  if (lastColon >= 0 && s.includes('.', lastColon)) {
    const v4 = parseIPv4Bytes(s.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    const hi = (((v4[0] ?? 0) << 8) | (v4[1] ?? 0)).toString(16);
    const lo = (((v4[2] ?? 0) << 8) | (v4[3] ?? 0)).toString(16);
    s = `${s.slice(0, lastColon + 1)}${hi}:${lo}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0] ?? '');
  const rest = halves.length === 2 ? parse(halves[1] ?? '') : [];
  if (head === undefined || rest === undefined) return undefined;
  const given = head.length + rest.length;
  if (halves.length === 2 ? given > 7 : given !== 8) return undefined;
  const words = halves.length === 2 ? [...head, ...new Array<number>(8 - given).fill(0), ...rest] : head;
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[i * 2] = w >> 8;
    out[i * 2 + 1] = w & 0xff;
  });
  return out;
}

/** Formats 4 bytes as a dotted quad. */
export function formatIPv4Bytes(b: Uint8Array, off = 0): string {
  return `${b[off] ?? 0}.${b[off + 1] ?? 0}.${b[off + 2] ?? 0}.${b[off + 3] ?? 0}`;
}

/** Formats 16 bytes as a compressed IPv6 literal (RFC 5952). */
export function formatIPv6Bytes(b: Uint8Array, off = 0): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push(((b[off + i * 2] ?? 0) << 8) | (b[off + i * 2 + 1] ?? 0));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(w);
  return `${hex(w.slice(0, bestStart))}::${hex(w.slice(bestStart + bestLen))}`;
}

function v4IsLocal(b: Uint8Array): boolean {
  const a = b[0] ?? 0;
  const c = b[1] ?? 0;
  return (
    a === 0 || // "this network"
    a === 10 ||
    a === 127 ||
    (a === 100 && c >= 64 && c <= 127) || // carrier-grade NAT 100.64/10
    (a === 169 && c === 254) || // link-local
    (a === 172 && c >= 16 && c <= 31) ||
    (a === 192 && c === 168)
  );
}

function v6IsLocal(b: Uint8Array): boolean {
  const zeroPrefix = (n: number): boolean => b.subarray(0, n).every((x) => x === 0);
  if (zeroPrefix(15) && ((b[15] ?? 0) <= 1)) return true; // :: and ::1
  if (zeroPrefix(10) && b[10] === 0xff && b[11] === 0xff) return v4IsLocal(b.subarray(12)); // ::ffff:a.b.c.d
  const b0 = b[0] ?? 0;
  if ((b0 & 0xfe) === 0xfc) return true; // fc00::/7 unique local
  if (b0 === 0xfe && ((b[1] ?? 0) & 0xc0) === 0x80) return true; // fe80::/10 link-local
  if (b0 === 0xfe && ((b[1] ?? 0) & 0xc0) === 0xc0) return true; // fec0::/10 site-local (deprecated)
  return false;
}

/**
 * True when `host` (a URL hostname; IPv6 may be bracketed) is loopback or LAN: 127/8, 10/8, 172.16/12,
 * 192.168/16, 169.254/16, 100.64/10, 0/8, ::1, ::, fc00::/7, fe80::/10, IPv4-mapped forms of those, and
 * the names `localhost` / `*.localhost`. Other hostnames are not resolved here and count as public.
 */
export function isLocalHost(host: string): boolean {
  let h = host.toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.endsWith('.')) h = h.slice(0, -1);
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  const v4 = parseIPv4Bytes(h);
  if (v4 !== undefined) return v4IsLocal(v4);
  const v6 = h.includes(':') ? parseIPv6Bytes(h.replace(/%.*$/, '')) : undefined;
  return v6 !== undefined && v6IsLocal(v6);
}

/** True for an IPv4 peer address nobody can connect to: 0.0.0.0/8, multicast 224/4, 240/4 and broadcast. */
function v4Unusable(b: Uint8Array, off: number): boolean {
  const a = b[off] ?? 0;
  return a === 0 || a >= 224;
}

/** True for an IPv6 peer address nobody can connect to: :: and multicast ff00::/8. */
function v6Unusable(b: Uint8Array, off: number): boolean {
  if ((b[off] ?? 0) === 0xff) return true;
  for (let i = 0; i < 16; i++) if ((b[off + i] ?? 0) !== 0) return false;
  return true;
}

/** Result of parsing a peer list: kept peers and how many entries were dropped. */
export interface PeerListResult {
  peers: TrackerPeer[];
  dropped: number;
}

/**
 * Parses compact peers: 6 bytes each (IPv4 + port, BEP 23) or 18 bytes each (IPv6 + port, BEP 7).
 * A trailing partial entry is ignored (counted as dropped). Unusable addresses and port 0 are dropped;
 * at most `max` peers are kept.
 */
export function parseCompactPeers(bytes: Uint8Array, family: 4 | 6, max: number, out: PeerListResult): void {
  const size = family === 4 ? 6 : 18;
  const count = Math.floor(bytes.length / size);
  if (bytes.length % size !== 0) out.dropped++;
  for (let i = 0; i < count; i++) {
    const off = i * size;
    const port = ((bytes[off + size - 2] ?? 0) << 8) | (bytes[off + size - 1] ?? 0);
    const bad = family === 4 ? v4Unusable(bytes, off) : v6Unusable(bytes, off);
    if (bad || port === 0 || out.peers.length >= max) {
      out.dropped++;
      continue;
    }
    out.peers.push({ host: family === 4 ? formatIPv4Bytes(bytes, off) : formatIPv6Bytes(bytes, off), port });
  }
}

/**
 * Checks one peer given as text (the non-compact dict list): the host must be an IP literal (names are
 * dropped: resolving tracker-supplied names would let a tracker point us anywhere), usable, port 1..65535.
 * Returns the normalised peer, or undefined.
 */
export function checkPeer(host: string, port: number, peerId?: Uint8Array): TrackerPeer | undefined {
  if (!Number.isInteger(port) || port <= 0 || port > 65535) return undefined;
  const v4 = parseIPv4Bytes(host);
  if (v4 !== undefined) {
    return v4Unusable(v4, 0) ? undefined : { host: formatIPv4Bytes(v4), port, ...(peerId ? { peerId } : {}) };
  }
  const v6 = host.includes(':') ? parseIPv6Bytes(host) : undefined;
  if (v6 === undefined || v6Unusable(v6, 0)) return undefined;
  return { host: formatIPv6Bytes(v6), port, ...(peerId ? { peerId } : {}) };
}
