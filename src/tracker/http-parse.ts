/**
 * Parses HTTP tracker replies (BEP 3 / 23 / 7 / 24 / 48) with our strict bdecode. Unsorted keys are
 * allowed (many trackers do not sort); everything else is strict. Malformed fields fail the reply with
 * `tracker_error`, except peer entries, which are filtered one by one.
 */
import { TorrentError } from '../errors.js';
import { bdecode, decodeUtf8Lossy, isDict } from '../metainfo/bencode.js';
import type { BDict, BValue } from '../metainfo/bencode.js';
import { toHex } from '../metainfo/info-hash.js';
import { formatIPv4, formatIPv6 } from '../net/ip.js';
import { checkPeer, parseCompactPeers } from './address.js';
import type { PeerListResult } from './address.js';
import { clampInterval } from './types.js';
import type { AnnounceResponse, IntervalLimits, ScrapeCounts, ScrapeResponse } from './types.js';

/** Options for {@link parseAnnounceResponse}. */
export interface ParseAnnounceOptions extends IntervalLimits {
  /** Most peers kept from one reply (default 1000). */
  maxPeers?: number;
  /** Interval used when the tracker gives none (default 1800 s). */
  defaultInterval?: number;
}

function bad(message: string, extra: Record<string, string | number> = {}, cause?: unknown): TorrentError {
  return new TorrentError('tracker_error', message, { cause, details: { reason: 'invalid_response', ...extra } });
}

function decodeDict(bytes: Uint8Array): BDict {
  let v: BValue;
  try {
    v = bdecode(bytes, { strict: false, maxDepth: 16, largeIntegers: 'reject' });
  } catch (err) {
    const shown = decodeUtf8Lossy(bytes.subarray(0, 64)).replace(/[^\x20-\x7e]/g, '?');
    throw bad(`tracker sent an invalid reply: ${err instanceof Error ? err.message : String(err)} (starts "${shown}")`, {}, err);
  }
  if (!isDict(v)) throw bad('tracker reply is not a dictionary');
  return v;
}

const int = (d: BDict, k: string): number | undefined => {
  const v = d.get(k);
  return typeof v === 'number' ? v : undefined;
};
const count = (d: BDict, k: string): number | undefined => {
  const v = int(d, k);
  return v !== undefined && v >= 0 ? v : undefined;
};
const text = (d: BDict, k: string): string | undefined => {
  const v = d.get(k);
  return v instanceof Uint8Array ? decodeUtf8Lossy(v) : undefined;
};

/**
 * The `failure reason` of a reply as a `tracker_error` (details.failureReason, and details.retryIn in
 * seconds when the tracker sent BEP 31 `retry in`), or undefined when the reply is not a failure.
 */
function failure(d: BDict): TorrentError | undefined {
  const reason = text(d, 'failure reason');
  if (reason === undefined) return undefined;
  const retryMin = int(d, 'retry in');
  const shown = reason.length > 512 ? `${reason.slice(0, 512)}…` : reason;
  return new TorrentError('tracker_error', `tracker failure: ${shown}`, {
    details: { reason: 'failure', failureReason: shown, ...(retryMin !== undefined && retryMin > 0 ? { retryIn: retryMin * 60 } : {}) },
  });
}

/** Parses an announce reply. Throws `tracker_error` for `failure reason` and for invalid replies. */
export function parseAnnounceResponse(bytes: Uint8Array, opts: ParseAnnounceOptions = {}): AnnounceResponse {
  const d = decodeDict(bytes);
  const fail = failure(d);
  if (fail) throw fail;
  const maxPeers = opts.maxPeers ?? 1000;
  const list: PeerListResult = { peers: [], dropped: 0 };
  const peers = d.get('peers');
  if (peers instanceof Uint8Array) parseCompactPeers(peers, 4, maxPeers, list);
  else if (Array.isArray(peers)) {
    for (const p of peers) {
      if (!isDict(p)) {
        list.dropped++;
        continue;
      }
      const host = text(p, 'ip');
      const port = int(p, 'port');
      const pid = p.get('peer id');
      const peer = host !== undefined && port !== undefined && list.peers.length < maxPeers
        ? checkPeer(host, port, pid instanceof Uint8Array && pid.length === 20 ? pid.slice() : undefined)
        : undefined;
      if (peer) list.peers.push(peer);
      else list.dropped++;
    }
  } else if (peers !== undefined) throw bad("'peers' is neither a string nor a list");
  const peers6 = d.get('peers6');
  if (peers6 instanceof Uint8Array) parseCompactPeers(peers6, 6, maxPeers, list);

  const interval = clampInterval(int(d, 'interval'), opts.defaultInterval ?? 1800, opts);
  const minRaw = int(d, 'min interval');
  const ext = d.get('external ip');
  const externalIp = ext instanceof Uint8Array && ext.length === 4 ? formatIPv4(ext)
    : ext instanceof Uint8Array && ext.length === 16 ? formatIPv6(ext) : undefined;
  const tid = d.get('tracker id');
  const warning = text(d, 'warning message');
  const complete = count(d, 'complete');
  const incomplete = count(d, 'incomplete');
  const downloaded = count(d, 'downloaded');
  return {
    interval,
    ...(minRaw !== undefined ? { minInterval: Math.min(interval, clampInterval(minRaw, interval, opts)) } : {}),
    ...(complete !== undefined ? { complete } : {}),
    ...(incomplete !== undefined ? { incomplete } : {}),
    ...(downloaded !== undefined ? { downloaded } : {}),
    peers: list.peers,
    ...(warning !== undefined ? { warning } : {}),
    ...(tid instanceof Uint8Array && tid.length > 0 && tid.length <= 256 ? { trackerId: tid.slice() } : {}),
    ...(externalIp !== undefined ? { externalIp } : {}),
    droppedPeers: list.dropped,
  };
}

/** Parses a scrape reply (`files` keyed by raw 20-byte info-hash). Throws `tracker_error`. */
export function parseScrapeResponse(bytes: Uint8Array): ScrapeResponse {
  const d = decodeDict(bytes);
  const fail = failure(d);
  if (fail) throw fail;
  const files = d.get('files');
  if (!isDict(files)) throw bad("scrape reply has no 'files' dictionary");
  const out = new Map<string, ScrapeCounts>();
  for (const [key, v] of files) {
    if (key.length !== 20 || !isDict(v)) continue;
    const raw = new Uint8Array(20);
    for (let i = 0; i < 20; i++) raw[i] = key.charCodeAt(i) & 0xff;
    out.set(toHex(raw), {
      complete: count(v, 'complete') ?? 0,
      incomplete: count(v, 'incomplete') ?? 0,
      downloaded: count(v, 'downloaded') ?? 0,
    });
  }
  return { files: out };
}
