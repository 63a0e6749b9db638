/**
 * IP address text ⇄ bytes, shared by the DHT, trackers and ut_pex (runtime-neutral, no imports).
 *
 * Design notes:
 * - Addresses are 4 bytes (IPv4) or 16 bytes (IPv6). Parsing never unmaps: `::ffff:1.2.3.4` stays 16 bytes
 *   until a caller asks for {@link unmapIPv4} explicitly (PEX does, the DHT and trackers do not).
 * - IPv4 text is a strict dotted quad: four decimal parts 0..255, no leading zeros (`01.2.3.4` is refused,
 *   so no octal/decimal ambiguity), no spaces.
 * - IPv6 text follows RFC 4291 §2.2: hex groups of 1..4 digits, at most one `::`, and an optional dotted-quad
 *   tail only as the very last part. {@link parseIPv6} takes the bare literal; {@link parseIPv6Host} also
 *   takes URL/socket spellings (`[...]` brackets, `%zone`).
 * - Formatting is RFC 5952 §4: lowercase, no leading zeros, the longest run (≥ 2) of zero groups as `::`,
 *   the first such run on a tie. IPv4-mapped addresses are printed in hex (`::ffff:102:304`).
 * - Filters: {@link isUnusableIP} is the address half of HOSTILE-INPUTS case 23; {@link isPrivateIP} and
 *   {@link isLocalNetworkIP} are two different loopback/LAN tests (BEP 42 exemption vs. the tracker SSRF rule)
 *   and stay separate on purpose.
 */

const V4_PART = /^(0|[1-9][0-9]{0,2})$/;
const V6_GROUP = /^[0-9a-fA-F]{1,4}$/;
/** Longest valid bare IPv6 literal: six full groups plus a dotted-quad tail. */
const V6_MAX_TEXT = 45;

/** Parses a strict dotted quad (no leading zeros) into 4 bytes, or undefined if `text` is not one. */
export function parseIPv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] ?? '';
    if (!V4_PART.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

/** The 16-bit groups of one side of `::`, or undefined. A dotted quad is allowed only as the last part when `tail`. */
function groups(s: string, tail: boolean): number[] | undefined {
  if (s === '') return [];
  const out: number[] = [];
  const parts = s.split(':');
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] ?? '';
    if (tail && i === parts.length - 1 && p.includes('.')) {
      const v4 = parseIPv4(p);
      if (!v4) return undefined;
      out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
    } else if (V6_GROUP.test(p)) {
      out.push(parseInt(p, 16));
    } else {
      return undefined;
    }
  }
  return out;
}

/**
 * Parses a bare IPv6 literal (no brackets, no zone; an embedded IPv4 tail such as `::ffff:1.2.3.4` is
 * allowed) into 16 bytes, or undefined.
 */
export function parseIPv6(text: string): Uint8Array | undefined {
  if (!text.includes(':') || text.length > V6_MAX_TEXT) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const compressed = halves.length === 2;
  const head = groups(halves[0] ?? '', !compressed);
  const tail = compressed ? groups(halves[1] ?? '', true) : [];
  if (!head || !tail) return undefined;
  const total = head.length + tail.length;
  if (compressed ? total > 7 : total !== 8) return undefined;
  const words = [...head, ...new Array<number>(8 - total).fill(0), ...tail];
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** Parses an IPv6 host as found in URLs and socket addresses: optional `[...]` brackets, optional `%zone`. */
export function parseIPv6Host(host: string): Uint8Array | undefined {
  let h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const zone = h.indexOf('%');
  if (zone >= 0) h = h.slice(0, zone);
  return parseIPv6(h);
}

/** Parses an IP literal host (dotted quad, or IPv6 with optional brackets/zone) into 4 or 16 bytes, or undefined. */
export function parseIP(host: string): Uint8Array | undefined {
  return parseIPv4(host) ?? parseIPv6Host(host);
}

/** True when 16 bytes at `off` are an IPv4-mapped IPv6 address (`::ffff:0:0/96`). */
export function isIPv4Mapped(b: Uint8Array, off = 0): boolean {
  if (b.length - off < 16) return false;
  for (let i = 0; i < 10; i++) if (b[off + i] !== 0) return false;
  return b[off + 10] === 0xff && b[off + 11] === 0xff;
}

/** Returns the 4 IPv4 bytes of an IPv4-mapped IPv6 address (a copy), or `b` itself for any other address. */
export function unmapIPv4(b: Uint8Array): Uint8Array {
  return b.length === 16 && isIPv4Mapped(b) ? b.slice(12) : b;
}

/** Formats the 4 bytes at `off` as a dotted quad. */
export function formatIPv4(b: Uint8Array, off = 0): string {
  return `${b[off] ?? 0}.${b[off + 1] ?? 0}.${b[off + 2] ?? 0}.${b[off + 3] ?? 0}`;
}

/** Formats the 16 bytes at `off` as an RFC 5952 IPv6 literal (lowercase, longest zero run as `::`). */
export function formatIPv6(b: Uint8Array, off = 0): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push(((b[off + 2 * i] ?? 0) << 8) | (b[off + 2 * i + 1] ?? 0));
  let best = -1;
  let bestLen = 1; // a single zero group is never compressed
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  return best < 0 ? hex(w) : `${hex(w.slice(0, best))}::${hex(w.slice(best + bestLen))}`;
}

/** Formats 4 bytes as IPv4 text, anything else as IPv6 text (the first 16 bytes). */
export function formatIP(b: Uint8Array): string {
  return b.length === 4 ? formatIPv4(b) : formatIPv6(b);
}

/** Options of {@link canonicalIP}. */
export interface CanonicalIPOptions {
  /** Report an IPv4-mapped IPv6 address as the IPv4 address it maps (default false). */
  readonly unmapIPv4?: boolean;
}

/**
 * The canonical text of an IP literal host (so different spellings of one address compare equal), or
 * undefined when `host` is not an IP literal. Brackets and zones are dropped.
 */
export function canonicalIP(host: string, opts: CanonicalIPOptions = {}): string | undefined {
  const b = parseIP(host);
  if (!b) return undefined;
  return formatIP(opts.unmapIPv4 ? unmapIPv4(b) : b);
}

/**
 * True for an address nobody can connect to (HOSTILE-INPUTS 23), given 4 or 16 bytes at `off`: IPv4
 * 0.0.0.0/8, multicast 224.0.0.0/4, limited broadcast 255.255.255.255; IPv6 `::` and multicast ff00::/8.
 * IPv4-mapped addresses are not unmapped here.
 */
export function isUnusableIP(b: Uint8Array, off = 0, len: 4 | 16 = b.length - off === 4 ? 4 : 16): boolean {
  const a0 = b[off] ?? 0;
  if (len === 4) {
    if (a0 === 0 || (a0 >= 224 && a0 <= 239)) return true;
    for (let i = 0; i < 4; i++) if (b[off + i] !== 255) return false;
    return true;
  }
  if (a0 === 0xff) return true;
  for (let i = 0; i < 16; i++) if ((b[off + i] ?? 0) !== 0) return false;
  return true;
}

/** True for IPv4 240.0.0.0/4 ("reserved for future use", includes broadcast) at `off`. Trackers drop these too. */
export function isReservedIPv4(b: Uint8Array, off = 0): boolean {
  return (b[off] ?? 0) >= 240;
}

/**
 * The peer filter of HOSTILE-INPUTS 23 on text: true when `host` is not an IP literal, the port is not an
 * integer in 1..65535, or the address (IPv4-mapped forms unmapped first) is {@link isUnusableIP}.
 */
export function isUnusablePeerAddress(host: string, port: number): boolean {
  if (!Number.isInteger(port) || port <= 0 || port > 0xffff) return true;
  const b = parseIP(host);
  return !b || isUnusableIP(unmapIPv4(b));
}

function v4Private(b: Uint8Array, off: number): boolean {
  const a = b[off] ?? 0;
  const c = b[off + 1] ?? 0;
  return a === 10 || a === 127 || (a === 172 && c >= 16 && c <= 31) || (a === 192 && c === 168) || (a === 169 && c === 254);
}

function v6LinkOrUniqueLocal(b: Uint8Array): boolean {
  const b0 = b[0] ?? 0;
  return (b0 & 0xfe) === 0xfc || (b0 === 0xfe && ((b[1] ?? 0) & 0xc0) === 0x80); // fc00::/7, fe80::/10
}

function zeroPrefix(b: Uint8Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (b[i] !== 0) return false;
  return true;
}

/**
 * True for loopback and private addresses — the set BEP 42 exempts from node-id checks: 127/8, 10/8,
 * 172.16/12, 192.168/16, 169.254/16, ::1, fc00::/7, fe80::/10. IPv4-mapped forms are not unmapped.
 */
export function isPrivateIP(b: Uint8Array): boolean {
  if (b.length === 4) return v4Private(b, 0);
  if (zeroPrefix(b, 15) && b[15] === 1) return true; // ::1
  return v6LinkOrUniqueLocal(b);
}

/**
 * True for loopback or LAN addresses in the wider sense of the tracker redirect rule (HOSTILE-INPUTS 25):
 * everything {@link isPrivateIP} accepts plus 0.0.0.0/8, carrier-grade NAT 100.64/10, `::`, site-local
 * fec0::/10 and the IPv4-mapped forms of the IPv4 ranges.
 */
export function isLocalNetworkIP(b: Uint8Array): boolean {
  if (b.length === 4) {
    const a = b[0] ?? 0;
    const c = b[1] ?? 0;
    return v4Private(b, 0) || a === 0 || (a === 100 && c >= 64 && c <= 127);
  }
  if (zeroPrefix(b, 15) && (b[15] ?? 0) <= 1) return true; // :: and ::1
  if (isIPv4Mapped(b)) return isLocalNetworkIP(b.subarray(12));
  if (v6LinkOrUniqueLocal(b)) return true;
  return b[0] === 0xfe && ((b[1] ?? 0) & 0xc0) === 0xc0; // fec0::/10
}
