// The stream service worker in real Chromium: a <video> plays and seeks a torrent file whose bytes come,
// Range request by Range request, through the worker from the page's own Session.
//
// Node builds the browser bundle (plus the stream helpers) with vite.lib.config.ts and the worker with
// service-worker/build.ts, makes a real WebM with ffmpeg, and serves page + bundle + worker + the WebM over
// loopback HTTP (http://127.0.0.1 is a secure context, so service workers work). The page creates a torrent
// from the WebM Blob, writes it into memory storage, adds it to a Session (it checks, then seeds),
// registers the worker and calls streamTo(<video>). The server answers 404 under /swarmkit-stream/ and
// counts such hits: every stream byte must come from the worker.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { chromium } from 'playwright';
import type { Browser, Page } from 'playwright';
import { chromiumArgs } from '../../vite.config.js';
import { buildStreamWorker, STREAM_WORKER_FILE } from '../../service-worker/build.js';
import { makeTestWebm } from '../unit/stream-sw/make-webm.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
let dir: string;
let server: Server | undefined;
let browser: Browser | undefined;
let page: Page;
let base: string;
let skipReason: string | undefined;
let serverStreamHits = 0;
const pageErrors: string[] = [];

interface LogEntry { method: string; range: string | null; status: number }

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmkit-sw-'));
  // 40 s at 2.5 Mbit/s (~12 MB): larger than what Chromium buffers ahead (~10 s), so a seek to the middle
  // needs a new Range request.
  skipReason = makeTestWebm(join(dir, 'clip.webm'), 40, 2500);
  if (skipReason !== undefined) return;
  const entry = join(dir, 'entry.ts');
  await writeFile(entry, [
    `export * from ${JSON.stringify(join(root, 'bundle/browser-full.ts'))};`,
    `export { registerStreamWorker, streamTo, streamURL } from ${JSON.stringify(join(root, 'src/stream/browser-file.ts'))};`,
    '',
  ].join('\n'));
  await build({
    configFile: join(root, 'vite.lib.config.ts'),
    logLevel: 'silent',
    build: { outDir: join(dir, 'out'), sourcemap: false, lib: { entry, formats: ['es'], fileName: () => 'swarmkit.js' } },
  });
  await mkdir(join(dir, 'sw'));
  await buildStreamWorker(join(dir, 'sw'));
  const files: Record<string, [string, Buffer]> = {
    '/swarmkit.js': ['text/javascript', await readFile(join(dir, 'out', 'swarmkit.js'))],
    [`/${STREAM_WORKER_FILE}`]: ['text/javascript', await readFile(join(dir, 'sw', STREAM_WORKER_FILE))],
    '/fixture/clip.webm': ['video/webm', await readFile(join(dir, 'clip.webm'))],
    '/': ['text/html', Buffer.from('<!doctype html><meta charset="utf-8"><title>swarmkit stream worker</title>'
      + '<body style="margin:0;background:#222"><video id="v" muted playsinline width="480" height="270"></video>'
      + '<script type="module">import * as m from "/swarmkit.js"; globalThis.swarmkit = m;</script></body>')],
  };
  server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path.startsWith('/swarmkit-stream/')) {
      serverStreamHits++;
      res.writeHead(404, { 'content-type': 'text/plain' }).end('the worker should have answered this\n');
      return;
    }
    const f = files[path];
    if (!f) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': f[0], 'cache-control': 'no-store' }).end(f[1]);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: chromiumArgs });
  const context = await browser.newContext({ viewport: { width: 480, height: 270 } });
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`${base}/`);
  await page.waitForFunction(() => 'swarmkit' in globalThis, undefined, { timeout: 30_000 });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

test('a <video> plays and seeks a torrent file through the service worker', async (ctx) => {
  if (skipReason !== undefined) return ctx.skip(skipReason);
  const setup = await page.evaluate(async (workerUrl) => {
    // The page sees the bundle as untyped: a structural view of what it uses.
    interface Ti { pieceCount: number; pieceLength: number; pieceSize(i: number): number; layout(): unknown; id: string }
    interface Handle { id: string; status(): { isSeeding: boolean; state: string } }
    interface Worker { responder: { stats: Record<string, number>; active: number }; prefix: string }
    const m = (globalThis as Record<string, unknown>).swarmkit as {
      CreateTorrent: new (o: object) => { addFile(f: { data: Blob; path: string }): unknown; generateInfo(): Promise<Ti> };
      createMemoryStorage(): { open(l: unknown): Promise<{ write(p: number, o: number, d: Uint8Array): Promise<void>; close(): Promise<void> }> };
      Session: new (o: object) => { addTorrent(p: { ti: Ti; savePath: string }): Promise<Handle> };
      registerStreamWorker(o: object): Promise<Worker>;
      streamTo(el: HTMLMediaElement, h: Handle, i: number): () => void;
    };
    const g = globalThis as Record<string, unknown>;
    const bytes = new Uint8Array(await (await fetch('/fixture/clip.webm')).arrayBuffer());
    const ct = new m.CreateTorrent({ version: 'v1', pieceLength: 65536 });
    ct.addFile({ data: new Blob([bytes]), path: 'clip.webm' });
    const ti = await ct.generateInfo();
    const storage = m.createMemoryStorage();
    const st = await storage.open(ti.layout());
    for (let i = 0; i < ti.pieceCount; i++) await st.write(i, 0, bytes.subarray(i * ti.pieceLength, i * ti.pieceLength + ti.pieceSize(i)));
    await st.close();
    const session = new m.Session({ storage });
    const h = await session.addTorrent({ ti, savePath: 'mem' });
    const until = Date.now() + 30_000;
    while (!h.status().isSeeding && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    const log: LogEntry[] = [];
    const finished: string[] = [];
    const worker = await m.registerStreamWorker({
      url: workerUrl,
      onRequest: (e: LogEntry) => log.push({ method: e.method, range: e.range, status: e.status }),
      onFinish: (_e: unknown, why: string) => finished.push(why),
    });
    const video = document.getElementById('v') as HTMLVideoElement;
    g.dispose = m.streamTo(video, h, 0);
    Object.assign(g, { log, finished, worker, session, handle: h });
    await video.play();
    return { seeding: h.status().isSeeding, src: video.src, pieces: ti.pieceCount, size: bytes.length, controlled: navigator.serviceWorker.controller?.scriptURL ?? null };
  }, `/${STREAM_WORKER_FILE}`);
  expect(setup.seeding).toBe(true);
  expect(setup.controlled).toContain(STREAM_WORKER_FILE);
  expect(setup.src).toMatch(new RegExp(`^${base}/swarmkit-stream/[0-9a-f]{40}/0/clip\\.webm$`));

  // Plays: currentTime advances past 2 s.
  await page.waitForFunction(() => (document.getElementById('v') as HTMLVideoElement).currentTime > 2, undefined, { timeout: 30_000 });
  await mkdir(join(root, 'test-results'), { recursive: true });
  await page.screenshot({ path: join(root, 'test-results', 'sw-video.png') });

  // Seeks to the middle and plays on from there within a bounded time.
  const mid = await page.evaluate(() => {
    const v = document.getElementById('v') as HTMLVideoElement;
    const target = Math.floor(v.duration / 2);
    v.currentTime = target;
    return { target, duration: v.duration };
  });
  expect(mid.duration).toBeGreaterThan(15);
  const t0 = Date.now();
  await page.waitForFunction((t) => {
    const v = document.getElementById('v') as HTMLVideoElement;
    return !v.seeking && !v.paused && v.currentTime > t + 1.5;
  }, mid.target, { timeout: 20_000 });
  const seekPlayMs = Date.now() - t0;
  await page.screenshot({ path: join(root, 'test-results', 'sw-video-seeked.png') });

  const r = await page.evaluate(() => {
    const g = globalThis as Record<string, unknown>;
    const v = document.getElementById('v') as HTMLVideoElement;
    return { log: g.log as LogEntry[], finished: g.finished as string[], stats: (g.worker as { responder: { stats: Record<string, number> } }).responder.stats, error: v.error?.message ?? null, time: v.currentTime };
  });
  console.log(`seek → playing in ${seekPlayMs} ms; requests: ${JSON.stringify(r.log)}; finished: ${JSON.stringify(r.finished)}; stats ${JSON.stringify(r.stats)}`);
  expect(r.error).toBeNull();
  expect(pageErrors).toEqual([]);
  expect(serverStreamHits).toBe(0);
  // Range requests came through the worker and were answered with 206 from the page.
  const ranged = r.log.filter((e) => e.range !== null);
  expect(ranged.length).toBeGreaterThanOrEqual(2);
  expect(ranged.every((e) => e.status === 206 && e.method === 'GET')).toBe(true);
  const starts = ranged.map((e) => Number(/^bytes=(\d+)-/.exec(e.range!)?.[1] ?? NaN));
  // The seek to the middle asked for bytes from around the middle of the file.
  expect(starts.some((s) => s > setup.size * 0.3 && s < setup.size * 0.7)).toBe(true);

  // Another tab (no session of its own) gets the file from the page that claimed the torrent; a torrent
  // no page serves is a 503 that says what to do.
  const tab2 = await page.context().newPage();
  tab2.on('pageerror', (e) => pageErrors.push(e.message));
  await tab2.goto(`${base}/`);
  const other = await tab2.evaluate(async (src) => {
    const res = await fetch(src, { headers: { Range: 'bytes=0-3' } });
    const body = [...new Uint8Array(await res.arrayBuffer())];
    const missing = await fetch(src.replace(/[0-9a-f]{40}/, 'f'.repeat(40)));
    return { controlled: navigator.serviceWorker.controller !== null, status: res.status, range: res.headers.get('content-range'), body, missing: missing.status, text: await missing.text() };
  }, setup.src);
  await tab2.close();
  expect(other).toMatchObject({ controlled: true, status: 206, range: `bytes 0-3/${setup.size}`, body: [0x1a, 0x45, 0xdf, 0xa3], missing: 503 });
  expect(other.text).toMatch(/no open page serves torrent f{40}/);
  expect(serverStreamHits).toBe(0);

  // Disposing detaches the element: its fetch is aborted and the page's readers close.
  const after = await page.evaluate(async () => {
    const g = globalThis as Record<string, unknown>;
    (g.dispose as () => void)();
    const w = g.worker as { responder: { active: number; stats: Record<string, number> } };
    const until = Date.now() + 10_000;
    while (w.responder.active > 0 && Date.now() < until) await new Promise((res) => setTimeout(res, 50));
    return { active: w.responder.active, stats: w.responder.stats, finished: g.finished as string[] };
  });
  expect(after.active).toBe(0);
  expect(after.stats.cancelled).toBeGreaterThanOrEqual(1);
}, 180_000);
