/**
 * Bounded GET for HTTP(S) trackers over the global `fetch` (Node 18+ and browsers).
 *
 * Invariants
 * - Redirects are followed by hand (`redirect: 'manual'`), at most `maxRedirects`, only to http(s), and
 *   each hop passes {@link checkRedirect}: a tracker that is not itself on loopback/LAN may not send us
 *   to a loopback/LAN address (HOSTILE-INPUTS 25). Only IP literals and `localhost` can be judged here:
 *   fetch resolves names itself, so a public-looking name whose DNS answer is 127.0.0.1 is not caught
 *   (DNS rebinding needs a resolver hook that fetch does not offer; the browser's own private-network
 *   rules apply there). In browsers a manual redirect is opaque (no Location), so it fails as an error.
 * - TLS is always verified: we never pass an agent/dispatcher that disables verification.
 * - The body is streamed and reading stops at `maxBytes` of decoded bytes (fetch inflates gzip/deflate/br
 *   itself, so a gzip bomb stops at the limit too); the stream is cancelled, never buffered whole.
 * - One timer per request covers connect, redirects and body; it is cleared on every exit path.
 * - `connection: close`: no pooled keep-alive sockets outlive a tracker request.
 */
import { TorrentError } from '../errors.js';
import { isLocalHost } from './address.js';

/** Options for {@link fetchBounded}. */
export interface FetchBoundedOptions {
  /** Whole-request timeout in ms (default 30,000). */
  timeoutMs?: number;
  /** Redirect hops followed (default 5). */
  maxRedirects?: number;
  /** Largest decoded body accepted (default 1 MiB). */
  maxBytes?: number;
  /** Caller's abort signal. */
  signal?: AbortSignal;
  /** Sent as User-Agent where the runtime allows it. */
  userAgent?: string;
  /** The fetch to use (default `globalThis.fetch`). */
  fetch?: typeof fetch;
}

/** Default response size limit (decoded bytes). */
export const MAX_TRACKER_RESPONSE = 1024 * 1024;

function trackerError(message: string, url: string, extra: Record<string, string | number | boolean> = {}, cause?: unknown): TorrentError {
  return new TorrentError('tracker_error', message, { cause, details: { url, ...extra } });
}

/**
 * Throws `tracker_error` (details.reason = 'ssrf' or 'scheme') when a redirect from `origin` (the
 * tracker URL we were given) to `target` must not be followed.
 */
export function checkRedirect(origin: string, target: string): void {
  const from = new URL(origin);
  const to = new URL(target);
  if (to.protocol !== 'http:' && to.protocol !== 'https:') {
    throw trackerError(`tracker redirected to a non-HTTP URL (${to.protocol})`, origin, { reason: 'scheme', target });
  }
  if (!isLocalHost(from.hostname) && isLocalHost(to.hostname)) {
    throw trackerError(`tracker ${from.host} redirected to a loopback/LAN address ${to.host}; refused`, origin, {
      reason: 'ssrf',
      target,
    });
  }
}

async function readLimited(res: Response, maxBytes: number, url: string): Promise<Uint8Array> {
  const body = res.body;
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        throw trackerError(`tracker response exceeds ${maxBytes} bytes`, url, { reason: 'too_large', limit: maxBytes });
      }
      chunks.push(value);
    }
  } catch (err) {
    await reader.cancel().catch(() => undefined);
    throw err;
  } finally {
    reader.releaseLock();
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}

/** Result of {@link fetchBounded}. */
export interface BoundedResponse {
  /** The final URL after redirects. */
  url: string;
  status: number;
  body: Uint8Array;
}

/**
 * GETs `url` with the rules above. Rejects with `tracker_error` (HTTP status other than 200, too large,
 * refused redirect, network or TLS failure), `timeout`, or `aborted`.
 */
export async function fetchBounded(url: string, opts: FetchBoundedOptions = {}): Promise<BoundedResponse> {
  const doFetch = opts.fetch ?? globalThis.fetch;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const maxRedirects = opts.maxRedirects ?? 5;
  const maxBytes = opts.maxBytes ?? MAX_TRACKER_RESPONSE;
  const ctl = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ctl.abort();
  }, timeoutMs);
  const onAbort = (): void => ctl.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) ctl.abort();
  const origin = url;
  let current = url;
  try {
    for (let hop = 0; ; hop++) {
      // `connection: close` as libtorrent sends it: some trackers (opentracker) answer HTTP/1.1 without
      // closing and never read a second request on the same connection. Browsers drop this header.
      const headers: Record<string, string> = { 'accept-encoding': 'gzip, deflate', connection: 'close' };
      if (opts.userAgent !== undefined) headers['user-agent'] = opts.userAgent;
      const res = await doFetch(current, { method: 'GET', redirect: 'manual', signal: ctl.signal, headers });
      if (res.type === 'opaqueredirect') {
        throw trackerError('tracker redirect cannot be followed in this runtime', current, { reason: 'redirect' });
      }
      if (res.status >= 300 && res.status < 400 && res.status !== 304) {
        await res.body?.cancel().catch(() => undefined);
        const loc = res.headers.get('location');
        if (loc === null) throw trackerError(`tracker answered HTTP ${res.status} without Location`, current, { status: res.status });
        if (hop >= maxRedirects) throw trackerError(`more than ${maxRedirects} redirects`, origin, { reason: 'redirect' });
        const next = new URL(loc, current).href;
        checkRedirect(origin, next);
        current = next;
        continue;
      }
      if (res.status !== 200) {
        await res.body?.cancel().catch(() => undefined);
        throw trackerError(`tracker answered HTTP ${res.status}`, current, { status: res.status });
      }
      const body = await readLimited(res, maxBytes, current);
      return { url: current, status: res.status, body };
    }
  } catch (err) {
    if (err instanceof TorrentError) throw err;
    if (timedOut) throw new TorrentError('timeout', `tracker ${current} timed out after ${timeoutMs} ms`, { cause: err, details: { url: current } });
    if (opts.signal?.aborted) throw new TorrentError('aborted', `tracker request to ${current} aborted`, { cause: err, details: { url: current } });
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
    const msg = cause instanceof Error ? cause.message : String(cause);
    throw trackerError(`tracker request to ${current} failed: ${msg}`, current, { reason: 'network' }, err);
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
