/**
 * The swarmkit stream service worker. Build it into one self-contained file with
 * `npx tsx service-worker/build.ts [outDir]` (→ `<outDir>/swarmkit-stream-sw.js`, default dist-browser/),
 * serve that file from your site and register it from the page with `registerStreamWorker()`
 * (src/stream/browser-file.ts). See service-worker/README.md.
 *
 * It answers fetches of `<prefix><infoHash>/<fileIndex>/<name>` from the page that holds the torrent
 * (router.ts); everything else goes to the network untouched. The prefix comes from the script URL's
 * `prefix` query parameter (registerStreamWorker sets it), default `swarmkit-stream/` under the scope.
 *
 * The built file has no import/export statements, so it can be registered as a classic or a module
 * worker.
 */
import { DEFAULT_PREFIX, normalizePrefix } from '../src/stream/sw/protocol.js';
import { StreamRouter } from './router.js';
import type { ClientLike } from './router.js';

/** The parts of ServiceWorkerGlobalScope used here (the project's lib is DOM, not WebWorker). */
interface FetchEventLike extends Event {
  readonly request: Request;
  readonly clientId: string;
  respondWith(r: Promise<Response>): void;
}
interface ExtendableEventLike extends Event {
  waitUntil(p: Promise<unknown>): void;
}
interface ExtendableMessageEventLike extends Event {
  readonly data: unknown;
  readonly source: ClientLike | null;
}
interface ServiceWorkerScopeLike {
  readonly location: { readonly href: string };
  readonly registration: { readonly scope: string };
  readonly clients: {
    get(id: string): Promise<ClientLike | undefined>;
    matchAll(opts: { type: 'window'; includeUncontrolled: boolean }): Promise<readonly ClientLike[]>;
    claim(): Promise<void>;
  };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', fn: (e: ExtendableEventLike) => void): void;
  addEventListener(type: 'fetch', fn: (e: FetchEventLike) => void): void;
  addEventListener(type: 'message', fn: (e: ExtendableMessageEventLike) => void): void;
}

const sw = globalThis as unknown as ServiceWorkerScopeLike;
const prefixParam = new URL(sw.location.href).searchParams.get('prefix');
const router = new StreamRouter({
  prefix: normalizePrefix(prefixParam ?? DEFAULT_PREFIX, sw.registration.scope),
  clients: {
    get: (id) => sw.clients.get(id),
    matchAll: () => sw.clients.matchAll({ type: 'window', includeUncontrolled: false }),
  },
});

// Take over at once: the page waits for this worker to control it before it streams.
sw.addEventListener('install', (e) => e.waitUntil(sw.skipWaiting()));
sw.addEventListener('activate', (e) => e.waitUntil(sw.clients.claim()));

sw.addEventListener('fetch', (e) => {
  const r = router.handleFetch(e.request, e.clientId);
  if (r) e.respondWith(r);
});

sw.addEventListener('message', (e) => {
  router.handleMessage(e.data, e.source?.id);
});
