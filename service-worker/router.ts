/**
 * The stream service worker's logic, independent of the ServiceWorkerGlobalScope (stream-sw.ts wires it
 * to `self`), so it runs in Node tests against real MessageChannels and Responses.
 *
 * A fetch of `<prefix><infoHash>/<fileIndex>/<name>` is answered by a page that serves the torrent:
 * 1. The page to ask: the requesting client if it claimed the torrent, else the latest live claimant,
 *    else (no claim known: the worker may have been restarted and lost its memory) the first window client
 *    that answers yes to `has` within `probeTimeoutMs`. None → 503 with a message saying to open the page.
 * 2. The request (method, Range, If-Range) goes to that page with a fresh MessageChannel; the page answers
 *    a head (status/headers decided by src/stream/sw/response-head.ts, i.e. range.ts and mime.ts) within
 *    `headTimeoutMs` (504 otherwise), then body chunks, one per `pull`.
 * 3. The Response body is a ReadableStream whose pull() asks the page for one chunk: the player's
 *    reading pace is the backpressure. Cancelling the body (the player aborted the fetch, e.g. on seek)
 *    or aborting the request posts `cancel`, which closes the page's reader and its deadlines.
 * 4. While a pull waits (a piece may take long to arrive), the worker checks every `livenessMs` that the
 *    page still exists; a closed page errors the body instead of leaving it hanging.
 * Other URLs are not touched (the fetch goes to the network as usual).
 */
import { claimMessage, hasMessage, isClaimMessage, isHasReply, isPageReply, parseStreamPath, requestMessage } from '../src/stream/sw/protocol.js';
import type { PageReply, WorkerCommand } from '../src/stream/sw/protocol.js';

/** The part of a service worker Client the router uses. */
export interface ClientLike {
  readonly id: string;
  postMessage(message: unknown, transfer: Transferable[]): void;
}

/** The part of a service worker's `clients` the router uses. */
export interface ClientsLike {
  get(id: string): Promise<ClientLike | undefined>;
  /** Window clients controlled by this worker. */
  matchAll(): Promise<readonly ClientLike[]>;
}

/** Options of {@link StreamRouter}. */
export interface StreamRouterOptions {
  /** Absolute URL path prefix the worker answers, ending in '/' (e.g. '/swarmkit-stream/'). */
  prefix: string;
  clients: ClientsLike;
  /** How long a page has to answer a request's head, ms (default 10 000). */
  headTimeoutMs?: number;
  /** How long to wait for a page to answer `has`, ms (default 2 000). */
  probeTimeoutMs?: number;
  /** How often a waiting body checks that its page still exists, ms (default 5 000). */
  livenessMs?: number;
}

/** Where a request port's replies go; swapped from head handling to body handling. */
interface ReplySink {
  onReply: (r: PageReply) => void;
}

const REASONS: Readonly<Record<number, string>> = {
  400: 'malformed Range header',
  404: 'no such torrent or file in the page that serves it',
  405: 'method not allowed',
  416: 'range not satisfiable',
  500: 'the page failed to open the file',
  503: 'the page stopped serving streams',
};

function textResponse(status: number, message: string, headers: ReadonlyArray<readonly [string, string]> = []): Response {
  const h = new Headers(headers.map(([k, v]) => [k, v] as [string, string]));
  h.set('Content-Type', 'text/plain; charset=utf-8');
  h.set('X-Content-Type-Options', 'nosniff');
  return new Response(`${message}\n`, { status, headers: h });
}

/** Routes stream fetches to the pages that serve the torrents. */
export class StreamRouter {
  readonly prefix: string;
  readonly #clients: ClientsLike;
  readonly #headTimeout: number;
  readonly #probeTimeout: number;
  readonly #liveness: number;
  /** infoHash → client ids that claimed it, latest last. */
  readonly #claims = new Map<string, string[]>();

  constructor(opts: StreamRouterOptions) {
    if (!opts.prefix.startsWith('/') || !opts.prefix.endsWith('/')) throw new TypeError(`prefix must start and end with '/': ${opts.prefix}`);
    this.prefix = opts.prefix;
    this.#clients = opts.clients;
    this.#headTimeout = opts.headTimeoutMs ?? 10_000;
    this.#probeTimeout = opts.probeTimeoutMs ?? 2_000;
    this.#liveness = opts.livenessMs ?? 5_000;
  }

  /** Client ids that claimed `infoHash`, latest last (for inspection). */
  claimants(infoHash: string): readonly string[] {
    return this.#claims.get(infoHash) ?? [];
  }

  /** Handles a page → worker message (claim/unclaim). Returns false for messages that are not ours. */
  handleMessage(data: unknown, sourceId: string | undefined): boolean {
    if (!isClaimMessage(data) || sourceId === undefined) return false;
    const list = (this.#claims.get(data.infoHash) ?? []).filter((id) => id !== sourceId);
    if (data.type === 'claim') list.push(sourceId);
    if (list.length > 0) this.#claims.set(data.infoHash, list);
    else this.#claims.delete(data.infoHash);
    return true;
  }

  /**
   * The response to `request` if it is under the prefix, else undefined (let it through). `clientId` is
   * the requesting client (FetchEvent.clientId, empty for navigations).
   */
  handleFetch(request: Request, clientId: string): Promise<Response> | undefined {
    const where = parseStreamPath(new URL(request.url).pathname, this.prefix);
    if (where.kind === 'other') return undefined;
    if (where.kind === 'invalid') return Promise.resolve(textResponse(404, 'not a stream URL: expected <prefix><infoHash>/<fileIndex>/<name>'));
    const method = request.method;
    if (method !== 'GET' && method !== 'HEAD') return Promise.resolve(textResponse(405, REASONS[405]!, [['Allow', 'GET, HEAD']]));
    return this.#serve(request, method, where.infoHash, where.fileIndex, clientId);
  }

  async #serve(request: Request, method: 'GET' | 'HEAD', infoHash: string, fileIndex: number, clientId: string): Promise<Response> {
    const client = await this.#route(infoHash, clientId);
    if (!client) {
      return textResponse(503, `no open page serves torrent ${infoHash}: open (or reload) the page that added it and streams it; `
        + 'streams are answered by that page, so it must stay open');
    }
    const channel = new MessageChannel();
    const port = channel.port1;
    const msg = requestMessage({ method, infoHash, fileIndex, range: request.headers.get('Range'), ifRange: request.headers.get('If-Range') });
    const replies: ReplySink = { onReply: () => {} };
    port.addEventListener('message', (e: MessageEvent) => {
      const data: unknown = e.data;
      if (isPageReply(data)) replies.onReply(data);
    });
    port.start();
    const send = (cmd: WorkerCommand): void => port.postMessage(cmd);
    const head = await new Promise<PageReply | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), this.#headTimeout);
      replies.onReply = (r) => {
        clearTimeout(timer);
        resolve(r);
      };
      try {
        client.postMessage(msg, [channel.port2]);
      } catch {
        clearTimeout(timer);
        resolve(undefined); // the client went away between routing and posting: answered as a timeout
      }
    });
    if (head?.type !== 'head') {
      port.close();
      return textResponse(head === undefined ? 504 : 502, head === undefined ? `the page serving torrent ${infoHash} did not answer` : 'the page answered out of order');
    }
    const headers = new Headers(head.headers.map(([k, v]) => [k, v] as [string, string]));
    if (!head.body) {
      port.close();
      if (head.status >= 400 && method === 'GET') return textResponse(head.status, REASONS[head.status] ?? `error ${head.status}`, head.headers);
      return new Response(null, { status: head.status, headers });
    }
    return new Response(this.#body(port, send, replies, client.id, request.signal), { status: head.status, headers });
  }

  /** The body: one chunk per pull, from the page. */
  #body(port: MessagePort, send: (c: WorkerCommand) => void, replies: ReplySink, clientId: string, signal: AbortSignal): ReadableStream<Uint8Array> {
    let finished = false;
    let waiting: { controller: ReadableStreamDefaultController<Uint8Array>; resolve: () => void } | undefined;
    let liveness: ReturnType<typeof setInterval> | undefined;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearInterval(liveness);
      signal.removeEventListener('abort', onAbort);
      port.close();
      waiting?.resolve();
      waiting = undefined;
    };
    const fail = (message: string): void => {
      waiting?.controller.error(new Error(message));
      finish();
    };
    const onAbort = (): void => {
      if (finished) return;
      send({ type: 'cancel' });
      fail('the request was aborted');
    };
    replies.onReply = (r) => {
      const w = waiting;
      if (!w || finished) return;
      waiting = undefined;
      clearInterval(liveness);
      if (r.type === 'chunk') {
        w.controller.enqueue(r.data);
        w.resolve();
      } else if (r.type === 'end') {
        w.controller.close();
        finish();
      } else {
        fail(r.type === 'error' ? r.message : 'the page answered out of order');
      }
    };
    signal.addEventListener('abort', onAbort, { once: true });
    return new ReadableStream<Uint8Array>(
      {
        pull: (controller) => new Promise<void>((resolve) => {
          if (finished) return resolve();
          waiting = { controller, resolve };
          send({ type: 'pull' });
          liveness = setInterval(() => {
            void this.#clients.get(clientId).then((c) => {
              if (!c && waiting) fail('the page serving this stream was closed');
            });
          }, this.#liveness);
        }),
        cancel: () => {
          if (finished) return;
          send({ type: 'cancel' });
          finish();
        },
      },
      // One chunk fetched ahead hides the page round trip; more would only hold memory.
      { highWaterMark: 1 },
    );
  }

  async #route(infoHash: string, clientId: string): Promise<ClientLike | undefined> {
    const claimed = this.#claims.get(infoHash) ?? [];
    const order = claimed.includes(clientId) ? [clientId, ...[...claimed].reverse().filter((id) => id !== clientId)] : [...claimed].reverse();
    for (const id of order) {
      const c = await this.#clients.get(id);
      if (c) return c;
      this.handleMessage(claimMessage('unclaim', infoHash), id);
    }
    const found = await this.#probe(infoHash, clientId);
    if (found) this.handleMessage(claimMessage('claim', infoHash), found.id);
    return found;
  }

  /** Asks every window client whether it serves `infoHash`; the requester's yes wins, else the first. */
  async #probe(infoHash: string, clientId: string): Promise<ClientLike | undefined> {
    const all = await this.#clients.matchAll();
    if (all.length === 0) return undefined;
    const ask = (c: ClientLike): Promise<ClientLike | undefined> => new Promise((resolve) => {
      const ch = new MessageChannel();
      const done = (v: ClientLike | undefined): void => {
        clearTimeout(timer);
        ch.port1.close();
        resolve(v);
      };
      const timer = setTimeout(() => done(undefined), this.#probeTimeout);
      ch.port1.addEventListener('message', (e: MessageEvent) => {
        const data: unknown = e.data;
        done(isHasReply(data) && data.has ? c : undefined);
      });
      ch.port1.start();
      try {
        c.postMessage(hasMessage(infoHash), [ch.port2]);
      } catch {
        done(undefined);
      }
    });
    const ordered = [...all].sort((a, b) => Number(b.id === clientId) - Number(a.id === clientId));
    const answers = ordered.map(ask);
    // Prefer the requester; otherwise the first yes in client order.
    for (const a of answers) {
      const c = await a;
      if (c) return c;
    }
    return undefined;
  }
}
