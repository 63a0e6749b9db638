/**
 * Strict IPv4 / IPv6 address parsing and formatting for the IP filter.
 *
 * Design notes
 * - IPv4 addresses are unsigned 32-bit integers held in a JS number (0 … 2^32-1).
 * - IPv6 addresses are 128-bit unsigned `bigint`s (0n … 2^128-1).
 * - Parsing is strict, like inet_pton: no surrounding spaces, no brackets, no zone ids (`%eth0`), IPv4 octets
 *   are plain decimal without leading zeros (`01.2.3.4` is ambiguous: octal to some parsers), IPv6 groups are
 *   1-4 hex digits, at most one `::`, and an embedded dotted quad is allowed only as the last 32 bits.
 *   Blocklist importers opt in to zero-padded octets (`001.002.003.004`), which eMule's format uses.
 * - An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) parses as IPv6; {@link toLookupAddress} folds it to IPv4
 *   so that filters and peer lists treat the two spellings of one host alike.
 * - IPv6 text is parsed and formatted by net/ip.ts (the byte-form parser the DHT, trackers and PEX use); this
 *   module converts bytes ⇄ bigint, throws the typed error, and prints mapped addresses as `::ffff:a.b.c.d`
 *   (net/ip.ts prints them in hex). IPv4 keeps its own character-level scanner: blocklist imports call it
 *   hundreds of thousands of times, on zero-padded octets too.
 */
import { TorrentError } from '../errors.js';
import { formatIPv6 as formatIPv6Bytes, parseIPv6 as parseIPv6Bytes } from '../net/ip.js';

/** A parsed IP address: IPv4 as a uint32 number, IPv6 as a 128-bit bigint. */
export type IPAddress = { readonly family: 4; readonly value: number } | { readonly family: 6; readonly value: bigint };

/** The largest IPv4 address as a uint32 (255.255.255.255). */
export const IPV4_MAX = 0xffff_ffff;
/** The largest IPv6 address as a bigint (ffff:…:ffff). */
export const IPV6_MAX = (1n << 128n) - 1n;
/** ::ffff:0.0.0.0, the start of the IPv4-mapped block ::ffff:0:0/96. */
const V4_MAPPED_BASE = 0xffffn << 32n;

/** Options for the IPv4 parser. */
export interface ParseIPv4Options {
  /** Accept zero-padded decimal octets such as `001.002.003.000` (eMule / P2P blocklists). Default false. */
  allowLeadingZeros?: boolean;
}

function invalid(text: string, why: string): TorrentError {
  const shown = text.length > 64 ? `${text.slice(0, 64)}…` : text;
  return new TorrentError('ip_invalid_address', `invalid IP address ${JSON.stringify(shown)}: ${why}`, {
    details: { address: shown },
  });
}

/**
 * Parses the dotted quad in `text[start, end)` to a uint32, or returns -1 when it is not one.
 * Character-level on purpose: blocklist imports call it hundreds of thousands of times.
 */
export function scanIPv4(text: string, start: number, end: number, allowLeadingZeros: boolean): number {
  let value = 0;
  let octets = 0;
  let i = start;
  while (octets < 4) {
    let digits = 0;
    let octet = 0;
    const first = i;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      octet = octet * 10 + (c - 48);
      digits++;
      i++;
      if (digits > 3) return -1;
    }
    if (digits === 0 || octet > 255) return -1;
    if (!allowLeadingZeros && digits > 1 && text.charCodeAt(first) === 48) return -1;
    value = value * 256 + octet;
    octets++;
    if (octets < 4) {
      if (i >= end || text.charCodeAt(i) !== 46 /* . */) return -1;
      i++;
    }
  }
  return i === end ? value : -1;
}

/** Parses a dotted-quad IPv4 address to a uint32. Throws `ip_invalid_address`. */
export function parseIPv4(text: string, opts: ParseIPv4Options = {}): number {
  const v = scanIPv4(text, 0, text.length, opts.allowLeadingZeros === true);
  if (v < 0) throw invalid(text, 'expected four decimal octets 0-255');
  return v;
}

/**
 * Parses an IPv6 address (RFC 4291 text forms, no brackets, no zone id) to a 128-bit bigint, through the
 * shared parser in net/ip.ts. Throws `ip_invalid_address`.
 */
export function parseIPv6(text: string): bigint {
  const b = parseIPv6Bytes(text);
  if (b === undefined) throw invalid(text, 'not an IPv6 address (1-4 hex digit groups, at most one "::", no zone id)');
  let value = 0n;
  for (const byte of b) value = (value << 8n) | BigInt(byte);
  return value;
}

/** Parses an IPv4 or IPv6 address (chosen by the presence of `:`). Throws `ip_invalid_address`. */
export function parseIP(text: string): IPAddress {
  if (typeof text !== 'string') throw invalid(String(text), 'not a string');
  if (text.includes(':')) return { family: 6, value: parseIPv6(text) };
  return { family: 4, value: parseIPv4(text) };
}

/** If `value` is an IPv4-mapped IPv6 address (::ffff:a.b.c.d), the IPv4 uint32; otherwise -1. */
export function mappedIPv4(value: bigint): number {
  if (value >> 32n !== 0xffffn) return -1;
  return Number(value - V4_MAPPED_BASE);
}

/** Folds IPv4-mapped IPv6 addresses to IPv4; every other address is returned unchanged. */
export function toLookupAddress(addr: IPAddress): IPAddress {
  if (addr.family === 6) {
    const v4 = mappedIPv4(addr.value);
    if (v4 >= 0) return { family: 4, value: v4 };
  }
  return addr;
}

/** Formats a uint32 as a dotted quad. */
export function formatIPv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/**
 * Formats a 128-bit bigint in RFC 5952 canonical form (lowercase, longest zero run of ≥ 2 groups as `::`,
 * IPv4-mapped addresses as `::ffff:a.b.c.d`).
 */
export function formatIPv6(value: bigint): string {
  const v4 = mappedIPv4(value);
  if (v4 >= 0) return `::ffff:${formatIPv4(v4)}`; // RFC 5952 §5: mapped addresses in mixed notation
  const b = new Uint8Array(16);
  for (let i = 0; i < 16; i++) b[i] = Number((value >> BigInt(8 * (15 - i))) & 0xffn);
  return formatIPv6Bytes(b);
}

/** Formats a parsed address (IPv4 dotted quad or canonical IPv6). */
export function formatIP(addr: IPAddress): string {
  return addr.family === 4 ? formatIPv4(addr.value) : formatIPv6(addr.value);
}
