/**
 * Parsers for the two common blocklist formats, feeding {@link IPFilter}:
 *
 * - P2P plain text (PeerGuardian / iblocklist "p2p"): `description:first-last`, one range a line, IPv4.
 *   The description may itself hold `:`; the range is whatever follows the last `:`. Every range is blocked.
 * - eMule ipfilter.dat: `first - last , level , description`. Level is 0-255; below 128 means blocked,
 *   128 and up means allowed (such a line overrides earlier blocking lines, since later rules win).
 *   IPv6 ranges are accepted here too (nothing in the format forbids them).
 *
 * Both: blank lines and comment lines (`#` or `//`) are skipped; octets may be zero-padded (`001.002.003.004`
 * is decimal, never octal); CRLF and a UTF-8 BOM are fine. A malformed line is never silently skipped: it is
 * reported with its 1-based line number, or, in strict mode, fails the whole import with
 * `ipfilter_parse_error` before any rule is applied.
 */
import { TorrentError } from '../errors.js';
import { parseIPv6, scanIPv4 } from './ip-address.js';

/** Which format to read; `auto` decides line by line (a range followed by `,` is eMule, else P2P). */
export type BlocklistFormat = 'p2p' | 'dat' | 'auto';

/** Options for blocklist imports. */
export interface BlocklistOptions {
  /** Throw `ipfilter_parse_error` (details.line, details.reason) at the first bad line; nothing is applied. */
  strict?: boolean;
  /** Keep at most this many line errors in the result (all are still counted). Default 1000. */
  maxErrors?: number;
}

/** One rejected line. */
export interface BlocklistLineError {
  /** 1-based line number. */
  readonly line: number;
  /** Why the line was rejected. */
  readonly reason: string;
}

/** What an import did. */
export interface BlocklistResult {
  /** Rules added (blocking and, for eMule lists, allowing). */
  readonly added: number;
  /** Rejected lines (at most `maxErrors` of them, in line order). */
  readonly errors: readonly BlocklistLineError[];
  /** Total rejected lines, including any beyond `maxErrors`. */
  readonly errorCount: number;
  /** Lines read, including blank and comment lines. */
  readonly lines: number;
}

/** Rules read from a list, per family, in line order; not yet applied. */
export interface ParsedBlocklist {
  readonly v4: { first: number[]; last: number[]; flags: number[] };
  readonly v6: { first: bigint[]; last: bigint[]; flags: number[] };
  readonly result: BlocklistResult;
}

type Endpoint = { family: 4; value: number } | { family: 6; value: bigint };

class LineError extends Error {}

function parseEndpoint(text: string, start: number, end: number): Endpoint {
  while (start < end && isSpace(text.charCodeAt(start))) start++;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  if (start === end) throw new LineError('missing address');
  const v4 = scanIPv4(text, start, end, true);
  if (v4 >= 0) return { family: 4, value: v4 };
  const part = text.slice(start, end);
  if (part.includes(':')) {
    try {
      return { family: 6, value: parseIPv6(part) };
    } catch {
      throw new LineError(`invalid IPv6 address "${clip(part)}"`);
    }
  }
  throw new LineError(`invalid IPv4 address "${clip(part)}"`);
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 0xfeff;
}

function clip(s: string): string {
  return s.length > 48 ? `${s.slice(0, 48)}…` : s;
}

/** Parses `first-last` in text[start, end) and returns both ends (same family, first ≤ last). */
function parseRange(text: string, start: number, end: number): [Endpoint, Endpoint] {
  const dash = text.indexOf('-', start);
  if (dash === -1 || dash >= end) throw new LineError('expected "first-last" address range');
  const a = parseEndpoint(text, start, dash);
  const b = parseEndpoint(text, dash + 1, end);
  if (a.family !== b.family) throw new LineError('range mixes IPv4 and IPv6');
  if (a.value > b.value) throw new LineError('first address is greater than last');
  return [a, b];
}

function parseLevel(text: string): number {
  const t = text.trim();
  if (!/^\d{1,3}$/.test(t)) throw new LineError(`invalid access level "${clip(t)}"`);
  const level = Number(t);
  if (level > 255) throw new LineError(`access level ${level} is over 255`);
  return level;
}

/** Reads a blocklist without applying it. Throws `ipfilter_parse_error` only in strict mode. */
export function parseBlocklist(input: string | Uint8Array, format: BlocklistFormat, opts: BlocklistOptions = {}): ParsedBlocklist {
  const text = typeof input === 'string' ? input : new TextDecoder('utf-8').decode(input);
  const maxErrors = opts.maxErrors ?? 1000;
  const v4 = { first: [] as number[], last: [] as number[], flags: [] as number[] };
  const v6 = { first: [] as bigint[], last: [] as bigint[], flags: [] as number[] };
  const errors: BlocklistLineError[] = [];
  let errorCount = 0;
  let lineNo = 0;
  let pos = 0;
  while (pos < text.length) {
    let eol = text.indexOf('\n', pos);
    if (eol === -1) eol = text.length;
    lineNo++;
    let s = pos;
    let e = eol;
    pos = eol + 1;
    while (s < e && isSpace(text.charCodeAt(s))) s++;
    while (e > s && isSpace(text.charCodeAt(e - 1))) e--;
    if (s === e) continue;
    const c0 = text.charCodeAt(s);
    if (c0 === 35 /* # */ || (c0 === 47 && text.charCodeAt(s + 1) === 47) /* // */) continue;
    try {
      const [a, b, flags] = parseLine(text, s, e, format);
      if (a.family === 4 && b.family === 4) {
        v4.first.push(a.value);
        v4.last.push(b.value);
        v4.flags.push(flags);
      } else if (a.family === 6 && b.family === 6) {
        v6.first.push(a.value);
        v6.last.push(b.value);
        v6.flags.push(flags);
      }
    } catch (err) {
      if (!(err instanceof LineError)) throw err;
      if (opts.strict === true) {
        throw new TorrentError('ipfilter_parse_error', `blocklist line ${lineNo}: ${err.message}`, {
          details: { line: lineNo, reason: err.message },
        });
      }
      errorCount++;
      if (errors.length < maxErrors) errors.push({ line: lineNo, reason: err.message });
    }
  }
  const added = v4.flags.length + v6.flags.length;
  return { v4, v6, result: { added, errors, errorCount, lines: lineNo } };
}

function parseLine(text: string, s: number, e: number, format: BlocklistFormat): [Endpoint, Endpoint, number] {
  if (format === 'dat' || (format === 'auto' && looksLikeDat(text, s, e))) {
    const comma = text.indexOf(',', s);
    if (comma === -1 || comma >= e) throw new LineError('expected "first - last , level , description"');
    const comma2 = text.indexOf(',', comma + 1);
    const levelEnd = comma2 === -1 || comma2 >= e ? e : comma2;
    const [a, b] = parseRange(text, s, comma);
    const level = parseLevel(text.slice(comma + 1, levelEnd));
    return [a, b, level < 128 ? 1 : 0];
  }
  const colon = text.lastIndexOf(':', e - 1);
  if (colon < s) throw new LineError('expected "description:first-last"');
  const [a, b] = parseRange(text, colon + 1, e);
  return [a, b, 1];
}

/** An eMule line starts with an address (hex digits, `.`, `:`) followed by `-`, with a `,` after the range. */
function looksLikeDat(text: string, s: number, e: number): boolean {
  const comma = text.indexOf(',', s);
  if (comma === -1 || comma >= e) return false;
  const dash = text.indexOf('-', s);
  if (dash === -1 || dash > comma) return false;
  return /^[0-9a-fA-F:.\s]+$/.test(text.slice(s, dash));
}
