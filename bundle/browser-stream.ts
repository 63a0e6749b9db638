/**
 * The stream layer's browser bundle (dist-browser/swarmkit-stream.browser.js, `vite build -c
 * vite.lib.config.ts --mode stream`): file readers with deadline windows, range logic and the
 * service-worker bridge (registerStreamWorker / streamURL / streamTo). It takes a Session and
 * TorrentHandle from the main bundle (swarmkit.browser.js) as arguments and imports nothing from it, so
 * a page that does not stream loads only the main file.
 */
export * from '../src/stream/index.js';
