/**
 * The parsed form of a magnet link and its formatting (BEP 9, BEP 53 `so`, BEP 52 `urn:btmh`). The parser
 * is magnet.ts (which re-exports these).
 */
import { TorrentError } from '../errors.js';
import { toHex } from './info-hash.js';
import type { InfoHashes } from './info-hash.js';

/** A parsed magnet link. */
export interface MagnetLink {
  infoHashes: InfoHashes;
  /** `dn`: display name. */
  name?: string;
  /** `tr`: tracker URLs, in order, de-duplicated. */
  trackers: string[];
  /** `ws`: web seed URLs (BEP 19). */
  webSeeds: string[];
  /** `x.pe`: peer addresses; IPv6 hosts without brackets. */
  peers: { host: string; port: number }[];
  /** `so` (BEP 53): file indexes to download, ascending, unique. */
  selectOnly?: number[];
}

function compressRanges(indexes: readonly number[]): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j === i ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** Formats a magnet URI (hashes in lowercase hex; values percent-encoded). */
export function makeMagnet(m: MagnetLink): string {
  const parts: string[] = [];
  if (m.infoHashes.v1) parts.push(`xt=urn:btih:${toHex(m.infoHashes.v1)}`);
  if (m.infoHashes.v2) parts.push(`xt=urn:btmh:1220${toHex(m.infoHashes.v2)}`);
  if (parts.length === 0) throw new TorrentError('magnet_invalid_info_hash', 'magnet link needs a v1 or v2 info-hash');
  if (m.name !== undefined) parts.push(`dn=${encodeURIComponent(m.name)}`);
  for (const t of m.trackers) parts.push(`tr=${encodeURIComponent(t)}`);
  for (const w of m.webSeeds) parts.push(`ws=${encodeURIComponent(w)}`);
  for (const p of m.peers) parts.push(`x.pe=${encodeURIComponent(p.host.includes(':') ? `[${p.host}]:${p.port}` : `${p.host}:${p.port}`)}`);
  if (m.selectOnly && m.selectOnly.length > 0) parts.push(`so=${compressRanges(m.selectOnly)}`);
  return `magnet:?${parts.join('&')}`;
}
