// The web demo's build (demo/web → demo/dist): the page imports the library from source (entry/browser.ts),
// built with the browser bundle's guards (vite.lib.config.ts: no Node code, no shims, #platform/* → *.browser.ts,
// simple-peer → the native RTCPeerConnection peer). demo/server/build-web.ts runs it and adds the stream worker.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { browserOnly, noUdpDiscovery } from '../vite.lib.config.js';

const repo = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
  root: `${repo}demo/web`,
  base: '/',
  publicDir: false,
  logLevel: 'warn',
  plugins: [browserOnly(), noUdpDiscovery()],
  resolve: {
    alias: [
      { find: /^#platform\/(.*)$/, replacement: `${repo}src/platform/$1.browser.ts` },
      { find: /^simple-peer$/, replacement: `${repo}bundle/simple-peer-native.ts` },
    ],
  },
  build: {
    outDir: `${repo}demo/dist`,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // web-streams-polyfill is imported only where ReadableStream is missing (never in a browser we support).
    rolldownOptions: { external: ['web-streams-polyfill'] },
  },
});
