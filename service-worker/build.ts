/**
 * Builds the stream service worker into one self-contained, minified file:
 *   npx tsx service-worker/build.ts [outDir]      → <outDir>/swarmkit-stream-sw.js (default dist-browser/)
 * The output has no import/export statements (valid as a classic or a module worker) and passes the
 * browser bundle's guard (no Node built-ins or shims, see vite.lib.config.ts).
 */
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'vite';
import { browserOnly } from '../vite.lib.config.js';

const here = fileURLToPath(new URL('.', import.meta.url));

/** File name of the built worker. */
export const STREAM_WORKER_FILE = 'swarmkit-stream-sw.js';

/** Builds the worker into `outDir`; resolves to the file's path. */
export async function buildStreamWorker(outDir: string, opts: { minify?: boolean } = {}): Promise<string> {
  await build({
    configFile: false,
    root: resolve(here, '..'),
    publicDir: false,
    logLevel: 'warn',
    plugins: [browserOnly()],
    build: {
      outDir,
      emptyOutDir: false,
      target: 'es2022',
      minify: opts.minify ?? true,
      sourcemap: false,
      lib: { entry: resolve(here, 'stream-sw.ts'), formats: ['es'], fileName: () => STREAM_WORKER_FILE },
      rolldownOptions: { output: { codeSplitting: false, minify: opts.minify ?? true } },
    },
  });
  return resolve(outDir, STREAM_WORKER_FILE);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const out = await buildStreamWorker(resolve(process.argv[2] ?? resolve(here, '..', 'dist-browser')));
  console.log(out);
}
