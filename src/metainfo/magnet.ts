/**
 * Magnet links (BEP 9, BEP 53 `so`, BEP 52 `urn:btmh`): parsing. Formatting ({@link makeMagnet}) and the
 * {@link MagnetLink} shape live in magnet-link.ts, which TorrentInfo needs eagerly; this parser is loaded
 * with the first magnet a session adds (src/torrent/discovery/magnet-phase.ts).
 *
 * Parsing is bounded: the whole URI, each value and the number of parameters have limits, checked
 * before any decoding work; `so` ranges are bounded in total size before expansion. Errors:
 * `magnet_invalid` (syntax, peers, ranges), `magnet_invalid_info_hash` (bad or missing hash),
 * `magnet_parameter_too_long` (size limits).
 */
import { TorrentError } from '../errors.js';
import { fromHex } from './info-hash.js';
import { bytesEqual } from '../bytes.js';
import type { MagnetLink } from './magnet-link.js';

export { makeMagnet } from './magnet-link.js';
export type { MagnetLink } from './magnet-link.js';

/** Longest magnet URI accepted (characters). */
export const MAX_MAGNET_LENGTH = 65536;
/** Most `&`-separated parameters accepted. */
export const MAX_MAGNET_PARAMS = 512;
/** Longest single parameter value (characters, before percent-decoding). */
export const MAX_MAGNET_VALUE = 8192;
/** Most file indexes a `so` parameter may select. */
export const MAX_SELECT_ONLY = 100_000;

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

function invalid(message: string, details: Record<string, string | number> = {}): never {
  throw new TorrentError('magnet_invalid', message, { details });
}

function badHash(message: string, value: string): never {
  throw new TorrentError('magnet_invalid_info_hash', message, { details: { value: value.slice(0, 100) } });
}

function base32Decode(s: string): Uint8Array | undefined {
  const out = new Uint8Array(Math.floor((s.length * 5) / 8));
  let bits = 0;
  let acc = 0;
  let j = 0;
  for (const ch of s.toLowerCase()) {
    const v = BASE32.indexOf(ch);
    if (v < 0) return undefined;
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

function parseHex(s: string, bytes: number): Uint8Array | undefined {
  if (s.length !== bytes * 2 || !/^[0-9a-fA-F]+$/u.test(s)) return undefined;
  return fromHex(s);
}

function parseBtih(v: string): Uint8Array {
  if (v.length === 40) return parseHex(v, 20) ?? badHash('btih is not 40 hex digits', v);
  if (v.length === 32) return base32Decode(v) ?? badHash('btih is not 32 base32 characters', v);
  return badHash(`btih must be 40 hex or 32 base32 characters, got ${v.length}`, v);
}

function parseBtmh(v: string): Uint8Array {
  // multihash: 0x12 (sha2-256), 0x20 (32 bytes), then the digest.
  if (!v.toLowerCase().startsWith('1220')) badHash('btmh must be a sha2-256 multihash (prefix 1220)', v);
  return parseHex(v.slice(4), 32) ?? badHash('btmh digest is not 64 hex digits', v);
}

function parsePeer(v: string): { host: string; port: number } {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/u.exec(v) ?? /^([^:[\]\s/]+):(\d{1,5})$/u.exec(v);
  if (!m) invalid('x.pe must be host:port or [ipv6]:port', { value: v.slice(0, 100) });
  const port = Number(m[2]);
  if (port < 1 || port > 65535) invalid('x.pe port out of range', { port });
  return { host: m[1]!, port };
}

function parseSelectOnly(v: string): number[] {
  const set = new Set<number>();
  let total = 0;
  for (const part of v.split(',')) {
    const m = /^(\d{1,9})(?:-(\d{1,9}))?$/u.exec(part);
    if (!m) invalid('so must be a list of indexes or ranges like 0,2,4-6', { value: v.slice(0, 100) });
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) invalid('so range is reversed', { from: a, to: b });
    total += b - a + 1;
    if (total > MAX_SELECT_ONLY) throw new TorrentError('magnet_parameter_too_long', `so selects more than ${MAX_SELECT_ONLY} files`);
    for (let i = a; i <= b; i++) set.add(i);
  }
  return [...set].sort((x, y) => x - y);
}

/** Parses a magnet URI. Needs at least one `urn:btih` or `urn:btmh` exact topic. */
export function parseMagnet(uri: string): MagnetLink {
  if (typeof uri !== 'string') invalid('magnet link must be a string');
  if (uri.length > MAX_MAGNET_LENGTH) {
    throw new TorrentError('magnet_parameter_too_long', `magnet link longer than ${MAX_MAGNET_LENGTH} characters`, { details: { length: uri.length } });
  }
  if (!/^magnet:\?/iu.test(uri)) invalid("not a magnet link (must start with 'magnet:?')");
  const query = uri.slice(8);
  const params = query === '' ? [] : query.split('&');
  if (params.length > MAX_MAGNET_PARAMS) {
    throw new TorrentError('magnet_parameter_too_long', `more than ${MAX_MAGNET_PARAMS} parameters`, { details: { count: params.length } });
  }
  let v1: Uint8Array | undefined;
  let v2: Uint8Array | undefined;
  const link: MagnetLink = { infoHashes: {}, trackers: [], webSeeds: [], peers: [] };
  for (const param of params) {
    if (param === '') continue;
    const eq = param.indexOf('=');
    if (eq <= 0) invalid('magnet parameter without a name or value', { param: param.slice(0, 100) });
    const rawValue = param.slice(eq + 1);
    if (rawValue.length > MAX_MAGNET_VALUE) {
      throw new TorrentError('magnet_parameter_too_long', `parameter longer than ${MAX_MAGNET_VALUE} characters`, { details: { length: rawValue.length } });
    }
    const key = param.slice(0, eq).toLowerCase().replace(/\.\d+$/u, '');
    let value: string;
    try {
      value = decodeURIComponent(rawValue.replace(/\+/gu, ' '));
    } catch {
      invalid('malformed percent-encoding', { param: param.slice(0, 100) });
    }
    if (key === 'xt') {
      const lower = value.toLowerCase();
      if (lower.startsWith('urn:btih:')) {
        const h = parseBtih(value.slice(9));
        if (v1 && !bytesEqual(v1, h)) badHash('two different btih hashes', value);
        v1 = h;
      } else if (lower.startsWith('urn:btmh:')) {
        const h = parseBtmh(value.slice(9));
        if (v2 && !bytesEqual(v2, h)) badHash('two different btmh hashes', value);
        v2 = h;
      }
    } else if (key === 'dn') link.name = value;
    else if (key === 'tr') {
      if (value !== '' && !link.trackers.includes(value)) link.trackers.push(value);
    } else if (key === 'ws') {
      if (value !== '' && !link.webSeeds.includes(value)) link.webSeeds.push(value);
    } else if (key === 'x.pe') link.peers.push(parsePeer(value));
    else if (key === 'so') link.selectOnly = parseSelectOnly(value);
  }
  if (!v1 && !v2) throw new TorrentError('magnet_invalid_info_hash', 'magnet link has no urn:btih or urn:btmh exact topic');
  link.infoHashes = { ...(v1 ? { v1 } : {}), ...(v2 ? { v2 } : {}) };
  return link;
}
