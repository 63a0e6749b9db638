// Shared harness for Node tests that drive real Chromium pages (Playwright, Debian's /usr/bin/chromium):
// builds the browser bundle (vite.lib.config.ts) once per test file, serves it and any extra ES modules
// (e.g. WebTorrent's own dist build) over loopback HTTP, launches Chromium with vite.config.ts's
// chromiumArgs, opens pages that import one module each, collects page errors and console errors, and
// closes everything. Swarmkit pages also get {@link PAGE_KIT} (`globalThis.kit`): seed, download, read back.
//
// A page for module NAME is served at /NAME.html: it imports /NAME.js and puts the namespace on
// `globalThis.NAME`; `openPage(name)` waits until it is there. Pages of one harness share one browser
// context (so IndexedDB survives a reload), unless `isolated: true` asks for a context of their own.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { chromium } from 'playwright';
import type { Browser, BrowserContext, Page } from 'playwright';
import { chromiumArgs } from '../../vite.config.js';

/** The repository root. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

let bundleOnce: Promise<Uint8Array> | undefined;

/** The built browser bundle (dist-browser/swarmkit.browser.js as `npm run build:browser` makes it), built once. */
export function builtBundle(): Promise<Uint8Array> {
  bundleOnce ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'swarmkit-bundle-'));
    try {
      // src/stream/file-stream.ts imports web-streams-polyfill only where ReadableStream is missing (never in
      // Chromium); the bundle guard rejects the package, so it stays an external, never-taken import.
      await build({
        configFile: join(repoRoot, 'vite.lib.config.ts'),
        logLevel: 'silent',
        build: { outDir: join(dir, 'out'), rolldownOptions: { external: ['web-streams-polyfill'] } },
      });
      return new Uint8Array(await readFile(join(dir, 'out', 'swarmkit.browser.js')));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return bundleOnce;
}

/** One opened page and what it reported. */
export interface TestPage {
  readonly page: Page;
  /** Uncaught exceptions and console.error messages, in order. */
  readonly errors: string[];
  /** Reloads the page and waits for its module again (same context, so IndexedDB is kept). */
  reload(): Promise<void>;
  close(): Promise<void>;
}

/** The HTTP server and the browser behind {@link openBrowser}. */
export interface BrowserHarness {
  readonly browser: Browser;
  /** http://127.0.0.1:PORT */
  readonly origin: string;
  /** Opens /NAME.html, which imports module NAME; resolves when `globalThis[NAME]` is set. */
  openPage(name: string, opts?: { isolated?: boolean }): Promise<TestPage>;
  /** Closes every page, context, the browser and the HTTP server. */
  close(): Promise<void>;
}

/** Options of {@link openBrowser}. */
export interface BrowserHarnessOptions {
  /** ES modules served at /NAME.js; `swarmkit` (the built bundle) is always there. */
  modules?: Record<string, Uint8Array>;
  /**
   * Extra Chromium flags. WebRtcHideLocalIpsWithMdns is always turned off: Chromium would otherwise hide
   * host candidates behind .local names, which Node's WebRTC (and this closed network) cannot resolve.
   */
  args?: string[];
}

/** What {@link PAGE_KIT} puts on `globalThis.kit` in a swarmkit page (see its source for the details). */
export interface PageKit {
  /** Torrent from a Blob made in the page (xorshift32 bytes, as test/unit/session/helpers.ts `bytes`), seeded from memory storage. */
  seed(o: { url: string; size: number; seed: number; pieceLength: number; name: string }): Promise<{ torrent: number[]; digest: string }>;
  /** Adds the torrent to a new session ('memory' or the default IndexedDB storage) and waits until it seeds. */
  download(o: { torrent: number[]; storage: 'memory' | 'idb'; timeoutMs: number; keep?: boolean }): Promise<PageDownload>;
  /** Closes every session the kit made (page side); returns how many RTCPeerConnections were still open before. */
  closeAll(): Promise<number>;
  /** Every kit session's torrents: status, trackers and the alerts not popped yet (for failure messages). */
  debug(): Promise<string>;
  /** SHA-256 of the torrent's bytes as IndexedDB (the default storage) holds them. */
  idbDigest(torrent: number[]): Promise<string>;
}

/** The result of {@link PageKit.download}. */
export interface PageDownload {
  state: string;
  progress: number;
  numPieces: number;
  pieceCount: number;
  totalPayloadDownload: number;
  digest: string;
  alertTypes: string[];
  transports: (string | undefined)[];
  hashFailed: number;
  warnings: string[];
  /** From addTorrent to seeding. */
  ms: number;
  /** From addTorrent to the first peer_connect alert (-1 when none). */
  firstConnectMs: number;
}

/** `globalThis` of a swarmkit page after {@link PAGE_KIT} ran. */
export type KitGlobal = typeof globalThis & { kit: PageKit };

/**
 * Page-side helpers, plain JavaScript injected as a script tag (page.evaluate bodies are transformed by
 * Vitest, so shared page code is kept here instead). Every session uses only loopback: no ICE servers.
 */
export const PAGE_KIT = String.raw`(() => {
  const m = globalThis.swarmkit;
  const sessions = [];
  const bytes = (n, seed) => {
    const out = new Uint8Array(n);
    let x = (seed >>> 0) || 1;
    for (let i = 0; i < n; i++) { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; out[i] = x & 0xff; }
    return out;
  };
  const hex = async (u8) => [...new Uint8Array(await crypto.subtle.digest('SHA-256', u8))].map((b) => b.toString(16).padStart(2, '0')).join('');
  const session = (storage) => {
    const s = new m.Session({
      ...(storage ? { storage } : {}),
      settings: { alertMask: m.alertCategory.all, tickInterval: 100, minReconnectTime: 1 },
      webrtc: m.webRtcOption({ rtcConfig: { iceServers: [] } }),
    });
    sessions.push(s);
    return s;
  };
  const readAll = async (ti, read) => {
    const all = new Uint8Array(ti.totalLength);
    for (let i = 0; i < ti.pieceCount; i++) all.set(await read(i), i * ti.pieceLength);
    return all;
  };
  globalThis.kit = {
    async seed({ url, size, seed, pieceLength, name }) {
      const data = bytes(size, seed);
      const ct = new m.CreateTorrent({ version: 'v1', pieceLength, trackers: [url], creationDate: null });
      ct.addFile({ data: new Blob([data]), path: name + '/data.bin' });
      const ti = await ct.generateInfo();
      const storage = m.createMemoryStorage();
      const st = await storage.open(ti.layout());
      for (let i = 0; i < ti.pieceCount; i++) await st.write(i, 0, data.subarray(i * ti.pieceLength, i * ti.pieceLength + ti.pieceSize(i)));
      await st.close();
      const s = session(storage);
      const h = await s.addTorrent({ ti, savePath: 'seed' });
      const deadline = Date.now() + 30000;
      while (h.status().state !== 'seeding' && Date.now() < deadline) await s.waitForAlert(100);
      if (h.status().state !== 'seeding') throw new Error('page seed never seeded: ' + h.status().state);
      return { torrent: [...ti.toBytes()], digest: await hex(data) };
    },
    async download({ torrent, storage, timeoutMs, keep }) {
      const t0 = performance.now();
      const epoch0 = Date.now();
      const ti = await m.TorrentInfo.fromBytes(new Uint8Array(torrent));
      const s = session(storage === 'memory' ? m.createMemoryStorage() : undefined);
      const h = await s.addTorrent({ ti, savePath: 'page' });
      const seen = [];
      const deadline = Date.now() + timeoutMs;
      while (h.status().state !== 'seeding' && Date.now() < deadline) {
        await s.waitForAlert(200);
        seen.push(...s.popAlerts());
      }
      const ms = performance.now() - t0;
      seen.push(...s.popAlerts());
      const st = h.status();
      const digest = st.state === 'seeding' ? await hex(await readAll(ti, (i) => h.readPiece(i))) : '';
      if (!keep) {
        await s.close();
        sessions.splice(sessions.indexOf(s), 1);
      }
      return {
        state: st.state, progress: st.progress, numPieces: st.numPieces, pieceCount: ti.pieceCount,
        totalPayloadDownload: st.totalPayloadDownload, digest, ms,
        firstConnectMs: (() => { const c = seen.find((a) => a.type === 'peer_connect'); return c ? c.timestamp - epoch0 : -1; })(),
        alertTypes: [...new Set(seen.map((a) => a.type))],
        transports: seen.filter((a) => a.type === 'peer_connect').map((a) => a.transport),
        hashFailed: seen.filter((a) => a.type === 'hash_failed').length,
        warnings: seen.filter((a) => ['tracker_warning', 'tracker_error', 'file_error'].includes(a.type)).map((a) => JSON.stringify(a)),
      };
    },
    async closeAll() {
      const open = sessions.length;
      await Promise.all(sessions.splice(0).map((s) => s.close()));
      return open;
    },
    async debug() {
      return JSON.stringify(sessions.map((s) => ({
        alerts: s.popAlerts().map((a) => a.type + (a.message ? ': ' + a.message : '')),
        torrents: s.getTorrents().map((h) => ({ status: h.status(), trackers: h.trackers() })),
      })), (_k, v) => (v instanceof Uint8Array ? '<bytes>' : v));
    },
    async idbDigest(torrent) {
      const ti = await m.TorrentInfo.fromBytes(new Uint8Array(torrent));
      const st = await m.createIdbStorage().open(ti.layout());
      try { return await hex(await readAll(ti, (i) => st.read(i, 0, ti.pieceSize(i)))); } finally { await st.close(); }
    },
  };
})();`;

const page = (name: string): string => '<!doctype html><meta charset="utf-8"><title>' + name + '</title>'
  + `<script type="module">import * as m from "/${name}.js"; globalThis[${JSON.stringify(name)}] = m;</script>`;

/** Builds the bundle (once), serves it over loopback HTTP and launches Chromium. */
export async function openBrowser(opts: BrowserHarnessOptions = {}): Promise<BrowserHarness> {
  const modules = new Map<string, Uint8Array>(Object.entries({ swarmkit: await builtBundle(), ...(opts.modules ?? {}) }));
  const server: Server = createServer((req, res) => {
    const m = /^\/([\w-]+)\.(js|html)$/.exec(req.url ?? '');
    const body = m?.[1] !== undefined ? modules.get(m[1]) : undefined;
    // One request per connection: nothing of Chromium's stays connected once a test ends.
    res.setHeader('connection', 'close');
    if (req.url === '/favicon.ico') {
      res.writeHead(204).end();
    } else if (m?.[1] === undefined || body === undefined) {
      res.writeHead(404).end();
    } else if (m[2] === 'js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(body);
    } else {
      res.writeHead(200, { 'content-type': 'text/html' }).end(page(m[1]));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [...chromiumArgs, '--disable-features=WebRtcHideLocalIpsWithMdns', ...(opts.args ?? [])],
    });
  } catch (err) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw err;
  }
  let shared: BrowserContext | undefined;
  const contexts: BrowserContext[] = [];

  const openPage = async (name: string, o: { isolated?: boolean } = {}): Promise<TestPage> => {
    let ctx: BrowserContext;
    if (o.isolated === true || shared === undefined) {
      ctx = await browser.newContext();
      contexts.push(ctx);
      if (o.isolated !== true) shared = ctx;
    } else {
      ctx = shared;
    }
    const p = await ctx.newPage();
    const errors: string[] = [];
    p.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    p.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}`);
    });
    const load = async (): Promise<void> => {
      await p.waitForFunction((n) => n in globalThis, name, { timeout: 30_000 });
      if (name === 'swarmkit') await p.addScriptTag({ content: PAGE_KIT });
    };
    await p.goto(`${origin}/${name}.html`);
    await load();
    return {
      page: p,
      errors,
      reload: async () => {
        await p.reload();
        await load();
      },
      close: () => p.close(),
    };
  };

  return {
    browser,
    origin,
    openPage,
    close: async () => {
      for (const c of contexts) await c.close().catch(() => {});
      await browser.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
