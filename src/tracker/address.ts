/**
 * Tracker-specific address rules: the compact peer-list filter (BEP 23 / BEP 7, HOSTILE-INPUTS 23), the
 * dict-peer check and the loopback/LAN hostname test behind the redirect rule (HOSTILE-INPUTS 25). The
 * parsing, formatting and range tests themselves live in src/net/.
 *
 * Trackers drop a little more than the shared case-23 filter: the whole of 240.0.0.0/4 (not only the
 * broadcast address), and they never unmap IPv4-mapped addresses.
 */
import { decodeCompactPeerList } from '../net/compact.js';
import { formatIP, isLocalNetworkIP, isReservedIPv4, isUnusableIP, parseIPv4, parseIPv6 } from '../net/ip.js';
import type { TrackerPeer } from './types.js';

/**
 * True when `host` (a URL hostname; IPv6 may be bracketed) is loopback or LAN: 127/8, 10/8, 172.16/12,
 * 192.168/16, 169.254/16, 100.64/10, 0/8, ::1, ::, fc00::/7, fe80::/10, fec0::/10, IPv4-mapped forms of
 * those, and the names `localhost` / `*.localhost`. Other hostnames are not resolved here and count as public.
 */
export function isLocalHost(host: string): boolean {
  let h = host.toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.endsWith('.')) h = h.slice(0, -1);
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  const b = parseIPv4(h) ?? parseIPv6(h.replace(/%.*$/, ''));
  return b !== undefined && isLocalNetworkIP(b);
}

/** The tracker's drop rule for one address at `off`: the shared case-23 filter plus 240.0.0.0/4. */
function unusable(b: Uint8Array, off: number, family: 4 | 6): boolean {
  return isUnusableIP(b, off, family === 4 ? 4 : 16) || (family === 4 && isReservedIPv4(b, off));
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
  decodeCompactPeerList(bytes, family, max, out, (b, off, fam, port) => port === 0 || unusable(b, off, fam));
}

/**
 * Checks one peer given as text (the non-compact dict list): the host must be a bare IP literal (names are
 * dropped: resolving tracker-supplied names would let a tracker point us anywhere), usable, port 1..65535.
 * Returns the normalised peer, or undefined.
 */
export function checkPeer(host: string, port: number, peerId?: Uint8Array): TrackerPeer | undefined {
  if (!Number.isInteger(port) || port <= 0 || port > 65535) return undefined;
  const b = parseIPv4(host) ?? parseIPv6(host);
  if (b === undefined || unusable(b, 0, b.length === 4 ? 4 : 6)) return undefined;
  return { host: formatIP(b), port, ...(peerId ? { peerId } : {}) };
}
