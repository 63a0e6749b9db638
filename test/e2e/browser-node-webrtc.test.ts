// A web page downloads from a Node seed over WebRTC, peers found through our tracker-server's WebSocket
// tracker on loopback. The BUILT browser bundle (vite.lib.config.ts) is served over loopback to Debian's
// Chromium (Playwright); the page uses the same Session API as Node: `new Session()` (IndexedDB storage
// and WebRTC over the browser's RTCPeerConnection by default, no TCP), adds the .torrent whose only
// tracker is ws://127.0.0.1:PORT, downloads, and its pieces pass the hash check (→ seeding). The page
// then reads the stored bytes back and their SHA-256 is compared with the original in Node.
// The Node seed is hybrid (TCP listener + WebRTC through @roamhq/wrtc). Afterwards: no
// RTCPeerConnections, sockets or timers left on the Node side; the page's session closed.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
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
import { Session } from '../../src/session/session.js';
import { alertCategory } from '../../src/session/alert-category.js';
import { CreateTorrent } from '../../src/metainfo/create-torrent.js';
import { createMemoryStorage } from '../../storage-adapters/memory/index.js';
import { createTcpTransport } from '../../transports/tcp/index.js';
import type { WebRtcTransport } from '../../transports/webrtc/index.js';
import { trackedWebRtc } from '../helpers/node-webrtc.js';
import { createTrackerServer } from '../../tracker-server/index.js';
import type { TrackerServer } from '../../tracker-server/index.js';
import { nodeWebSocket } from '../../entry/node.js';
import { bytes, fillStorage, torrentBytes } from '../unit/session/helpers.js';
import { TEST_SETTINGS, expectNoLeaks, resources } from './helpers/swarm.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
let dir: string;
let server: Server;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmkit-webrtc-page-'));
  // src/stream/file-stream.ts loads web-streams-polyfill only where ReadableStream is missing (never in
  // Chromium); the bundle guard rejects the package, so it stays an external, never-taken import here.
  await build({
    configFile: join(root, 'vite.lib.config.ts'),
    logLevel: 'silent',
    build: { outDir: join(dir, 'out'), rolldownOptions: { external: ['web-streams-polyfill'] } },
  });
  const bundle = await readFile(join(dir, 'out', 'swarmkit.browser.js'));
  server = createServer((req, res) => {
    if (req.url === '/swarmkit.browser.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    else {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>webrtc</title>'
        + '<script type="module">import * as m from "/swarmkit.browser.js"; globalThis.swarmkit = m;</script>');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // Chromium hides host candidates behind mDNS names unless told not to; Node's WebRTC cannot resolve those.
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [...chromiumArgs, '--disable-features=WebRtcHideLocalIpsWithMdns'],
  });
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

describe('browser page ← Node seed over WebRTC', () => {
  test('the page downloads through the ws tracker into IndexedDB; pieces verify; data matches', async () => {
    const before = resources();
    const tracker: TrackerServer = createTrackerServer({ ws: true, http: false, udp: false });
    const addr = await tracker.listen(0, '127.0.0.1');
    const url = `ws://127.0.0.1:${addr.tcp}`;
    const files = [{ path: 'page/a.bin', data: bytes(600_003, 11) }, { path: 'page/b.bin', data: bytes(70_000, 12) }];
    const ct = new CreateTorrent({ version: 'v1', pieceLength: 32768, trackers: [url], creationDate: null });
    for (const f of files) ct.addFile({ data: f.data, path: f.path });
    const ti = await ct.generateInfo();
    const want = createHash('sha256').update(torrentBytes(ti, files)).digest('hex');

    const rtc: WebRtcTransport[] = [];
    const storage = createMemoryStorage();
    await fillStorage(storage, ti, files);
    const seed = new Session({
      settings: { ...TEST_SETTINGS, alertMask: alertCategory.all },
      storage,
      transports: [createTcpTransport({ listenHost: '127.0.0.1', port: 0 })],
      webSocket: nodeWebSocket,
      webrtc: trackedWebRtc(rtc),
    });
    try {
      await seed.ready();
      await seed.addTorrent({ ti, savePath: 'seed' });
      for (let i = 0; i < 100 && !seed.popAlerts().some((a) => a.type === 'torrent_finished'); i++) await seed.waitForAlert(200);

      const r = await page.evaluate(async (torrent: number[]) => {
        interface Alert { type: string; transport?: string; message?: string }
        interface Status { state: string; progress: number; numPieces: number; totalDone: number; isSeeding: boolean }
        interface Ti { pieceCount: number; pieceLength: number; pieceSize(i: number): number; layout(): unknown; totalLength: number }
        interface Handle { status(): Status; isFinished(): boolean }
        interface SessionT { addTorrent(p: { ti: Ti; savePath: string }): Promise<Handle>; waitForAlert(ms: number): Promise<Alert | null>; popAlerts(): Alert[]; close(): Promise<void> }
        const m = (globalThis as Record<string, unknown>).swarmkit as {
          Session: new (o: object) => SessionT;
          TorrentInfo: { fromBytes(b: Uint8Array): Promise<Ti> };
          createIdbStorage(o?: object): { open(l: unknown): Promise<{ read(p: number, o: number, n: number): Promise<Uint8Array>; close(): Promise<void> }> };
          webRtcOption(o: object): object;
          alertCategory: { all: number };
        };
        const ti = await m.TorrentInfo.fromBytes(new Uint8Array(torrent));
        // The same Session API as in Node; only ICE servers are turned off (loopback, no network).
        const s = new m.Session({ settings: { alertMask: m.alertCategory.all }, webrtc: m.webRtcOption({ rtcConfig: { iceServers: [] } }) });
        const h = await s.addTorrent({ ti, savePath: 'page' });
        const seen: Alert[] = [];
        const deadline = Date.now() + 45_000;
        while (!h.isFinished() && Date.now() < deadline) {
          await s.waitForAlert(500);
          seen.push(...s.popAlerts());
        }
        // Let the check-and-seed transition post its alerts.
        for (let i = 0; i < 10 && h.status().state !== 'seeding'; i++) await s.waitForAlert(200);
        seen.push(...s.popAlerts());
        const status = h.status();
        await s.close();
        // Read the stored bytes back from IndexedDB and hash them.
        const st = await m.createIdbStorage().open(ti.layout());
        const all = new Uint8Array(ti.totalLength);
        for (let i = 0; i < ti.pieceCount; i++) all.set(await st.read(i, 0, ti.pieceSize(i)), i * ti.pieceLength);
        await st.close();
        const digest = [...new Uint8Array(await crypto.subtle.digest('SHA-256', all))].map((b) => b.toString(16).padStart(2, '0')).join('');
        return {
          status,
          digest,
          types: [...new Set(seen.map((a) => a.type))],
          transports: seen.filter((a) => a.type === 'peer_connect').map((a) => a.transport),
          hashFailed: seen.filter((a) => a.type === 'hash_failed').length,
          warnings: seen.filter((a) => a.type === 'tracker_warning' || a.type === 'tracker_error' || a.type === 'file_error').map((a) => JSON.stringify(a)),
        };
      }, [...ti.toBytes()]);

      expect(pageErrors).toEqual([]);
      expect(r.warnings).toEqual([]);
      expect(r.status).toMatchObject({ state: 'seeding', progress: 1, numPieces: ti.pieceCount, totalDone: ti.totalLength, isSeeding: true });
      expect(r.hashFailed).toBe(0);
      expect(r.types).toEqual(expect.arrayContaining(['tracker_announce', 'tracker_reply', 'peer_connect', 'piece_finished', 'torrent_finished']));
      expect(r.transports).toContain('webrtc');
      expect(r.digest).toBe(want);
      expect(tracker.stats.answersRelayed).toBeGreaterThan(0);
    } finally {
      await seed.close();
      await tracker.close();
    }
    expect(rtc.map((t) => t.connections)).toEqual(rtc.map(() => 0));
    await new Promise((res) => setTimeout(res, 300));
    expectNoLeaks(before);
  }, 90_000);
});
