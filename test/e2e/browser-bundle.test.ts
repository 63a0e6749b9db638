// The BUILT browser bundle, used in real Chromium: vite.lib.config.ts builds bundle/browser-full.ts into a
// temp dir, a loopback HTTP server serves it to Debian's Chromium (Playwright), and the page imports it and
// 1. creates a torrent from Blobs with CreateTorrent, writes the data into IndexedDB through
//    createIdbStorage(), adds it to the bundle's Session (IndexedDB by default), sees it check and seed;
//    a second torrent whose data was never written checks to downloading (the check really verifies);
// 2. connects two WebRtcTransports through the bundle's NativePeer and moves bytes both ways.
// The page has no `process`/`Buffer`/`require`, so a Node reference in the bundle would fail here too.
// Also: the build's guard rejects Node built-ins and shim packages (simple-peer's Node entry).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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

const root = fileURLToPath(new URL('../../', import.meta.url));
const configFile = join(root, 'vite.lib.config.ts');
let dir: string;
let server: Server;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

async function buildTo(outDir: string, entry?: string): Promise<void> {
  await build({
    configFile,
    logLevel: 'silent',
    build: { outDir, ...(entry !== undefined ? { lib: { entry, formats: ['es'], fileName: () => 'x.js' } } : {}) },
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmkit-bundle-'));
  await buildTo(join(dir, 'out'));
  const bundle = await readFile(join(dir, 'out', 'swarmkit.browser.js'));
  server = createServer((req, res) => {
    if (req.url === '/swarmkit.browser.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    } else {
      // The page imports the bundle itself (page.evaluate code is transformed by Vitest, so it cannot import()).
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>bundle</title>'
        + '<script type="module">import * as m from "/swarmkit.browser.js"; globalThis.swarmkit = m;</script>');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: chromiumArgs });
  page = await browser.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  await page.waitForFunction(() => 'swarmkit' in globalThis, undefined, { timeout: 30_000 });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('built browser bundle in Chromium', () => {
  test('the page has no Node globals, and the bundle loads', async () => {
    const r = await page.evaluate(async () => {
      const g = globalThis as Record<string, unknown>;
      const m = ((globalThis as Record<string, unknown>).swarmkit) as Record<string, unknown>;
      return { process: typeof g.process, buffer: typeof g.Buffer, require: typeof g.require, exports: Object.keys(m).sort() };
    });
    expect(r).toMatchObject({ process: 'undefined', buffer: 'undefined', require: 'undefined' });
    for (const name of ['Session', 'CreateTorrent', 'createIdbStorage', 'WebRtcTransport', 'WebSocketTrackerClient', 'WebSocketPool', 'NativePeer', 'TorrentInfo']) {
      expect(r.exports).toContain(name);
    }
  });

  test('CreateTorrent from Blobs → IndexedDB → Session checks and seeds', async () => {
    const r = await page.evaluate(async () => {
      // The page sees the bundle as untyped: a small structural view of what it uses.
      interface Ti { pieceCount: number; pieceLength: number; pieceSize(i: number): number; layout(): unknown; id: string }
      interface Storage { open(l: unknown): Promise<{ write(p: number, o: number, d: Uint8Array): Promise<void>; close(): Promise<void> }> }
      interface Alert { type: string; infoHash?: string }
      interface Handle { status(): { state: string; progress: number; numPieces: number; totalDone: number; isSeeding: boolean } }
      interface SessionT { addTorrent(p: { ti: Ti; savePath: string }): Promise<Handle>; waitForAlert(ms: number): Promise<Alert | null>; popAlerts(): Alert[]; close(): Promise<void> }
      const m = ((globalThis as Record<string, unknown>).swarmkit) as {
        CreateTorrent: new (o: object) => { addFile(f: { data: Blob; path: string }): unknown; generateInfo(): Promise<Ti> };
        createIdbStorage(o?: object): Storage;
        Session: new (o: object) => SessionT;
        alertCategory: { all: number };
      };
      const bytes = (n: number, seed: number): Uint8Array => {
        const out = new Uint8Array(n);
        let x = seed;
        for (let i = 0; i < n; i++) { x = (x * 1103515245 + 12345) >>> 0; out[i] = x >>> 24; }
        return out;
      };
      const a = bytes(150_001, 1);
      const b = bytes(40_000, 2);
      const make = async (name: string): Promise<Ti> => {
        const ct = new m.CreateTorrent({ version: 'v1', pieceLength: 16384 });
        ct.addFile({ data: new Blob([a as Uint8Array<ArrayBuffer>]), path: `${name}/a.bin` });
        ct.addFile({ data: new Blob([b as Uint8Array<ArrayBuffer>]), path: `${name}/b.bin` });
        return ct.generateInfo();
      };
      const ti = await make('stored');
      const missing = await make('missing');
      // Write the payload through the default IndexedDB store, as a previous session would have.
      const all = new Uint8Array(a.length + b.length);
      all.set(a);
      all.set(b, a.length);
      const st = await m.createIdbStorage().open(ti.layout());
      for (let i = 0; i < ti.pieceCount; i++) await st.write(i, 0, all.subarray(i * ti.pieceLength, i * ti.pieceLength + ti.pieceSize(i)));
      await st.close();

      const s = new m.Session({ settings: { alertMask: m.alertCategory.all } });
      const h = await s.addTorrent({ ti, savePath: 'downloads' });
      const h2 = await s.addTorrent({ ti: missing, savePath: 'downloads' });
      const seen: Alert[] = [];
      const deadline = Date.now() + 30_000;
      const done = (): boolean => seen.some((x) => x.type === 'torrent_finished') && seen.filter((x) => x.type === 'torrent_checked').length >= 2;
      while (!done() && Date.now() < deadline) {
        await s.waitForAlert(1000);
        seen.push(...s.popAlerts());
      }
      const out = { pieceCount: ti.pieceCount, stored: h.status(), missing: h2.status(), alerts: seen.map((x) => x.type) };
      await s.close();
      return out;
    });
    expect(pageErrors).toEqual([]);
    expect(r.alerts).toContain('torrent_checked');
    expect(r.alerts).toContain('torrent_finished');
    expect(r.stored).toMatchObject({ state: 'seeding', progress: 1, numPieces: r.pieceCount, totalDone: 190_001, isSeeding: true });
    expect(r.missing).toMatchObject({ state: 'downloading', numPieces: 0, totalDone: 0, isSeeding: false });
  });

  test('two WebRtcTransports connect over NativePeer and move bytes both ways', async () => {
    const r = await page.evaluate(async () => {
      interface Stream { write(d: Uint8Array): boolean; setSink(s: { data(c: Uint8Array): void; drain(): void; close(e?: Error): void }): void; close(): Promise<void> }
      interface Transport {
        createOffer(o: object): Promise<{ offer: unknown; connect(answer: unknown): Promise<Stream> }>;
        acceptOffer(offer: unknown, o: object): Promise<{ answer: unknown; stream: Promise<Stream> }>;
        close(): Promise<void>;
      }
      const m = ((globalThis as Record<string, unknown>).swarmkit) as { WebRtcTransport: new (o: object) => Transport };
      // No SimplePeer option: the bundle's default import('simple-peer') must yield NativePeer.
      const ta = new m.WebRtcTransport({ rtcConfig: { iceServers: [] } });
      const tb = new m.WebRtcTransport({ rtcConfig: { iceServers: [] } });
      const o = await ta.createOffer({});
      const acc = await tb.acceptOffer(o.offer, {});
      const [sa, sb] = await Promise.all([o.connect(acc.answer), acc.stream]);
      const collect = (s: Stream, want: number): Promise<number[]> => new Promise((resolve) => {
        const got: number[] = [];
        s.setSink({ data: (c) => { got.push(...c); if (got.length >= want) resolve(got); }, drain: () => {}, close: () => resolve(got) });
      });
      const big = new Uint8Array(100_000).map((_, i) => (i * 7) & 255);
      const atB = collect(sb, big.length);
      const atA = collect(sa, 3);
      sa.write(big);
      sb.write(new Uint8Array([9, 8, 7]));
      const [gotB, gotA] = await Promise.all([atB, atA]);
      const same = gotB.length === big.length && gotB.every((v, i) => v === big[i]);
      await Promise.all([ta.close(), tb.close()]);
      return { same, gotA, lengthB: gotB.length };
    });
    expect(pageErrors).toEqual([]);
    expect(r).toEqual({ same: true, gotA: [9, 8, 7], lengthB: 100_000 });
  });
});

describe('the build guard', () => {
  test.each([
    ['a Node built-in', "import { EventEmitter } from 'events';\nexport const E = EventEmitter;\n"],
    ['a node: import', "import { createHash } from 'node:crypto';\nexport const h = createHash;\n"],
    ["simple-peer's Node entry", `import P from '${join(root, 'node_modules/simple-peer/index.js')}';\nexport const p = P;\n`],
  ])('fails the build on %s', async (_name, source) => {
    const entry = join(dir, `guard-${Math.random().toString(36).slice(2)}.ts`);
    await writeFile(entry, source);
    await expect(buildTo(join(dir, 'guard-out'), entry)).rejects.toThrow(/browser bundle|must not be in the browser bundle|Node/);
  });
});
