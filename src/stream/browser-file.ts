/**
 * Stream torrent files into `<video>`, `<audio>` or `<img>` in browsers, through the stream service worker
 * (service-worker/): the element fetches `<prefix><infoHash>/<fileIndex>/<name>` with Range requests,
 * the worker forwards them to this page, and this page answers from its session (./sw/responder.ts).
 *
 * ```ts
 * await registerStreamWorker({ url: '/swarmkit-stream-sw.js' });
 * const stop = streamTo(videoEl, handle, 0);   // sets videoEl.src; stop() detaches and releases it
 * ```
 *
 * The page must stay open while it streams (it holds the torrent); other tabs of the same origin can use
 * the URL too, and are answered by the page that claimed the torrent. The worker's scope must cover the
 * page (serve the worker from the site root, or send `Service-Worker-Allowed`).
 */
import { TorrentError } from '../errors.js';
import type { TorrentHandle } from '../session/torrent-handle.js';
import { handleStreamSource } from './handle-source.js';
import type { HandleSourceOptions } from './handle-source.js';
import type { StreamFileInfo, StreamProvider, StreamTorrentInfo } from './provider.js';
import { DEFAULT_PREFIX, claimMessage, normalizePrefix, streamPath } from './sw/protocol.js';
import { StreamResponder } from './sw/responder.js';
import type { StreamResponderOptions } from './sw/responder.js';

/** Options of {@link registerStreamWorker}. */
export interface RegisterStreamWorkerOptions extends StreamResponderOptions, HandleSourceOptions {
  /** URL of the built worker file (service-worker/build.ts output), e.g. '/swarmkit-stream-sw.js'. */
  url: string | URL;
  /** Registration scope; must cover this page (default: the worker file's directory). */
  scope?: string;
  /** Path prefix of stream URLs, resolved against the scope (default 'swarmkit-stream/'). */
  prefix?: string;
  /**
   * Worker script type (default 'classic': the built file has no imports and classic workers register
   * in every browser; pass 'module' to serve an unbundled ES module build).
   */
  type?: 'classic' | 'module';
  /** Serve every torrent this provider lists (e.g. sessionStreamProvider(session)). */
  provider?: StreamProvider;
  /** The container to register with (default navigator.serviceWorker). */
  container?: ServiceWorkerContainer;
  /** How long to wait for the worker to control the page, ms (default 15 000). */
  timeoutMs?: number;
}

/** A registered stream worker answering from this page. */
export interface StreamWorker {
  readonly registration: ServiceWorkerRegistration;
  /** Absolute path prefix of stream URLs, e.g. '/swarmkit-stream/'. */
  readonly prefix: string;
  /** The page-side responder (its `stats` and `active` count requests). */
  readonly responder: StreamResponder;
  /**
   * Serves a handle's torrent, or `provider`'s torrents, from this page: claims `infoHash` (or the handle's
   * torrent, or every torrent the provider lists now) with the worker so requests from any tab come here.
   * Returns the release function.
   */
  serve(target: StreamProvider | TorrentHandle, infoHash?: string): () => void;
  /** The absolute URL of a file a served provider knows; throws invalid_argument otherwise. */
  url(infoHash: string, fileIndex: number): string;
  /** Stops answering (open streams end), releases every claim; the registration stays. Idempotent. */
  close(): void;
}

let defaultWorker: StreamWorker | undefined;

function isHandle(x: TorrentHandle | StreamProvider): x is TorrentHandle {
  return typeof (x as Partial<TorrentHandle>).torrentFile === 'function';
}

/** A single-torrent provider over a handle. */
function handleProvider(handle: TorrentHandle, opts: HandleSourceOptions): StreamProvider {
  const info = (): StreamTorrentInfo | undefined => {
    const ti = handle.isValid() ? handle.torrentFile() : undefined;
    if (!ti) return undefined;
    const files: StreamFileInfo[] = [];
    ti.files.forEach((f, index) => {
      if (!f.pad) files.push({ index, path: f.path.join('/'), length: f.length });
    });
    return { infoHash: handle.id, name: ti.name, files };
  };
  return {
    listTorrents: () => {
      const t = info();
      return t ? [t] : [];
    },
    getTorrent: (infoHash) => (infoHash === handle.id ? info() : undefined),
    getSource: (infoHash, fileIndex) => {
      const t = infoHash === handle.id ? info() : undefined;
      if (!t?.files.some((f) => f.index === fileIndex)) return undefined;
      return handleStreamSource(handle, fileIndex, opts);
    },
  };
}

function waitForControl(container: ServiceWorkerContainer, scriptURL: string, timeoutMs: number): Promise<void> {
  const ours = (): boolean => container.controller?.scriptURL === scriptURL;
  if (ours()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (err?: Error): void => {
      clearTimeout(timer);
      container.removeEventListener('controllerchange', check);
      if (err) reject(err);
      else resolve();
    };
    const check = (): void => {
      if (ours()) done();
    };
    const timer = setTimeout(() => done(new TorrentError('timeout', `the stream worker ${scriptURL} did not take control of this page within ${timeoutMs} ms`)), timeoutMs);
    container.addEventListener('controllerchange', check);
    check();
  });
}

/**
 * Registers the stream service worker, waits until it controls this page, and answers its requests
 * from this page. The returned worker becomes the default of {@link streamURL} and {@link streamTo}.
 */
export async function registerStreamWorker(opts: RegisterStreamWorkerOptions): Promise<StreamWorker> {
  const container = opts.container ?? (typeof navigator === 'undefined' ? undefined : navigator.serviceWorker);
  if (!container) throw new TorrentError('not_supported', 'service workers are not available here (they need a secure context: https, localhost or 127.0.0.1)');
  const base = typeof location === 'undefined' ? undefined : location.href;
  const script = new URL(opts.url, base);
  const scope = new URL(opts.scope ?? './', script).href;
  if (base !== undefined && !base.startsWith(scope)) {
    throw new TorrentError('invalid_argument', `the worker scope ${scope} does not cover this page ${base}; serve the worker higher up or pass a scope that covers the page`);
  }
  const prefix = normalizePrefix(opts.prefix ?? DEFAULT_PREFIX, scope);
  script.searchParams.set('prefix', prefix);

  const providers: StreamProvider[] = [];
  if (opts.provider) providers.push(opts.provider);
  const combined: StreamProvider = {
    listTorrents: () => {
      const seen = new Map<string, StreamTorrentInfo>();
      for (const p of providers) for (const t of p.listTorrents()) if (!seen.has(t.infoHash)) seen.set(t.infoHash, t);
      return [...seen.values()];
    },
    getTorrent: (ih) => {
      for (const p of providers) {
        const t = p.getTorrent(ih);
        if (t) return t;
      }
      return undefined;
    },
    getSource: (ih, i) => {
      for (const p of providers) {
        const s = p.getSource(ih, i);
        if (s) return s;
      }
      return undefined;
    },
  };
  const responder = new StreamResponder(combined, opts);
  const onMessage = (e: MessageEvent): void => {
    responder.handleMessage(e.data, e.ports);
  };
  container.addEventListener('message', onMessage);
  container.startMessages();

  /** infoHash → number of serve() calls claiming it. */
  const claims = new Map<string, number>();
  const post = (type: 'claim' | 'unclaim', ih: string): void => container.controller?.postMessage(claimMessage(type, ih));
  const reclaim = (): void => {
    for (const ih of claims.keys()) post('claim', ih);
  };

  let registration: ServiceWorkerRegistration;
  try {
    registration = await container.register(script.href, { scope, type: opts.type ?? 'classic' });
    await waitForControl(container, script.href, opts.timeoutMs ?? 15_000);
  } catch (err) {
    container.removeEventListener('message', onMessage);
    throw err;
  }
  // A new worker version (or a restarted one) gets the claims again.
  container.addEventListener('controllerchange', reclaim);
  let closed = false;

  const worker: StreamWorker = {
    registration,
    prefix,
    responder,
    serve(target, infoHash) {
      if (closed) throw new TorrentError('invalid_argument', 'the stream worker was closed');
      const provider = isHandle(target) ? handleProvider(target, opts) : target;
      providers.push(provider);
      const hashes = infoHash !== undefined ? [infoHash.toLowerCase()] : provider.listTorrents().map((t) => t.infoHash);
      for (const ih of hashes) {
        const n = claims.get(ih) ?? 0;
        claims.set(ih, n + 1);
        if (n === 0) post('claim', ih);
      }
      let released = false;
      return () => {
        if (released || closed) return;
        released = true;
        const at = providers.indexOf(provider);
        if (at >= 0) providers.splice(at, 1);
        for (const ih of hashes) {
          const n = (claims.get(ih) ?? 1) - 1;
          if (n > 0) claims.set(ih, n);
          else {
            claims.delete(ih);
            post('unclaim', ih);
          }
        }
      };
    },
    url(infoHash, fileIndex) {
      const ih = infoHash.toLowerCase();
      const file = combined.getTorrent(ih)?.files.find((f) => f.index === fileIndex);
      if (!file) throw new TorrentError('invalid_argument', `no served torrent ${ih} with file ${fileIndex}`, { details: { infoHash: ih, fileIndex } });
      return new URL(streamPath(prefix, ih, fileIndex, file.path), scope).href;
    },
    close() {
      if (closed) return;
      closed = true;
      responder.close();
      for (const ih of claims.keys()) post('unclaim', ih);
      claims.clear();
      providers.length = 0;
      container.removeEventListener('message', onMessage);
      container.removeEventListener('controllerchange', reclaim);
      if (defaultWorker === worker) defaultWorker = undefined;
    },
  };
  defaultWorker = worker;
  return worker;
}

/** Options of {@link streamURL} and {@link streamTo}. */
export interface StreamURLOptions {
  /** The worker to use (default: the latest registerStreamWorker()). */
  worker?: StreamWorker;
}

/** A URL with the function that releases it (stops serving the torrent from this page for it). */
export interface ServedURL {
  readonly url: string;
  release(): void;
}

function workerOf(opts: StreamURLOptions | undefined): StreamWorker {
  const w = opts?.worker ?? defaultWorker;
  if (!w) throw new TorrentError('invalid_argument', 'no stream worker: await registerStreamWorker({ url }) first');
  return w;
}

function serveURL(target: TorrentHandle | StreamProvider, rest: ReadonlyArray<unknown>): ServedURL {
  let infoHash: string;
  let fileIndex: number;
  let opts: StreamURLOptions | undefined;
  const w0 = (o: unknown): StreamURLOptions | undefined => (typeof o === 'object' && o !== null ? (o as StreamURLOptions) : undefined);
  if (isHandle(target)) {
    infoHash = target.id;
    fileIndex = rest[0] as number;
    opts = w0(rest[1]);
  } else {
    infoHash = String(rest[0]).toLowerCase();
    fileIndex = rest[1] as number;
    opts = w0(rest[2]);
  }
  const worker = workerOf(opts);
  const release = worker.serve(target, infoHash);
  try {
    return { url: worker.url(infoHash, fileIndex), release };
  } catch (err) {
    release();
    throw err;
  }
}

/**
 * The URL of file `fileIndex` of the handle's torrent (or of `infoHash` in `provider`), served from this
 * page through the stream worker for as long as the page lives. Use {@link streamTo} to release it.
 */
export function streamURL(handle: TorrentHandle, fileIndex: number, opts?: StreamURLOptions): string;
export function streamURL(provider: StreamProvider, infoHash: string, fileIndex: number, opts?: StreamURLOptions): string;
export function streamURL(target: TorrentHandle | StreamProvider, ...rest: unknown[]): string {
  return serveURL(target, rest).url;
}

/**
 * Streams a file into a media element: sets its `src` to the file's stream URL. Returns the disposer,
 * which detaches the element (aborting its fetches, which closes their readers) and releases the claim.
 */
export function streamTo(el: HTMLMediaElement, handle: TorrentHandle, fileIndex: number, opts?: StreamURLOptions): () => void;
export function streamTo(el: HTMLMediaElement, provider: StreamProvider, infoHash: string, fileIndex: number, opts?: StreamURLOptions): () => void;
export function streamTo(el: HTMLMediaElement, target: TorrentHandle | StreamProvider, ...rest: unknown[]): () => void {
  const served = serveURL(target, rest);
  el.src = served.url;
  let disposed = false;
  return () => {
    if (disposed) return;
    disposed = true;
    if (el.src === served.url) {
      el.removeAttribute('src');
      el.load();
    }
    served.release();
  };
}
