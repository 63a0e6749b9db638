/**
 * Code loaded on first use (no imports, runtime-neutral). A page's bundler puts what a dynamic `import()`
 * names in its own chunk, fetched only when that code is first needed: the magnet metadata phase (with the
 * ut_metadata server), the BEP 52 (v2) machinery (hash serving and the piece-layer fetcher with their codec:
 * torrent/discovery/bep52-wire.ts), PEX (torrent/discovery/pex.ts), the UDP socket and DHT start
 * (session/udp-start.ts), the tracker announcer with the HTTP tracker client (for http / udp trackers:
 * torrent/discovery/torrent-announcer.ts). The one-file browser bundle (vite.lib.config.ts) inlines
 * those chunks, so the behaviour is the same either way, one microtask later. (The IP filter is not among
 * them: its API is synchronous. The session imports only its types, so the class is bundled only when the
 * application imports IPFilter; see session/ip-filter-default.ts.)
 */

/** A loader made by {@link lazy}: calling it loads; `loaded` is the module once a load has succeeded. */
export interface LazyLoader<T> {
  (): Promise<T>;
  /** The loaded value, set before any caller's continuation runs; undefined until a load succeeded. */
  readonly loaded: T | undefined;
}

/**
 * A loader for `load()` (a dynamic import): the import starts on the first call and its promise is shared
 * by every call; if it fails (a chunk that cannot be fetched), that call rejects and the next one retries.
 * Once loaded, `loaded` hands the module out synchronously, so callers need no cache of their own.
 */
export function lazy<T>(load: () => Promise<T>): LazyLoader<T> {
  let loading: Promise<T> | undefined;
  let value: T | undefined;
  const loader = (): Promise<T> =>
    (loading ??= load().then(
      (v) => (value = v),
      (err: unknown) => {
        loading = undefined;
        throw err;
      },
    ));
  return Object.defineProperty(loader, 'loaded', { get: () => value }) as LazyLoader<T>;
}
