/**
 * BEP 14 (Local Service Discovery) datagram codec. An announce is an HTTP-like request sent to a multicast
 * group:
 *
 *     BT-SEARCH * HTTP/1.1\r\n
 *     Host: 239.192.152.143:6771\r\n
 *     Port: <listen port>\r\n
 *     Infohash: <40 hex digits>\r\n      (one line per torrent)
 *     cookie: <opaque token>\r\n         (optional; lets a sender recognise its own echoes)
 *     \r\n
 *
 * Parsing is strict and bounded: at most {@link LSD_MAX_DATAGRAM} bytes (checked before decoding), ASCII
 * only, the exact request line, `Name: value` header lines (names case-insensitive, at most 32 lines),
 * exactly one Port in 1..65535, at least one and at most `maxInfoHashes` Infohash lines of 40 hex digits,
 * and the blank line that ends the header. Bare `\n` line ends are accepted (some senders use them).
 * Anything else is rejected with a reason; nothing throws.
 */

/** IPv4 multicast group and port of BEP 14. */
export const LSD_IPV4_GROUP = '239.192.152.143';
/** IPv6 multicast group of BEP 14. */
export const LSD_IPV6_GROUP = 'ff15::efc0:988f';
/** BEP 14 port. */
export const LSD_PORT = 6771;
/** Largest datagram we send or parse (fits a 1500-byte MTU with room for headers). */
export const LSD_MAX_DATAGRAM = 1400;
/** Default cap on info-hashes in one datagram. */
export const LSD_DEFAULT_MAX_INFO_HASHES = 20;
const MAX_HEADER_LINES = 32;
const REQUEST_LINE = 'BT-SEARCH * HTTP/1.1';

/** A decoded announce. */
export interface LsdAnnounce {
  /** The `Host` header as sent (informational). */
  readonly host?: string;
  /** The sender's BitTorrent listen port. */
  readonly port: number;
  /** Lowercase 40-digit hex info-hashes (v1, or v2 truncated to 20 bytes). */
  readonly infoHashes: readonly string[];
  /** The sender's cookie, if any. */
  readonly cookie?: string;
}

/** Result of {@link decodeLsdAnnounce}. */
export type LsdDecodeResult = { readonly ok: true; readonly announce: LsdAnnounce } | { readonly ok: false; readonly reason: string };

/** The Host header value for a family. */
export function lsdHostHeader(family: 4 | 6, port = LSD_PORT): string {
  return family === 4 ? `${LSD_IPV4_GROUP}:${port}` : `[${LSD_IPV6_GROUP}]:${port}`;
}

/**
 * Encodes announces for `infoHashes` (40-hex strings), as many per datagram as fit in
 * {@link LSD_MAX_DATAGRAM} bytes and `maxPerDatagram`. Returns one or more datagrams (none for no hashes).
 */
export function encodeLsdAnnounces(
  opts: { host: string; port: number; infoHashes: readonly string[]; cookie?: string },
  maxPerDatagram = LSD_DEFAULT_MAX_INFO_HASHES,
): Uint8Array[] {
  if (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 0xffff) throw new RangeError(`bad LSD port ${opts.port}`);
  if (opts.cookie !== undefined && !/^[\x21-\x7e]{1,64}$/.test(opts.cookie)) throw new RangeError('bad LSD cookie');
  const head = `${REQUEST_LINE}\r\nHost: ${opts.host}\r\nPort: ${opts.port}\r\n`;
  const tail = `${opts.cookie === undefined ? '' : `cookie: ${opts.cookie}\r\n`}\r\n\r\n`;
  const out: Uint8Array[] = [];
  let lines: string[] = [];
  const flush = (): void => {
    if (lines.length > 0) out.push(new TextEncoder().encode(head + lines.join('') + tail));
    lines = [];
  };
  for (const ih of opts.infoHashes) {
    if (!/^[0-9a-fA-F]{40}$/.test(ih)) throw new RangeError(`bad LSD info-hash ${ih}`);
    const line = `Infohash: ${ih.toLowerCase()}\r\n`;
    const size = head.length + tail.length + (lines.length + 1) * line.length;
    if (lines.length >= maxPerDatagram || size > LSD_MAX_DATAGRAM) flush();
    lines.push(line);
  }
  flush();
  return out;
}

/** Parses one LSD datagram. */
export function decodeLsdAnnounce(data: Uint8Array, maxInfoHashes = LSD_DEFAULT_MAX_INFO_HASHES): LsdDecodeResult {
  if (data.length > LSD_MAX_DATAGRAM) return { ok: false, reason: 'too_large' };
  let text = '';
  for (const b of data) {
    if (b > 0x7e || (b < 0x20 && b !== 0x0d && b !== 0x0a && b !== 0x09)) return { ok: false, reason: 'not_ascii' };
    text += String.fromCharCode(b);
  }
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines[0] !== REQUEST_LINE) return { ok: false, reason: 'bad_request_line' };
  let port: number | undefined;
  let host: string | undefined;
  let cookie: string | undefined;
  const hashes: string[] = [];
  let ended = false;
  let count = 0;
  // the last element follows the final line end: it is not a complete line
  for (let i = 1; i < lines.length - 1; i++) {
    const line = lines[i]!;
    if (line === '') {
      ended = true;
      break;
    }
    if (++count > MAX_HEADER_LINES) return { ok: false, reason: 'too_many_headers' };
    const colon = line.indexOf(':');
    if (colon <= 0) return { ok: false, reason: 'bad_header_line' };
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'port') {
      if (port !== undefined || !/^\d{1,5}$/.test(value)) return { ok: false, reason: 'bad_port' };
      port = Number(value);
      if (port < 1 || port > 0xffff) return { ok: false, reason: 'bad_port' };
    } else if (name === 'infohash') {
      if (!/^[0-9a-fA-F]{40}$/.test(value)) return { ok: false, reason: 'bad_info_hash' };
      if (hashes.length >= maxInfoHashes) return { ok: false, reason: 'too_many_info_hashes' };
      const ih = value.toLowerCase();
      if (!hashes.includes(ih)) hashes.push(ih);
    } else if (name === 'host') {
      if (host !== undefined) return { ok: false, reason: 'duplicate_host' };
      host = value;
    } else if (name === 'cookie') {
      if (cookie !== undefined) return { ok: false, reason: 'duplicate_cookie' };
      cookie = value;
    }
    // other headers are ignored
  }
  if (!ended) return { ok: false, reason: 'unterminated' };
  if (port === undefined) return { ok: false, reason: 'missing_port' };
  if (hashes.length === 0) return { ok: false, reason: 'missing_info_hash' };
  return {
    ok: true,
    announce: { port, infoHashes: hashes, ...(host === undefined ? {} : { host }), ...(cookie === undefined ? {} : { cookie }) },
  };
}
