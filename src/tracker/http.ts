/**
 * HTTP(S) tracker client (BEP 3, 23, 7, 24, 48), runtime-neutral over the global `fetch`.
 * Fetching rules (redirects, SSRF, size limit, TLS) live in http-fetch.ts, reply parsing in
 * http-parse.ts; this file builds the query strings and ties the two together.
 */
import { TorrentError } from '../errors.js';
import { fetchBounded } from './http-fetch.js';
import type { FetchBoundedOptions } from './http-fetch.js';
import { parseAnnounceResponse, parseScrapeResponse } from './http-parse.js';
import type { ParseAnnounceOptions } from './http-parse.js';
import type { AnnounceRequest, AnnounceResponse, ScrapeResponse, TrackerCallOptions, TrackerClient } from './types.js';

const HEX = '0123456789ABCDEF';

/** Percent-encodes raw bytes for a query string: unreserved ASCII as is, everything else `%XX`. */
export function percentEncodeBytes(b: Uint8Array): string {
  let s = '';
  for (const x of b) {
    const unreserved = (x >= 0x30 && x <= 0x39) || (x >= 0x41 && x <= 0x5a) || (x >= 0x61 && x <= 0x7a) || x === 0x2d || x === 0x2e || x === 0x5f || x === 0x7e;
    s += unreserved ? String.fromCharCode(x) : `%${HEX[x >> 4]}${HEX[x & 15]}`;
  }
  return s;
}

function appendQuery(url: string, query: string): string {
  const hash = url.indexOf('#');
  const base = hash >= 0 ? url.slice(0, hash) : url;
  const sep = !base.includes('?') ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&';
  return base + sep + query;
}

function checkHash(b: Uint8Array, what: string): void {
  if (b.length !== 20) throw new TorrentError('invalid_argument', `${what} must be 20 bytes, got ${b.length}`);
}

/** Builds the announce GET URL (the tracker's own query parameters are kept). */
export function buildAnnounceUrl(announceUrl: string, req: AnnounceRequest): string {
  checkHash(req.infoHash, 'info_hash');
  checkHash(req.peerId, 'peer_id');
  const n = (v: number): string => String(Math.max(0, Math.floor(v)));
  const parts = [
    `info_hash=${percentEncodeBytes(req.infoHash)}`,
    `peer_id=${percentEncodeBytes(req.peerId)}`,
    `port=${req.port}`,
    `uploaded=${n(req.uploaded)}`,
    `downloaded=${n(req.downloaded)}`,
    `left=${n(req.left)}`,
    'corrupt=0',
    `key=${(req.key >>> 0).toString(16).toUpperCase().padStart(8, '0')}`,
  ];
  if (req.event !== undefined) parts.push(`event=${req.event}`);
  parts.push(`numwant=${req.numWant === undefined || req.numWant < 0 ? 200 : req.numWant}`, 'compact=1', 'no_peer_id=1', 'supportcrypto=1');
  if (req.trackerId !== undefined) parts.push(`trackerid=${percentEncodeBytes(req.trackerId)}`);
  return appendQuery(announceUrl, parts.join('&'));
}

/**
 * The scrape URL for an announce URL (BEP 48 convention): the last path element must start with
 * `announce`, which becomes `scrape`. Undefined when the tracker has no scrape convention.
 */
export function scrapeUrlFor(announceUrl: string): string | undefined {
  let u: URL;
  try {
    u = new URL(announceUrl);
  } catch {
    return undefined;
  }
  const slash = u.pathname.lastIndexOf('/');
  const last = u.pathname.slice(slash + 1);
  if (!last.startsWith('announce')) return undefined;
  u.pathname = `${u.pathname.slice(0, slash + 1)}scrape${last.slice('announce'.length)}`;
  return u.href;
}

/** Options for {@link createHttpTrackerClient}. */
export interface HttpTrackerOptions extends Omit<FetchBoundedOptions, 'signal'>, ParseAnnounceOptions {}

/** Announces over HTTP(S). Rejects with `tracker_error` (also for `failure reason`), `timeout` or `aborted`. */
export async function httpAnnounce(url: string, req: AnnounceRequest, opts: HttpTrackerOptions & TrackerCallOptions = {}): Promise<AnnounceResponse> {
  const res = await fetchBounded(buildAnnounceUrl(url, req), opts);
  return parseAnnounceResponse(res.body, opts);
}

/** Scrapes over HTTP(S) (BEP 48). Rejects with `not_supported` when the URL has no scrape form. */
export async function httpScrape(url: string, infoHashes: readonly Uint8Array[], opts: HttpTrackerOptions & TrackerCallOptions = {}): Promise<ScrapeResponse> {
  const scrape = scrapeUrlFor(url);
  if (scrape === undefined) throw new TorrentError('not_supported', `tracker ${url} has no scrape URL`, { details: { url } });
  for (const h of infoHashes) checkHash(h, 'info_hash');
  const query = infoHashes.map((h) => `info_hash=${percentEncodeBytes(h)}`).join('&');
  const res = await fetchBounded(appendQuery(scrape, query), opts);
  return parseScrapeResponse(res.body);
}

/** A {@link TrackerClient} for `http:` and `https:` URLs. */
export function createHttpTrackerClient(opts: HttpTrackerOptions = {}): TrackerClient {
  return {
    canHandle: (url) => /^https?:\/\//i.test(url),
    announce: (url, req, call = {}) => httpAnnounce(url, req, { ...opts, ...(call.signal ? { signal: call.signal } : {}) }),
    scrape: (url, hashes, call = {}) => httpScrape(url, hashes, { ...opts, ...(call.signal ? { signal: call.signal } : {}) }),
  };
}
