/**
 * The HTTP(S) tracker client loaded on first use. The session holds this one: `canHandle` answers at once
 * (the scheme test needs no code), and the first announce or scrape imports ./http.js (query building,
 * bounded fetch, reply parsing: about 7 KB minified) with a dynamic `import()`. A page whose torrents list
 * only ws:// / wss:// trackers never loads it; a bundler that splits code puts it in its own chunk, and the
 * one-file browser bundle (vite.lib.config.ts) inlines it, so the behaviour is the same either way.
 *
 * The import is started once and shared; if it fails (a chunk that cannot be fetched), that call rejects
 * and the next call tries again, like any failed announce.
 */
import type { HttpTrackerOptions } from './http.js';
import type { TrackerClient } from './types.js';

/** True for `http:` and `https:` URLs, the schemes {@link createLazyHttpTrackerClient} speaks. */
export function isHttpTrackerUrl(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

/** A {@link TrackerClient} for `http:` / `https:` URLs that loads the HTTP client on its first request. */
export function createLazyHttpTrackerClient(opts: HttpTrackerOptions = {}): TrackerClient {
  let loading: Promise<TrackerClient> | undefined;
  const client = (): Promise<TrackerClient> => {
    loading ??= import('./http.js').then(
      (m) => m.createHttpTrackerClient(opts),
      (err: unknown) => {
        loading = undefined;
        throw err;
      },
    );
    return loading;
  };
  return {
    canHandle: isHttpTrackerUrl,
    announce: async (url, req, call) => (await client()).announce(url, req, call),
    scrape: async (url, hashes, call) => (await client()).scrape(url, hashes, call),
  };
}
