/**
 * The message protocol between the stream service worker (service-worker/) and the page that holds the
 * torrents (./responder.ts). Runtime-neutral: plain structured-clonable objects and their validators.
 *
 * Conversation for one fetch (one MessageChannel per request; the worker keeps port1, the page gets port2):
 *
 * ```
 * worker → page (client.postMessage, port transferred)  StreamRequestMessage
 * page   → worker                                       { type: 'head', status, headers, body }
 * worker → page                                         { type: 'pull' }          (body only, one at a time)
 * page   → worker                                       { type: 'chunk', data } | { type: 'end' } | { type: 'error', message }
 * worker → page                                         { type: 'cancel' }        (request aborted, e.g. a seek)
 * ```
 *
 * Backpressure: the page reads a chunk only when the worker pulls, and the worker pulls only when its
 * Response body stream wants one, so the media element's reading pace reaches the FileReader and its
 * deadlines. Chunks are copied out of the piece and their buffer transferred (posting a subarray view
 * would structured-clone the whole piece).
 *
 * Routing (several tabs): a page claims the torrents it serves (`claim` / `unclaim` messages to the worker).
 * A worker that knows no claim for a torrent (it may have been stopped and restarted, losing its memory)
 * asks its window clients with `has` and routes to the first that answers yes.
 *
 * Every message carries `ns: 'swarmkit-stream'` and a protocol version, so pages and workers ignore
 * other libraries' messages.
 */

/** Namespace tag on every message. */
export const NS = 'swarmkit-stream';
/** Protocol version; messages of another version are ignored. */
export const PROTOCOL_VERSION = 1;
/** Default URL path prefix the worker intercepts (relative to the registration scope). */
export const DEFAULT_PREFIX = 'swarmkit-stream/';

/** Asks a page to answer one fetch (worker → page, with a MessagePort). */
export interface StreamRequestMessage {
  readonly ns: typeof NS;
  readonly v: typeof PROTOCOL_VERSION;
  readonly type: 'request';
  /** 'GET' or 'HEAD'. */
  readonly method: 'GET' | 'HEAD';
  /** Info-hash id, 40 lowercase hex digits. */
  readonly infoHash: string;
  readonly fileIndex: number;
  /** The Range header, or null. */
  readonly range: string | null;
  /** The If-Range header, or null. */
  readonly ifRange: string | null;
}

/** Asks a page whether it serves a torrent (worker → page, with a MessagePort; answered with HasReply). */
export interface HasMessage {
  readonly ns: typeof NS;
  readonly v: typeof PROTOCOL_VERSION;
  readonly type: 'has';
  readonly infoHash: string;
}

/** The answer to {@link HasMessage}. */
export interface HasReply {
  readonly type: 'has-reply';
  readonly has: boolean;
}

/** Page → worker: this client serves (claim) or no longer serves (unclaim) a torrent. */
export interface ClaimMessage {
  readonly ns: typeof NS;
  readonly v: typeof PROTOCOL_VERSION;
  readonly type: 'claim' | 'unclaim';
  readonly infoHash: string;
}

/** Messages a page sends on a request's port. */
export type PageReply =
  | { readonly type: 'head'; readonly status: number; readonly headers: ReadonlyArray<readonly [string, string]>; readonly body: boolean }
  | { readonly type: 'chunk'; readonly data: Uint8Array }
  | { readonly type: 'end' }
  | { readonly type: 'error'; readonly message: string };

/** Messages a worker sends on a request's port. */
export type WorkerCommand = { readonly type: 'pull' } | { readonly type: 'cancel' };

const HASH_RE = /^[0-9a-f]{40}$/;
const INDEX_RE = /^\d{1,9}$/;

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null;
}

function ours(x: unknown): x is Record<string, unknown> {
  return isRecord(x) && x.ns === NS && x.v === PROTOCOL_VERSION;
}

/** Whether `s` is an info-hash id (40 lowercase hex digits). */
export function isInfoHashId(s: unknown): s is string {
  return typeof s === 'string' && HASH_RE.test(s);
}

function headerOrNull(x: unknown): x is string | null {
  return x === null || (typeof x === 'string' && x.length <= 4096);
}

/** Validates a worker → page request message. */
export function isStreamRequest(x: unknown): x is StreamRequestMessage {
  return ours(x) && x.type === 'request' && (x.method === 'GET' || x.method === 'HEAD') && isInfoHashId(x.infoHash)
    && typeof x.fileIndex === 'number' && Number.isSafeInteger(x.fileIndex) && x.fileIndex >= 0
    && headerOrNull(x.range) && headerOrNull(x.ifRange);
}

/** Validates a worker → page `has` message. */
export function isHasMessage(x: unknown): x is HasMessage {
  return ours(x) && x.type === 'has' && isInfoHashId(x.infoHash);
}

/** Validates a page → worker claim/unclaim message. */
export function isClaimMessage(x: unknown): x is ClaimMessage {
  return ours(x) && (x.type === 'claim' || x.type === 'unclaim') && isInfoHashId(x.infoHash);
}

/** Validates a `has` answer. */
export function isHasReply(x: unknown): x is HasReply {
  return isRecord(x) && x.type === 'has-reply' && typeof x.has === 'boolean';
}

/** Validates a page reply on a request port. */
export function isPageReply(x: unknown): x is PageReply {
  if (!isRecord(x)) return false;
  switch (x.type) {
    case 'head':
      return typeof x.status === 'number' && Number.isInteger(x.status) && x.status >= 200 && x.status <= 599
        && typeof x.body === 'boolean' && Array.isArray(x.headers)
        && x.headers.every((h) => Array.isArray(h) && h.length === 2 && typeof h[0] === 'string' && typeof h[1] === 'string');
    case 'chunk':
      return x.data instanceof Uint8Array;
    case 'end':
      return true;
    case 'error':
      return typeof x.message === 'string';
    default:
      return false;
  }
}

/** Validates a worker command on a request port. */
export function isWorkerCommand(x: unknown): x is WorkerCommand {
  return isRecord(x) && (x.type === 'pull' || x.type === 'cancel');
}

/** Builds a request message. */
export function requestMessage(m: Omit<StreamRequestMessage, 'ns' | 'v' | 'type'>): StreamRequestMessage {
  return { ns: NS, v: PROTOCOL_VERSION, type: 'request', ...m };
}

/** Builds a `has` message. */
export function hasMessage(infoHash: string): HasMessage {
  return { ns: NS, v: PROTOCOL_VERSION, type: 'has', infoHash };
}

/** Builds a claim or unclaim message. */
export function claimMessage(type: 'claim' | 'unclaim', infoHash: string): ClaimMessage {
  return { ns: NS, v: PROTOCOL_VERSION, type, infoHash };
}

/** Where a URL path points under the worker's prefix. */
export type StreamPath =
  /** Not under the prefix: the worker lets the request through. */
  | { readonly kind: 'other' }
  /** Under the prefix but not `<infoHash>/<fileIndex>[/name]`: 404. */
  | { readonly kind: 'invalid' }
  | { readonly kind: 'file'; readonly infoHash: string; readonly fileIndex: number };

/**
 * Parses a URL pathname against `prefix` (an absolute path ending in '/'): `<prefix><infoHash>/<fileIndex>/<name>`.
 * The info-hash is case-insensitive (returned lowercase); the name is cosmetic and not checked.
 */
export function parseStreamPath(pathname: string, prefix: string): StreamPath {
  if (!pathname.startsWith(prefix)) return { kind: 'other' };
  const [hash = '', index = ''] = pathname.slice(prefix.length).split('/');
  const infoHash = hash.toLowerCase();
  if (!HASH_RE.test(infoHash) || !INDEX_RE.test(index)) return { kind: 'invalid' };
  return { kind: 'file', infoHash, fileIndex: Number(index) };
}

/** The URL path of a file under `prefix`: `<prefix><infoHash>/<fileIndex>/<percent-encoded path elements>`. */
export function streamPath(prefix: string, infoHash: string, fileIndex: number, filePath: string): string {
  const name = filePath.split('/').map(encodeURIComponent).join('/');
  return `${prefix}${infoHash}/${fileIndex}/${name}`;
}

/** Normalises a prefix to an absolute path ending in '/', resolved against `base` (a URL). */
export function normalizePrefix(prefix: string, base: string): string {
  const path = new URL(prefix, base).pathname;
  return path.endsWith('/') ? path : `${path}/`;
}
