/**
 * Info-hashes: v1 is SHA-1 of the raw `info` bytes (20 bytes), v2 is SHA-256 of the same bytes
 * (32 bytes, BEP 52). A hybrid torrent has both. The torrent's stable id is the v1 hash in hex, or
 * the v2 hash truncated to 20 bytes when there is no v1 hash (as on the wire).
 */
import { TorrentError } from '../errors.js';
import { sha1, sha256 } from '#platform/sha';

/** The info-hashes of a torrent; at least one is present. */
export interface InfoHashes {
  /** SHA-1 of the info dict (20 bytes); present for v1 and hybrid torrents. */
  readonly v1?: Uint8Array;
  /** SHA-256 of the info dict (32 bytes); present for v2 and hybrid torrents. */
  readonly v2?: Uint8Array;
}

const HEX = '0123456789abcdef';

/** Lowercase hex of `b`. */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += HEX[x >> 4]! + HEX[x & 15]!;
  return s;
}

function hexNibble(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** Parses hex (either case). Throws `invalid_argument` on odd length or a non-hex digit. */
export function fromHex(s: string): Uint8Array {
  if (s.length % 2 !== 0) throw new TorrentError('invalid_argument', 'hex string has an odd length', { details: { length: s.length } });
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexNibble(s.charCodeAt(2 * i));
    const lo = hexNibble(s.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) throw new TorrentError('invalid_argument', 'not a hex string', { details: { index: 2 * i } });
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** The torrent's id: lowercase hex of v1, else of v2 truncated to 20 bytes. */
export function infoHashId(ih: InfoHashes): string {
  if (ih.v1) return toHex(ih.v1);
  if (ih.v2) return toHex(ih.v2.subarray(0, 20));
  throw new TorrentError('invalid_argument', 'info-hashes hold neither v1 nor v2');
}

/** Hashes raw info bytes: v1 and/or v2 as requested. */
export async function hashInfo(info: Uint8Array, want: { v1: boolean; v2: boolean }): Promise<InfoHashes> {
  const [v1, v2] = await Promise.all([want.v1 ? sha1(info) : undefined, want.v2 ? sha256(info) : undefined]);
  return { ...(v1 ? { v1 } : {}), ...(v2 ? { v2 } : {}) };
}

/** True when both hold the same hashes. */
export function sameInfoHashes(a: InfoHashes, b: InfoHashes): boolean {
  const eq = (x?: Uint8Array, y?: Uint8Array): boolean =>
    x === undefined || y === undefined ? x === y : x.length === y.length && x.every((v, i) => v === y[i]);
  return eq(a.v1, b.v1) && eq(a.v2, b.v2);
}
