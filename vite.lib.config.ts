// The browser bundle: `npm run build:browser` → dist-browser/swarmkit.browser.js (one ESM file, minified,
// with a sourcemap). Entry bundle/browser-full.ts: the session with IndexedDB storage, the WebRTC transport,
// the WebSocket tracker client, NativePeer and CreateTorrent. The stream layer (file readers, range logic,
// the service-worker bridge) is a second file, built after the first with
// `vite build -c vite.lib.config.ts --mode stream` → dist-browser/swarmkit-stream.browser.js (entry
// bundle/browser-stream.ts; it shares nothing heavy with the session, so it duplicates only a few hundred
// bytes of error classes).
//
// This file inlines dynamic imports (one file for the tests and the demo to serve). An app that bundles the
// package with code splitting gets the lazy modules as their own chunks instead: the HTTP tracker client
// (src/tracker/http-lazy.ts loads src/tracker/http.ts on the first http(s) announce). The bundle-size bench
// measures both ways.
//
// src/session/udp-discovery.ts (the DHT, UDP tracker client and UDP demux) is replaced by
// bundle/no-udp-discovery.ts: browsers have no UDP, and the session only loads it for a `datagram` option.
//
// Guards (the build fails when one trips):
// - no Node built-in (`node:*`, or a bare name such as events / buffer / process / stream / crypto) and no
//   npm copy of one (buffer, events, readable-stream, ...) may be resolved;
// - every module in the output is ours or an allow-listed dependency (idb-keyval), so no shim slips in
//   through a dependency's dependency;
// - `#platform/*` resolves to src/platform/*.browser.ts, never *.node.ts.
// `simple-peer` is aliased to bundle/simple-peer-native.ts: simple-peer's Node entry needs Node's
// events/process/buffer, and its pre-built simplepeer.min.js carries browserify copies of them (28 KB gzipped).
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import type { Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/** npm packages that exist to stand in for Node built-ins in browsers. */
const shimPackages = ['buffer', 'events', 'process', 'readable-stream', 'stream-browserify', 'safe-buffer', 'string_decoder',
  'util', 'inherits', 'randombytes', 'crypto-browserify', 'path-browserify', 'os-browserify', 'assert', 'timers-browserify',
  'stream-http', 'https-browserify', 'url', 'querystring-es3', 'browserify-zlib', 'debug'];
/** Dependencies allowed in the bundle. */
const allowedPackages = ['idb-keyval'];
/**
 * Left as bare imports: web-streams-polyfill is loaded by src/stream/file-stream.ts only where a runtime lacks
 * ReadableStream (no browser we support), so bundling it would double the bundle for code that never runs.
 * An app targeting such a runtime resolves the import with its own bundler.
 */
const externalPackages = ['web-streams-polyfill'];
const builtins = new Set(builtinModules.flatMap((m) => [m, m.split('/')[0] ?? m]));

function packageOf(id: string): string | undefined {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(id.replaceAll('\\', '/'));
  return m?.[1];
}

/** Fails the build on any Node built-in, shim package, *.node.ts platform file or unlisted dependency. */
export function browserOnly(): Plugin {
  return {
    name: 'swarmkit:browser-only',
    enforce: 'pre',
    resolveId(source, importer) {
      const bare = source.split('/')[0] ?? source;
      const pkg = source.startsWith('@') ? source.split('/').slice(0, 2).join('/') : bare;
      if (source.startsWith('node:') || builtins.has(source) || builtins.has(bare) || shimPackages.includes(pkg)) {
        this.error(`Node built-in or shim "${source}" imported by ${importer ?? '?'}: the browser bundle must not contain Node code`);
      }
      return null;
    },
    generateBundle(_opts, bundle) {
      for (const out of Object.values(bundle)) {
        if (out.type !== 'chunk') continue;
        for (const id of out.moduleIds) {
          const pkg = packageOf(id);
          if (id.includes('vite-browser-external') || /\.node\.ts$/.test(id) || (pkg !== undefined && !allowedPackages.includes(pkg))) {
            this.error(`module ${id} must not be in the browser bundle (Node code, a shim, or an unlisted dependency)`);
          }
        }
        const nodeRef = /\brequire\(|["'`]node:[a-z_/]+["'`]|\bBuffer\.(?:from|alloc)\b|\bprocess\.(?:nextTick|env)\b/.exec(out.code);
        if (nodeRef !== null) this.error(`Node reference "${nodeRef[0]}" in ${out.fileName}`);
      }
    },
  };
}

/** Replaces the session's on-demand UDP discovery module (DHT, UDP trackers) with a stub that throws. */
export function noUdpDiscovery(): Plugin {
  return {
    name: 'swarmkit:no-udp-discovery',
    enforce: 'pre',
    resolveId(source, importer) {
      const from = importer?.replaceAll('\\', '/') ?? '';
      if (source === './udp-discovery.js' && from.endsWith('/src/session/discovery.ts')) return `${root}bundle/no-udp-discovery.ts`;
      return null;
    },
  };
}

/** The bundles: `--mode stream` builds the stream layer's file beside the main one. */
const bundles = {
  full: { entry: `${root}bundle/browser-full.ts`, file: 'swarmkit.browser.js' },
  stream: { entry: `${root}bundle/browser-stream.ts`, file: 'swarmkit-stream.browser.js' },
} as const;

export default defineConfig(({ mode }) => {
  const b = mode === 'stream' ? bundles.stream : bundles.full;
  return {
    root,
    publicDir: false,
    logLevel: 'warn',
    plugins: [browserOnly(), noUdpDiscovery()],
    resolve: {
      alias: [
        { find: /^#platform\/(.*)$/, replacement: `${root}src/platform/$1.browser.ts` },
        { find: /^simple-peer$/, replacement: `${root}bundle/simple-peer-native.ts` },
      ],
    },
    build: {
      outDir: 'dist-browser',
      emptyOutDir: b === bundles.full,
      sourcemap: true,
      target: 'es2022',
      minify: true,
      lib: { entry: b.entry, formats: ['es'], fileName: () => b.file },
      // One file (dynamic imports inlined), and whitespace minified too: Vite keeps it in ES library builds.
      rolldownOptions: { external: externalPackages, output: { codeSplitting: false, minify: true } },
    },
  };
});
