/**
 * DHT-specific address rules on top of src/net/ip.ts: the IP key used for per-IP limits and routing-table
 * uniqueness, the node/peer filter (HOSTILE-INPUTS 23) and the BEP 42 local-address exemption.
 *
 * Unlike ut_pex, the DHT does not unmap IPv4-mapped addresses: `::ffff:1.2.3.4` keys, filters and exempts
 * as the IPv6 address it is.
 */
import { canonicalIP, isPrivateIP, isUnusableIP, parseIP } from '../net/ip.js';

/** A canonical text key for an IP (so different spellings of one address compare equal); non-IPs are returned as given. */
export function ipKey(host: string): string {
  return canonicalIP(host) ?? host;
}

/**
 * True when an address must never be used as a peer or node (case 23): not an IP literal, port outside
 * 1..65535, the unspecified address, multicast, broadcast.
 */
export function isUnusableAddr(host: string, port: number): boolean {
  if (port <= 0 || port > 65535) return true;
  const b = parseIP(host);
  return !b || isUnusableIP(b);
}

/** True for loopback and private (RFC 1918 / link-local / ULA) addresses, which BEP 42 exempts. */
export function isLocalIP(host: string): boolean {
  const b = parseIP(host);
  return b !== undefined && isPrivateIP(b);
}
