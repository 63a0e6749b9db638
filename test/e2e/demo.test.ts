// The web demo that `npm start` serves (demo/server/demo-server.ts), end to end in Debian's Chromium:
// the page downloads the sample WebM from the Node seed over WebRTC (peers through our tracker) and plays
// it while downloading through the stream service worker; a seek to the middle plays again within a
// bounded time. Then a file is seeded from the page (its name holds markup, which must show as text)
// and a second tab opens the share URL (#magnet=...) and downloads it from the first tab through the
// same tracker. A screenshot goes to test-results/demo.png. Afterwards: no RTCPeerConnections on the
// seed, no sockets, servers or timers left in this process.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright';
import type { Browser, Page } from 'playwright';
import { chromiumArgs } from '../../vite.config.js';
import { startDemo } from '../../demo/server/demo-server.js';
import type { DemoServer } from '../../demo/server/demo-server.js';
import { expectNoLeaks, resources } from './helpers/swarm.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
let dir: string;
let before: string[];
let demo: DemoServer | undefined;
let browser: Browser | undefined;
const pageErrors: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmkit-demo-'));
  before = resources();
  demo = await startDemo({ port: 0, webDir: join(dir, 'web') });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    // Chromium hides host candidates behind mDNS names unless told not to; Node's WebRTC cannot resolve those.
    args: [...chromiumArgs, '--disable-features=WebRtcHideLocalIpsWithMdns'],
  });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await demo?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

const watch = (p: Page, tag: string): Page => {
  p.on('pageerror', (e) => pageErrors.push(`${tag}: ${e.message}`));
  p.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(`${tag} console: ${m.text()}`);
  });
  return p;
};

test('npm start demo: plays the sample over WebRTC while downloading, seeks, seeds a dropped file to another tab', async () => {
  const d = demo!;
  expect(d.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  const context = await browser!.newContext({ viewport: { width: 1180, height: 860 } });
  const page = watch(await context.newPage(), 'tab1');
  await page.goto(d.url);

  // Plays while downloading: currentTime passes 2 s before the whole file is there is not guaranteed on a
  // fast loopback, so only the playing is asserted; the bytes came from the seed (it has upload).
  await page.waitForFunction(() => (document.getElementById('video') as HTMLVideoElement).currentTime > 2, undefined, { timeout: 60_000 });

  const mid = await page.evaluate(() => {
    const v = document.getElementById('video') as HTMLVideoElement;
    const target = Math.floor(v.duration / 2);
    v.currentTime = target;
    return { target, duration: v.duration };
  });
  expect(mid.duration).toBeGreaterThan(30);
  const t0 = Date.now();
  await page.waitForFunction((t) => {
    const v = document.getElementById('video') as HTMLVideoElement;
    return !v.seeking && !v.paused && v.currentTime > t + 1.5;
  }, mid.target, { timeout: 20_000 });
  const seekMs = Date.now() - t0;

  // The list shows the sample; the seed uploaded it (the page has no transport but WebRTC).
  await page.waitForFunction(() => document.querySelector('#torrent-rows tr td.name')?.textContent === 'swarmkit-sample.webm', undefined, { timeout: 10_000 });
  const row = await page.$$eval('#torrent-rows tr:first-child td', (tds) => tds.map((td) => td.textContent ?? ''));
  expect(row[0]).toBe('swarmkit-sample.webm');
  expect(row[1]).toBe('12.0 MiB');
  expect(d.seed.getTorrents()[0]?.status().totalPayloadUpload).toBeGreaterThan(1_000_000);

  // Seed a file from the page; its name is markup and must stay text (the log shows it as given).
  const name = '<img src=x onerror=alert(1)><b>hi</b>.bin';
  const data = Buffer.alloc(300_000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7919) & 0xff;
  await page.setInputFiles('#file', { name, mimeType: 'application/octet-stream', buffer: data });
  await page.waitForSelector('#shared:not([hidden])', { timeout: 30_000 });
  const shareUrl = await page.$eval('#share-url', (a) => (a as HTMLAnchorElement).href);
  expect(shareUrl.startsWith(`${d.url}#magnet=`)).toBe(true);
  expect(await page.$eval('#magnet', (i) => (i as HTMLInputElement).value)).toMatch(/^magnet:\?xt=urn:btih:[0-9a-f]{40}/);

  // The library makes the name safe as a path (markup characters become '_'); the list shows that name.
  const shown = await page.waitForFunction(() => [...document.querySelectorAll('#torrent-rows td.name')].map((td) => td.textContent ?? '').find((t) => t.includes('onerror')), undefined, { timeout: 10_000 })
    .then((h) => h.jsonValue());
  expect(shown).toMatch(/^_img src=x onerror=alert\(1\)__b_hi_/);
  const tab2 = watch(await context.newPage(), 'tab2');
  await tab2.goto(shareUrl);
  await tab2.waitForFunction((n) => {
    const r = [...document.querySelectorAll('#torrent-rows tr')].find((tr) => tr.querySelector('td.name')?.textContent === n);
    return r?.children[3]?.textContent === 'seeding';
  }, shown, { timeout: 45_000 }).catch(async (err: unknown) => {
    const dump = async (p: Page): Promise<string> => p.evaluate(() => JSON.stringify({
      rows: [...document.querySelectorAll('#torrent-rows tr')].map((tr) => tr.textContent),
      log: [...document.querySelectorAll('#log li')].map((li) => li.textContent),
      torrents: (globalThis as unknown as { swarmkitDemo: { session: { getTorrents(): Array<{ name(): string; status(): { state: string; numPeers: number; hasMetadata: boolean }; trackers(): unknown[] }> } } }).swarmkitDemo.session.getTorrents()
        .map((h) => ({ name: h.name(), state: h.status().state, peers: h.status().numPeers, meta: h.status().hasMetadata, trackers: h.trackers() })),
    }));
    throw new Error(`tab2 did not finish: pageErrors ${JSON.stringify(pageErrors)} tab1 ${await dump(page)} tab2 ${await dump(tab2)}`, { cause: err });
  });
  const got = await tab2.evaluate(async () => {
    const s = (globalThis as unknown as { swarmkitDemo: { session: { getTorrents(): Array<{ torrentFile(): { pieceCount: number } | undefined; readPiece(i: number): Promise<Uint8Array> }> } } }).swarmkitDemo.session;
    const h = s.getTorrents()[0]!;
    const parts: number[] = [];
    for (let i = 0; i < h.torrentFile()!.pieceCount; i++) parts.push(...await h.readPiece(i));
    return { bytes: parts, imgs: document.querySelectorAll('img').length, bold: document.querySelectorAll('b').length };
  });
  expect(Buffer.from(got.bytes).equals(data)).toBe(true);
  expect(got).toMatchObject({ imgs: 0, bold: 0 });
  expect(await page.evaluate(() => document.querySelectorAll('img, b').length)).toBe(0);

  // Let the chart gather a few samples, then the picture.
  await page.waitForTimeout(1500);
  await mkdir(join(root, 'test-results'), { recursive: true });
  await page.screenshot({ path: join(root, 'test-results', 'demo.png') });
  console.log(`seek → playing in ${seekMs} ms; row ${JSON.stringify(row)}`);

  // Teardown: the pages close their sessions, the browser goes, then the demo (seed, tracker, server);
  // the seed's RTCPeerConnections (connected ones and pending offers) are all closed.
  for (const p of [tab2, page]) await p.evaluate(() => (globalThis as unknown as { swarmkitDemo: { close(): Promise<void> } }).swarmkitDemo.close());
  await context.close();
  await browser!.close();
  browser = undefined;
  await d.close();
  expect(d.rtcConnections()).toBe(0);
  demo = undefined;
  await new Promise((r) => setTimeout(r, 300));
  expect(pageErrors).toEqual([]);
  expectNoLeaks(before);
}, 180_000);
