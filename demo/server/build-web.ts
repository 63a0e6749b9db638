/**
 * Builds the web demo: the page (demo/vite.config.ts, Vite) and the stream service worker
 * (service-worker/build.ts) into one folder, served as static files by demo/server/demo-server.ts.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { buildStreamWorker } from '../../service-worker/build.js';

const demoDir = fileURLToPath(new URL('..', import.meta.url));

/** The default output folder, demo/dist. */
export const DEFAULT_WEB_OUT = `${demoDir}dist`;

/** Builds page + worker into `outDir` (emptied first). Resolves `outDir`. */
export async function buildWeb(outDir: string = DEFAULT_WEB_OUT): Promise<string> {
  await build({ configFile: `${demoDir}vite.config.ts`, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  await buildStreamWorker(outDir);
  return outDir;
}
