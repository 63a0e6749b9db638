/**
 * Interop with WebTorrent's own browser build (node_modules/webtorrent/dist/webtorrent.min.js, an ES module)
 * in Debian's Chromium, over WebRTC, loopback only:
 * (i)  WebTorrent in the page downloads from OUR Node seed (@roamhq/wrtc), peers found through
 *      bittorrent-tracker's reference server (WebTorrent's tracker) and through our tracker-server;
 *      WebTorrent's `torrent.done` and the bytes it holds (SHA-256) are checked;
 * (ii) OUR Node session downloads what WebTorrent seeds in the page (`client.seed(file, { announce })`),
 *      verified byte for byte, through both trackers too.
 * The WebTorrent client gets no DHT (there is none in browsers), no web seeds, no public trackers
 * (WEBTORRENT_ANNOUNCE cleared; the torrent's announce list is asserted to be the loopback URL only) and no
 * ICE servers. After each test: the page's client destroyed, no RTCPeerConnections, sockets or timers left
 * on the Node side.
 */
import Server from 'bittorrent-tracker/server'; // the server only: the package index pulls in node-datachannel
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Session } from '../../src/session/session.js';
import { TorrentInfo } from '../../src/metainfo/torrent-info.js';
import { CreateTorrent } from '../../src/metainfo/create-torrent.js';
import { alertCategory } from '../../src/session/alert-category.js';
import type { StorageAdapter } from '../../src/interfaces/storage.js';
import { createMemoryStorage } from '../../storage-adapters/memory/index.js';
import type { WebRtcTransport } from '../../transports/webrtc/index.js';
import { trackedWebRtc } from '../helpers/node-webrtc.js';
import { createTrackerServer } from '../../tracker-server/index.js';
import { nodeWebSocket } from '../../entry/node.js';
import { bytes, fillStorage, torrentBytes } from '../unit/session/helpers.js';
import { TEST_SETTINGS, expectData, expectNoLeaks, resources, waitFinished } from '../e2e/helpers/swarm.js';
import { openBrowser, repoRoot } from '../helpers/browser-page.js';
import type { BrowserHarness, TestPage } from '../helpers/browser-page.js';

interface RefServer {
  listen(port: number, host: string, cb: () => void): void;
  close(cb: () => void): void;
  http: { address(): { port: number } };
  on(ev: string, fn: (e: unknown) => void): void;
}

/** A loopback ws tracker: bittorrent-tracker's reference server or ours. */
interface Tracker { url: string; close(): Promise<void> }

const trackers: Record<string, () => Promise<Tracker>> = {
  'bittorrent-tracker': async () => {
    const s = new (Server as unknown as new (o: object) => RefServer)({ http: false, udp: false, ws: true, stats: false });
    s.on('warning', () => {});
    s.on('error', () => {});
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return { url: `ws://127.0.0.1:${s.http.address().port}`, close: () => new Promise<void>((r) => s.close(() => r())) };
  },
  'our tracker-server': async () => {
    const s = createTrackerServer({ ws: true, http: false, udp: false });
    const addr = await s.listen(0, '127.0.0.1');
    return { url: `ws://127.0.0.1:${addr.tcp}`, close: () => s.close() };
  },
};

/** What the page's WebTorrent client reports (page side, structural). */
interface WtResult { done: boolean; announce: string[]; digest: string; numPeers: number; downloaded: number; ms: number }
interface WtTorrent {
  done: boolean; announce: string[]; numPeers: number; downloaded: number; torrentFile: Uint8Array;
  files: { arrayBuffer(): Promise<ArrayBuffer> }[];
  on(ev: string, fn: (e?: unknown) => void): void;
}
interface WtClient {
  add(t: Uint8Array, o: object, cb: (t: WtTorrent) => void): WtTorrent;
  seed(f: File, o: object, cb: (t: WtTorrent) => void): WtTorrent;
  destroy(cb: (err?: unknown) => void): void;
  on(ev: string, fn: (e: unknown) => void): void;
}
type WtGlobal = typeof globalThis & { webtorrent: { default: new (o: object) => WtClient }; wt?: WtClient; WEBTORRENT_ANNOUNCE?: unknown; wtErrors: string[] };

let harness: BrowserHarness;
let page: TestPage;
let tracker: Tracker;
let before: string[];
const sessions: Session[] = [];
const rtc: WebRtcTransport[] = [];

function nodeSession(storage: StorageAdapter): Session {
  const s = new Session({
    settings: { ...TEST_SETTINGS, alertMask: alertCategory.all },
    storage,
    transports: [],
    webSocket: nodeWebSocket,
    webrtc: trackedWebRtc(rtc),
  });
  sessions.push(s);
  return s;
}

beforeAll(async () => {
  const wt = await readFile(join(repoRoot, 'node_modules/webtorrent/dist/webtorrent.min.js'));
  harness = await openBrowser({ modules: { webtorrent: new Uint8Array(wt) } });
}, 120_000);
afterAll(async () => {
  await harness?.close();
});

describe.each(Object.keys(trackers))('WebTorrent (browser build) in Chromium ↔ our Node session, through %s', (kind) => {
  beforeEach(async () => {
    before = resources();
    const make = trackers[kind];
    if (make === undefined) throw new Error(kind);
    tracker = await make();
    // A context of its own: WebTorrent keeps pieces in browser storage, which must not carry over.
    page = await harness.openPage('webtorrent', { isolated: true });
    await page.page.evaluate(() => {
      const g = globalThis as WtGlobal;
      g.WEBTORRENT_ANNOUNCE = undefined;
      g.wtErrors = [];
      g.wt = new g.webtorrent.default({ dht: false, lsd: false, utp: false, natUpnp: false, natPmp: false, webSeeds: false, tracker: { rtcConfig: { iceServers: [] } } });
      g.wt.on('error', (e) => g.wtErrors.push(String(e)));
    });
  });
  afterEach(async () => {
    const wtErrors = await page.page.evaluate(async () => {
      const g = globalThis as WtGlobal;
      await new Promise<void>((r) => (g.wt ? g.wt.destroy(() => r()) : r()));
      return g.wtErrors;
    });
    await page.close();
    await page.page.context().close();
    await Promise.all(sessions.map((s) => s.close()));
    sessions.length = 0;
    await tracker.close();
    expect(rtc.map((t) => t.connections)).toEqual(rtc.map(() => 0));
    rtc.length = 0;
    expect(wtErrors).toEqual([]);
    expect(page.errors).toEqual([]);
    // wrtc tears RTCPeerConnections down on its own threads; closed WebSockets finish their close handshake.
    await new Promise((r) => setTimeout(r, 300));
    expectNoLeaks(before);
  }, 30_000);

  test('(i) WebTorrent in the page downloads from our Node seed; torrent.done and bytes equal', async () => {
    const files = [{ path: 'to-wt/a.bin', data: bytes(500_001, 31 + kind.length) }, { path: 'to-wt/b.bin', data: bytes(70_000, 32) }];
    const ct = new CreateTorrent({ version: 'v1', pieceLength: 32_768, trackers: [tracker.url], creationDate: null });
    for (const f of files) ct.addFile({ data: f.data, path: f.path });
    const ti = await ct.generateInfo();
    const want = createHash('sha256').update(torrentBytes(ti, files)).digest('hex');
    const storage = createMemoryStorage();
    await fillStorage(storage, ti, files);
    const seed = nodeSession(storage);
    await seed.ready();
    const sh = await seed.addTorrent({ ti, savePath: 'seed' });
    await waitFinished(sh, 10_000);

    const r = await page.page.evaluate(async ({ torrent, url }): Promise<WtResult> => {
      const g = globalThis as WtGlobal;
      const client = g.wt;
      if (client === undefined) throw new Error('no client');
      const t0 = performance.now();
      const t = await new Promise<WtTorrent>((resolve, reject) => {
        const tt = client.add(new Uint8Array(torrent), { announce: [url] }, () => {});
        const timer = setTimeout(() => reject(new Error(`WebTorrent did not finish: ${tt.downloaded} bytes, ${tt.numPeers} peers`)), 45_000);
        tt.on('done', () => { clearTimeout(timer); resolve(tt); });
        tt.on('error', (e) => { clearTimeout(timer); reject(new Error(String(e))); });
      });
      const ms = performance.now() - t0;
      const parts = await Promise.all(t.files.map((f) => f.arrayBuffer()));
      const all = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
      let off = 0;
      for (const p of parts) { all.set(new Uint8Array(p), off); off += p.byteLength; }
      const digest = [...new Uint8Array(await crypto.subtle.digest('SHA-256', all))].map((b) => b.toString(16).padStart(2, '0')).join('');
      return { done: t.done, announce: [...t.announce], digest, numPeers: t.numPeers, downloaded: t.downloaded, ms };
    }, { torrent: [...ti.toBytes()], url: tracker.url });

    expect(r.announce).toEqual([tracker.url]);
    expect(r.done).toBe(true);
    expect(r.downloaded).toBeGreaterThanOrEqual(ti.totalLength);
    expect(r.digest).toBe(want);
    expect(sh.status().totalPayloadUpload).toBeGreaterThanOrEqual(ti.totalLength);
    expect(seed.popAlerts().filter((a) => a.type === 'peer_connect').map((a) => a.transport)).toContain('webrtc');
  }, 90_000);

  test('(ii) our Node session downloads what WebTorrent seeds in the page (client.seed)', async () => {
    const size = 600_017;
    const made = await page.page.evaluate(async ({ url, size }) => {
      const g = globalThis as WtGlobal;
      const client = g.wt;
      if (client === undefined) throw new Error('no client');
      const data = new Uint8Array(size);
      let x = 33;
      for (let i = 0; i < size; i++) { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; data[i] = x & 0xff; }
      const file = new File([data], 'from-wt.bin');
      const t = await new Promise<WtTorrent>((resolve) => client.seed(file, { announce: [url], pieceLength: 16_384 }, resolve));
      return { torrent: [...t.torrentFile], announce: [...t.announce] };
    }, { url: tracker.url, size });
    expect(made.announce).toEqual([tracker.url]);
    const ti = await TorrentInfo.fromBytes(new Uint8Array(made.torrent));
    const files = [{ path: 'from-wt.bin', data: bytes(size, 33) }];
    const storage = createMemoryStorage();
    const leech = nodeSession(storage);
    await leech.ready();
    const h = await leech.addTorrent({ ti, savePath: 'leech' });
    await waitFinished(h, 45_000);
    await expectData(storage, ti, files);
    const alerts = leech.popAlerts();
    expect(alerts.filter((a) => a.type === 'hash_failed')).toEqual([]);
    expect(alerts.filter((a) => a.type === 'peer_connect').map((a) => a.transport)).toContain('webrtc');
  }, 90_000);
});
