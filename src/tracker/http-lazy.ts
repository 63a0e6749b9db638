/**
 * The HTTP(S) tracker client loaded on first use. The session holds this one: `canHandle` answers at once
 * (the scheme test needs no code), and the first announce or scrape loads the client (./http.js: query
 * building, bounded fetch, reply parsing, about 7 KB minified) with the `load` it was given, a dynamic
 * `import()` of a module that exports {@link createHttpTrackerClient}. The session names
 * torrent/discovery/torrent-announcer.ts, which re-exports it beside the announcer that announces to it, so
 * a page fetches both as one chunk, and a page whose torrents list only ws:// / wss:// trackers fetches
 * neither. The one-file browser bundle (vite.lib.config.ts) inlines the chunk, so the behaviour is the same
 * either way.
 *
 * The import is started once and shared (../lazy.ts); if it fails (a chunk that cannot be fetched), that
 * call rejects and the next call tries again, like any failed announce.
 */
import type { HttpTrackerOptions, createHttpTrackerClient } from './http.js';
import type { TrackerClient } from './types.js';
import { lazy } from '../lazy.js';

/** A module that exports the HTTP(S) tracker client (./http.js, or one that re-exports it). */
export interface HttpTrackerModule {
  createHttpTrackerClient: typeof createHttpTrackerClient;
}

/** True for `http:` and `https:` URLs, the schemes {@link createLazyHttpTrackerClient} speaks. */
export function isHttpTrackerUrl(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

/**
 * A {@link TrackerClient} for `http:` / `https:` URLs that loads the HTTP client on its first request.
 * @param load Imports a module exporting {@link createHttpTrackerClient} (e.g. `() => import('./http.js')`).
 */
export function createLazyHttpTrackerClient(load: () => Promise<HttpTrackerModule>, opts: HttpTrackerOptions = {}): TrackerClient {
  const client = lazy(async () => (await load()).createHttpTrackerClient(opts));
  return {
    canHandle: isHttpTrackerUrl,
    announce: async (url, req, call) => (await client()).announce(url, req, call),
    scrape: async (url, hashes, call) => (await client()).scrape(url, hashes, call),
  };
}
