// Browser bundle size (GitHub issue 5, item 4): builds dist-browser/swarmkit.browser.js with
// vite.lib.config.ts (the full bundle: session + IndexedDB storage + WebRTC transport + WebSocket tracker
// client + CreateTorrent and the rest of the core API), reports raw (unminified), minified and gzipped
// (node:zlib, level 9) sizes beside WebTorrent's dist/webtorrent.min.js gzipped in the same run, the ratio,
// the size of the issue's composition (a tree-shaken build of Session with IndexedDB + WebRTC + WebSocket
// tracker), the separate stream-layer bundle (dist-browser/swarmkit-stream.browser.js), and the modules
// that cost the most. It also checks that no DHT / UDP tracker / UDP demux module is in the main bundle.
// Runnable alone: npx tsx test/bench/bundle-size.bench.ts
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import type { Rolldown } from 'vite';
import { bytesPerSource } from './sourcemap-sizes.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const configFile = join(root, 'vite.lib.config.ts');
/** The goal from issue 5: at most 48 KB gzipped (WebTorrent's browser build was 64.6 KB). */
const TARGET_GZIP = 48 * 1024;

const gz = (b: Uint8Array | string): number => gzipSync(b, { level: 9 }).length;
const kib = (n: number): string => `${(n / 1024).toFixed(1)} KiB`.padStart(10);

/** Builds with the library config; `overrides` changes entry / minification; returns the one chunk. */
async function buildChunk(opts: { entry?: string; minify: boolean; outDir?: string }): Promise<Rolldown.OutputChunk> {
  const out = await build({
    configFile,
    logLevel: 'silent',
    build: {
      ...(opts.outDir !== undefined ? { outDir: opts.outDir } : { write: false }),
      minify: opts.minify,
      ...(opts.entry !== undefined ? { lib: { entry: opts.entry, formats: ['es'], fileName: () => 'swarmkit.browser.js' } } : {}),
      rolldownOptions: { output: { codeSplitting: false, minify: opts.minify } },
    },
  });
  const outputs = (Array.isArray(out) ? out : [out]) as Rolldown.RolldownOutput[];
  const chunk = outputs.flatMap((o) => o.output).find((o): o is Rolldown.OutputChunk => o.type === 'chunk');
  if (chunk === undefined) throw new Error('vite build produced no chunk');
  return chunk;
}

export async function run(): Promise<void> {
  const t0 = performance.now();
  await buildChunk({ minify: true, outDir: join(root, 'dist-browser') }); // the shipped file, written to disk
  const buildMs = performance.now() - t0;
  const min = readFileSync(join(root, 'dist-browser/swarmkit.browser.js'), 'utf8');
  const map = JSON.parse(readFileSync(join(root, 'dist-browser/swarmkit.browser.js.map'), 'utf8')) as { sources: string[]; mappings: string };
  const raw = (await buildChunk({ minify: false })).code;

  // A tree-shaken build of what a downloading page imports, to show unused exports fall away.
  const cacheDir = join(root, '.cache');
  mkdirSync(cacheDir, { recursive: true });
  const shakeEntry = join(cacheDir, 'bundle-download-only.ts');
  writeFileSync(shakeEntry, `export { Session, WebRtcTransport, WebSocketTrackerClient, WebSocketPool } from '${join(root, 'bundle/browser-full.js')}';\n`);
  const shaken = (await buildChunk({ entry: shakeEntry, minify: true })).code;
  const streamChunk = (await buildChunk({ entry: join(root, 'bundle/browser-stream.ts'), minify: true })).code;

  const require = createRequire(import.meta.url);
  const wtPkg = require.resolve('webtorrent/package.json');
  const wtVersion = (JSON.parse(readFileSync(wtPkg, 'utf8')) as { version: string }).version;
  const wt = readFileSync(join(wtPkg, '../dist/webtorrent.min.js'));

  const oursGz = gz(min);
  const wtGz = gz(wt);
  console.log(`vite build of bundle/browser-full.ts: ${buildMs.toFixed(0)} ms`);
  console.log(`${'bundle'.padEnd(44)} ${'raw'.padStart(10)} ${'minified'.padStart(10)} ${'gzip -9'.padStart(10)}`);
  console.log(`${'swarmkit dist-browser/swarmkit.browser.js'.padEnd(44)} ${kib(Buffer.byteLength(raw))} ${kib(Buffer.byteLength(min))} ${kib(oursGz)}`);
  console.log(`${'swarmkit issue 5 (Session+IDB+WebRTC+WS)'.padEnd(44)} ${''.padStart(10)} ${kib(Buffer.byteLength(shaken))} ${kib(gz(shaken))}`);
  console.log(`${'swarmkit stream layer (separate file)'.padEnd(44)} ${''.padStart(10)} ${kib(Buffer.byteLength(streamChunk))} ${kib(gz(streamChunk))}`);
  console.log(`${`webtorrent ${wtVersion} dist/webtorrent.min.js`.padEnd(44)} ${''.padStart(10)} ${kib(wt.length)} ${kib(wtGz)}`);
  console.log(`ratio swarmkit/webtorrent (gzip): ${(oursGz / wtGz).toFixed(3)} (${oursGz} / ${wtGz} bytes)`);
  for (const [name, n] of [['full bundle', oursGz], ['issue 5 composition', gz(shaken)]] as const) {
    console.log(`target ≤ ${kib(TARGET_GZIP).trim()} gzipped, ${name}: ${n <= TARGET_GZIP ? 'met' : `NOT met (over by ${kib(n - TARGET_GZIP).trim()})`}`);
  }
  const udpOnly = map.sources.filter((src) => /\/src\/dht\/|\/tracker\/udp|\/net\/udp-demux|\/session\/udp-discovery/.test(src));
  console.log(`UDP-only modules in the main bundle: ${udpOnly.length === 0 ? 'none' : udpOnly.join(', ')}`);

  const per = [...bytesPerSource(min, map)].sort((a, b) => b[1] - a[1]);
  const total = per.reduce((s, [, n]) => s + n, 0);
  const byArea = new Map<string, number>();
  for (const [src, n] of per) {
    const area = src.replace(/^(\.\.\/)+/, '').split('/').slice(0, 2).join('/').replace(/\.ts$/, '');
    byArea.set(area, (byArea.get(area) ?? 0) + n);
  }
  console.log('\nminified bytes by area:');
  for (const [area, n] of [...byArea].sort((a, b) => b[1] - a[1]).slice(0, 16)) {
    console.log(`  ${area.padEnd(40)} ${String(n).padStart(7)}  ${((100 * n) / total).toFixed(1).padStart(5)} %`);
  }
  console.log('top modules (minified bytes, from the sourcemap):');
  for (const [src, n] of per.slice(0, 25)) {
    console.log(`  ${src.replace(/^(\.\.\/)+/, '').padEnd(48)} ${String(n).padStart(7)}  ${((100 * n) / total).toFixed(1).padStart(5)} %`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
