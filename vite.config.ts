// One config for the tests (Vitest projects "node", "browser", "interop") and the demo build.
// #platform/* resolves to *.node.ts or *.browser.ts here, as package.json "imports" does for dist/.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';

const root = fileURLToPath(new URL('.', import.meta.url));
const platform = (runtime: 'node' | 'browser') => [
  { find: /^#platform\/(.*)$/, replacement: `${root}src/platform/$1.${runtime}.ts` },
];

/** Flags Debian's Chromium needs here: root, no GPU, and a closed network it must not keep probing. */
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export default defineConfig({
  root,
  resolve: { alias: platform('browser') },
  build: { outDir: 'demo/dist', emptyOutDir: true },
  test: {
    projects: [
      {
        resolve: { alias: platform('node') },
        test: {
          name: 'node',
          environment: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.browser.test.ts', 'test/interop/**'],
          // e2e tests here run real sockets, WebRTC and Chromium on a loaded 2-core machine: one retry, as below.
          retry: 1,
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        resolve: { alias: platform('node') },
        test: {
          name: 'interop',
          environment: 'node',
          // Real external programs on a loaded 2-core machine: one retry absorbs scheduling flakes; a test
          // that fails twice still fails the run (known flakes are listed in the issue notes).
          retry: 1,
          include: ['test/interop/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        resolve: { alias: platform('browser') },
        optimizeDeps: { include: ['idb-keyval', 'fast-check', 'simple-peer/simplepeer.min.js'] },
        test: {
          name: 'browser',
          include: ['test/**/*.browser.test.ts'],
          // Real Chromium (WebRTC, IndexedDB) on a loaded 2-core machine: one retry, as for interop.
          retry: 1,
          testTimeout: 60_000,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({ launchOptions: { executablePath: chromiumPath, args: chromiumArgs } }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});
