// Browser bundle size (GitHub issue 5, item 4). Measured, all minified and gzipped (node:zlib, level 9),
// beside WebTorrent's dist/webtorrent.min.js gzipped in the same run:
// - the shipped file, dist-browser/swarmkit.browser.js (vite.lib.config.ts, entry bundle/browser-full.ts:
//   the whole core API, one file, dynamic imports inlined), also raw (unminified);
// - the issue's composition as an app's bundler would build it (code splitting on, lazy chunks apart):
//   Session from the browser entry (IndexedDB storage by default, WebRTC peers over the browser's own
//   RTCPeerConnection through NativePeer, found through ws:// / wss:// trackers), WebRtcTransport,
//   WebSocketTrackerClient and WebSocketPool. That is enough to add a .torrent or magnet, download and
//   verify into IndexedDB, seed, and read pieces back (TorrentHandle.readPiece). Its initial load (every
//   chunk the entry imports statically) and the lazy chunks (loaded by import() on first use: the tracker
//   announcer with the HTTP client for a torrent with http / udp trackers, the magnet phase with the
//   ut_metadata server, BEP 52, PEX; the UDP stub and simple-peer shim are never loaded in a page) are
//   reported apart and summed;
// - the same plus the stream layer (file readers, toReadableStream / blob, streamTo / streamURL and the
//   service-worker bridge), i.e. what a page that plays a file while it downloads loads;
// - the stream layer alone (dist-browser/swarmkit-stream.browser.js);
// - the modules that cost the most in the composition's initial load (from its sourcemap).
// It also checks that no DHT / UDP tracker / UDP demux module is in the main bundle.
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

interface Built {
  /** Every chunk, the entry first. */
  chunks: Rolldown.OutputChunk[];
  /** The entry and the chunks it imports statically (what a page loads before any import() runs). */
  initial: Rolldown.OutputChunk[];
}

/**
 * Builds with the library config; `entry` / `minify` / `split` override it. `split` turns code splitting on
 * with one group holding every module of the initial load, so the initial load is one chunk (no fragmenting
 * common chunks, which would each cost gzip a fresh dictionary) and each lazily imported module lands in its
 * own chunk with only what the initial chunk lacks. The initial load's modules are the ones the bundler
 * itself places in the entry chunk and the chunks it imports statically, in a build with its default code
 * splitting: a module reached statically only through a re-export the entry does not use (src/index.ts
 * re-exports parseMagnet, which only the lazily loaded magnet phase calls) stays with its lazy importer, as
 * in an app's build. (Counting every module the entry reaches through static imports, as this bench did
 * before, put such modules in the initial load.)
 */
async function buildChunks(opts: { entry?: string; minify: boolean; outDir?: string; split?: boolean }): Promise<Built> {
  const initialModules = opts.split === true ? await initialModuleIds(opts) : undefined;
  const codeSplitting = initialModules !== undefined ? { groups: [{ name: 'swarmkit', test: (id: string) => initialModules.has(id) }] } : false;
  const out = await build({
    configFile,
    logLevel: 'silent',
    build: {
      ...(opts.outDir !== undefined ? { outDir: opts.outDir } : { write: false }),
      minify: opts.minify,
      ...(opts.entry !== undefined ? { lib: { entry: opts.entry, formats: ['es'], fileName: () => 'swarmkit.browser.js' } } : {}),
      rolldownOptions: { output: { codeSplitting, minify: opts.minify } },
    },
  });
  return collect(out);
}

/** The modules in the initial load of a build with the bundler's default code splitting (see {@link buildChunks}). */
async function initialModuleIds(opts: { entry?: string; minify: boolean }): Promise<Set<string>> {
  return (await splitModuleIds(opts)).initial;
}

/**
 * The modules of a build with the bundler's default code splitting: those of the initial load, and those only
 * in lazy chunks (loaded by import() on first use). Each set holds the modules that left code in its chunks.
 */
export async function splitModuleIds(opts: { entry?: string; minify: boolean }): Promise<{ initial: Set<string>; lazy: Set<string> }> {
  const out = await build({
    configFile,
    logLevel: 'silent',
    build: {
      write: false,
      minify: opts.minify,
      ...(opts.entry !== undefined ? { lib: { entry: opts.entry, formats: ['es'], fileName: () => 'swarmkit.browser.js' } } : {}),
      rolldownOptions: { output: { codeSplitting: true, minify: opts.minify } },
    },
  });
  const built = collect(out);
  const initial = new Set<string>();
  const lazy = new Set<string>();
  for (const c of built.initial) for (const id of Object.keys(c.modules)) initial.add(id);
  for (const c of built.chunks) {
    if (built.initial.includes(c)) continue;
    for (const [id, m] of Object.entries(c.modules)) if (m.renderedLength > 0 && !initial.has(id)) lazy.add(id);
  }
  return { initial, lazy };
}

/** The chunks of a build, the entry first, and the initial load (the entry and what it imports statically). */
function collect(out: Awaited<ReturnType<typeof build>>): Built {
  const outputs = (Array.isArray(out) ? out : [out]) as Rolldown.RolldownOutput[];
  const chunks = outputs[0]?.output.filter((o): o is Rolldown.OutputChunk => o.type === 'chunk') ?? [];
  const entry = chunks.find((c) => c.isEntry);
  if (entry === undefined) throw new Error('vite build produced no entry chunk');
  const byName = new Map(chunks.map((c) => [c.fileName, c]));
  const initial = new Set<Rolldown.OutputChunk>();
  const visit = (c: Rolldown.OutputChunk): void => {
    if (initial.has(c)) return;
    initial.add(c);
    for (const f of c.imports) {
      const d = byName.get(f);
      if (d !== undefined) visit(d);
    }
  };
  visit(entry);
  return { chunks: [entry, ...chunks.filter((c) => c !== entry)], initial: [...initial] };
}

/** Gzipped bytes of the initial load and of the lazy chunks (each file gzipped on its own, as served). */
function loadSizes(b: Built): { initial: number; initialMin: number; lazy: number; lazyMin: number; lazyNames: string[] } {
  const lazyChunks = b.chunks.filter((c) => !b.initial.includes(c));
  const sum = (cs: Rolldown.OutputChunk[], f: (c: Rolldown.OutputChunk) => number): number => cs.reduce((s, c) => s + f(c), 0);
  return {
    initial: sum(b.initial, (c) => gz(c.code)),
    initialMin: sum(b.initial, (c) => Buffer.byteLength(c.code)),
    lazy: sum(lazyChunks, (c) => gz(c.code)),
    lazyMin: sum(lazyChunks, (c) => Buffer.byteLength(c.code)),
    lazyNames: lazyChunks.map((c) => `${c.fileName.replace(/-[\w-]{8}\.js$/, '')} ${kib(gz(c.code)).trim()}`),
  };
}

/**
 * Writes the issue 5 composition's entry (Session, WebRtcTransport, WebSocketTrackerClient, WebSocketPool from
 * the browser build; with `stream`, plus the stream layer) under .cache/ and returns its path.
 */
export function compositionEntry(stream = false): string {
  const cacheDir = join(root, '.cache');
  mkdirSync(cacheDir, { recursive: true });
  const full = join(root, 'bundle/browser-full.js');
  const file = join(cacheDir, stream ? 'bundle-download-stream.ts' : 'bundle-download-only.ts');
  const streamLine = stream ? `export * from '${join(root, 'bundle/browser-stream.js')}';\n` : '';
  writeFileSync(file, `export { Session, WebRtcTransport, WebSocketTrackerClient, WebSocketPool } from '${full}';\n${streamLine}`);
  return file;
}

export async function run(): Promise<void> {
  const t0 = performance.now();
  await buildChunks({ minify: true, outDir: join(root, 'dist-browser') }); // the shipped file, written to disk
  const buildMs = performance.now() - t0;
  const min = readFileSync(join(root, 'dist-browser/swarmkit.browser.js'), 'utf8');
  const map = JSON.parse(readFileSync(join(root, 'dist-browser/swarmkit.browser.js.map'), 'utf8')) as { sources: string[]; mappings: string };
  const raw = (await buildChunks({ minify: false })).chunks[0]?.code ?? '';

  // What a downloading page imports, built as an app's bundler would (tree-shaken, lazy chunks apart).
  const shakeEntry = compositionEntry();
  const streamEntry = compositionEntry(true);
  const composition = await buildChunks({ entry: shakeEntry, minify: true, split: true });
  const comp = loadSizes(composition);
  const withStream = loadSizes(await buildChunks({ entry: streamEntry, minify: true, split: true }));
  const streamChunk = (await buildChunks({ entry: join(root, 'bundle/browser-stream.ts'), minify: true })).chunks[0]?.code ?? '';

  const require = createRequire(import.meta.url);
  const wtPkg = require.resolve('webtorrent/package.json');
  const wtVersion = (JSON.parse(readFileSync(wtPkg, 'utf8')) as { version: string }).version;
  const wt = readFileSync(join(wtPkg, '../dist/webtorrent.min.js'));

  const oursGz = gz(min);
  const wtGz = gz(wt);
  const row = (name: string, rawB: string, minB: number, gzB: number): void => {
    console.log(`${name.padEnd(52)} ${rawB.padStart(10)} ${kib(minB)} ${kib(gzB)}`);
  };
  console.log(`vite build of bundle/browser-full.ts: ${buildMs.toFixed(0)} ms`);
  console.log(`${'bundle'.padEnd(52)} ${'raw'.padStart(10)} ${'minified'.padStart(10)} ${'gzip -9'.padStart(10)}`);
  row('swarmkit dist-browser/swarmkit.browser.js (one file)', kib(Buffer.byteLength(raw)), Buffer.byteLength(min), oursGz);
  row('issue 5 composition (Session+IDB+WebRTC+WS): initial', '', comp.initialMin, comp.initial);
  row('  lazy chunks (import() on first use)', '', comp.lazyMin, comp.lazy);
  row('  initial + lazy', '', comp.initialMin + comp.lazyMin, comp.initial + comp.lazy);
  console.log(`  lazy chunks: ${comp.lazyNames.join(', ')}`);
  row('composition + stream layer: initial', '', withStream.initialMin, withStream.initial);
  row('  initial + lazy', '', withStream.initialMin + withStream.lazyMin, withStream.initial + withStream.lazy);
  row('swarmkit stream layer alone (separate file)', '', Buffer.byteLength(streamChunk), gz(streamChunk));
  row(`webtorrent ${wtVersion} dist/webtorrent.min.js`, '', wt.length, wtGz);
  console.log(`ratio swarmkit/webtorrent (gzip): full file ${(oursGz / wtGz).toFixed(3)} (${oursGz} / ${wtGz} bytes), `
    + `composition initial ${(comp.initial / wtGz).toFixed(3)}, composition initial + lazy ${((comp.initial + comp.lazy) / wtGz).toFixed(3)}`);
  for (const [name, n] of [['full file', oursGz], ['issue 5 composition, initial', comp.initial], ['issue 5 composition, initial + lazy', comp.initial + comp.lazy]] as const) {
    console.log(`target ≤ ${kib(TARGET_GZIP).trim()} gzipped, ${name}: ${n <= TARGET_GZIP ? 'met' : `NOT met (over by ${kib(n - TARGET_GZIP).trim()})`}`);
  }
  const udpOnly = map.sources.filter((src) => /\/src\/dht\/|\/tracker\/udp|\/net\/udp-demux|\/session\/udp-discovery/.test(src));
  console.log(`UDP-only modules in the main bundle: ${udpOnly.length === 0 ? 'none' : udpOnly.join(', ')}`);

  // Attribution of the composition's initial load (what a page pays before anything runs).
  const per = new Map<string, number>();
  for (const c of composition.initial) {
    if (c.map === null) continue;
    for (const [src, n] of bytesPerSource(c.code, c.map)) per.set(src, (per.get(src) ?? 0) + n);
  }
  const sorted = [...per].sort((a, b) => b[1] - a[1]);
  const total = sorted.reduce((s, [, n]) => s + n, 0);
  const byArea = new Map<string, number>();
  for (const [src, n] of sorted) {
    const area = src.replace(/^(\.\.\/)+/, '').split('/').slice(0, 2).join('/').replace(/\.ts$/, '');
    byArea.set(area, (byArea.get(area) ?? 0) + n);
  }
  console.log('\ncomposition initial load, minified bytes by area:');
  for (const [area, n] of [...byArea].sort((a, b) => b[1] - a[1]).slice(0, 16)) {
    console.log(`  ${area.padEnd(40)} ${String(n).padStart(7)}  ${((100 * n) / total).toFixed(1).padStart(5)} %`);
  }
  console.log('top modules (minified bytes, from the sourcemap):');
  for (const [src, n] of sorted.slice(0, Number(process.env.BUNDLE_TOP ?? 25))) {
    console.log(`  ${src.replace(/^(\.\.\/)+/, '').padEnd(48)} ${String(n).padStart(7)}  ${((100 * n) / total).toFixed(1).padStart(5)} %`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
