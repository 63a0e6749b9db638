// Browser swarms over WebRTC through our tracker-server's WebSocket tracker on 127.0.0.1, with the BUILT
// browser bundle in Debian's Chromium (test/helpers/browser-page.ts):
// (a) a page makes a torrent from a Blob (CreateTorrent), seeds it from memory storage; a WebRTC-only
//     Node session downloads it, verified byte for byte;
// (b) two pages (separate browser contexts): one seeds, the other downloads, browser ↔ browser;
// (c) a page downloads into IndexedDB (the browser Session's default storage) from a Node seed; the page
//     reloads, re-adds the torrent, its check finds every piece and it seeds without downloading a byte
//     (totalPayloadDownload 0) although the seed is still there to download from.
// After each test: page sessions closed, no RTCPeerConnections (transport counts), sockets or timers left
// on the Node side.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createHash } from 'node:crypto';
import { Session } from '../../src/session/session.js';
import { TorrentInfo } from '../../src/metainfo/torrent-info.js';
import { CreateTorrent } from '../../src/metainfo/create-torrent.js';
import { alertCategory } from '../../src/session/alert-category.js';
import type { StorageAdapter } from '../../src/interfaces/storage.js';
import { createMemoryStorage } from '../../storage-adapters/memory/index.js';
import type { WebRtcTransport } from '../../transports/webrtc/index.js';
import { trackedWebRtc } from '../helpers/node-webrtc.js';
import { createTrackerServer } from '../../tracker-server/index.js';
import type { TrackerServer } from '../../tracker-server/index.js';
import { nodeWebSocket } from '../../entry/node.js';
import { bytes, fillStorage, torrentBytes } from '../unit/session/helpers.js';
import { TEST_SETTINGS, expectData, expectNoLeaks, resources, waitFinished } from './helpers/swarm.js';
import { openBrowser } from '../helpers/browser-page.js';
import type { BrowserHarness, KitGlobal, TestPage } from '../helpers/browser-page.js';

let harness: BrowserHarness;
let tracker: TrackerServer;
let url: string;
let before: string[];
const pages: TestPage[] = [];
const sessions: Session[] = [];
const rtc: WebRtcTransport[] = [];

/** A Node session whose only peers are WebRTC peers (no TCP transport). */
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

async function openPage(isolated = false): Promise<TestPage> {
  const p = await harness.openPage('swarmkit', { isolated });
  pages.push(p);
  return p;
}

beforeAll(async () => {
  harness = await openBrowser();
}, 120_000);
afterAll(async () => {
  await harness?.close();
});
beforeEach(async () => {
  before = resources();
  tracker = createTrackerServer({ ws: true, http: false, udp: false });
  url = `ws://127.0.0.1:${(await tracker.listen(0, '127.0.0.1')).tcp}`;
});
afterEach(async () => {
  for (const p of pages) {
    if (!p.page.isClosed()) await p.page.evaluate(() => (globalThis as KitGlobal).kit.closeAll());
    await p.close();
  }
  const errors = pages.flatMap((p) => p.errors);
  pages.length = 0;
  await Promise.all(sessions.map((s) => s.close()));
  sessions.length = 0;
  await tracker.close();
  expect(rtc.map((t) => t.connections)).toEqual(rtc.map(() => 0));
  rtc.length = 0;
  expect(errors).toEqual([]);
  // wrtc tears RTCPeerConnections down on its own threads, and closed WebSockets finish their close handshake.
  await new Promise((r) => setTimeout(r, 300));
  expectNoLeaks(before);
}, 30_000);

describe('browser swarms over WebRTC (our ws tracker on loopback)', () => {
  test('(a) a page seeds a torrent made from a Blob; a Node session downloads it byte-equal', async () => {
    const page = await openPage();
    const size = 700_001;
    const made = await page.page.evaluate((o) => (globalThis as KitGlobal).kit.seed(o), { url, size, seed: 21, pieceLength: 32_768, name: 'from-page' });
    const ti = await TorrentInfo.fromBytes(new Uint8Array(made.torrent));
    const files = [{ path: 'from-page/data.bin', data: bytes(size, 21) }];
    expect(createHash('sha256').update(torrentBytes(ti, files)).digest('hex')).toBe(made.digest);

    const storage = createMemoryStorage();
    const leech = nodeSession(storage);
    await leech.ready();
    const h = await leech.addTorrent({ ti, savePath: 'leech' });
    await waitFinished(h, 45_000).catch(async (err: unknown) => {
      throw new Error(`${String(err)}\nnode: ${JSON.stringify(leech.popAlerts().map((a) => a.type))} ${JSON.stringify(h.trackers())}\npage: ${await page.page.evaluate(() => (globalThis as KitGlobal).kit.debug())}`);
    });
    await expectData(storage, ti, files);
    const alerts = leech.popAlerts();
    expect(alerts.filter((a) => a.type === 'hash_failed')).toEqual([]);
    expect(alerts.filter((a) => a.type === 'peer_connect').map((a) => a.transport)).toContain('webrtc');
    expect(h.status().totalPayloadDownload).toBeGreaterThanOrEqual(ti.totalLength);
    expect(tracker.stats.answersRelayed).toBeGreaterThan(0);
  }, 90_000);

  test('(b) two pages exchange a torrent browser ↔ browser', async () => {
    const seeder = await openPage(true);
    const leecher = await openPage(true);
    const made = await seeder.page.evaluate((o) => (globalThis as KitGlobal).kit.seed(o), { url, size: 500_000, seed: 22, pieceLength: 16_384, name: 'page-to-page' });
    const r = await leecher.page.evaluate((o) => (globalThis as KitGlobal).kit.download(o), { torrent: made.torrent, storage: 'memory' as const, timeoutMs: 45_000 });
    expect(r.warnings).toEqual([]);
    expect(r).toMatchObject({ state: 'seeding', progress: 1, numPieces: r.pieceCount, hashFailed: 0 });
    expect(r.transports).toContain('webrtc');
    expect(r.totalPayloadDownload).toBeGreaterThanOrEqual(500_000);
    expect(r.digest).toBe(made.digest);
    expect(tracker.stats.answersRelayed).toBeGreaterThan(0);
  }, 90_000);

  test('(c) a page downloads into IndexedDB, reloads, and seeds from IndexedDB after its check without downloading', async () => {
    // Fresh data per run, so an IndexedDB left by an earlier run of this browser cannot hold it already.
    const seedNo = 1 + Math.floor(Math.random() * 0x7fffffff);
    const files = [{ path: 'to-idb/a.bin', data: bytes(400_003, seedNo) }, { path: 'to-idb/b.bin', data: bytes(90_000, seedNo + 1) }];
    const ct = new CreateTorrent({ version: 'v1', pieceLength: 32_768, trackers: [url], creationDate: null });
    for (const f of files) ct.addFile({ data: f.data, path: f.path });
    const ti = await ct.generateInfo();
    const want = createHash('sha256').update(torrentBytes(ti, files)).digest('hex');
    const storage = createMemoryStorage();
    await fillStorage(storage, ti, files);
    const seed = nodeSession(storage);
    await seed.ready();
    const sh = await seed.addTorrent({ ti, savePath: 'seed' });
    await waitFinished(sh, 10_000);

    const page = await openPage();
    const torrent = [...ti.toBytes()];
    const first = await page.page.evaluate((o) => (globalThis as KitGlobal).kit.download(o), { torrent, storage: 'idb' as const, timeoutMs: 45_000 });
    expect(first.warnings).toEqual([]);
    expect(first).toMatchObject({ state: 'seeding', numPieces: ti.pieceCount, hashFailed: 0, digest: want });
    expect(first.transports).toContain('webrtc');
    expect(first.totalPayloadDownload).toBeGreaterThanOrEqual(ti.totalLength);
    expect(await page.page.evaluate((t) => (globalThis as KitGlobal).kit.idbDigest(t), torrent)).toBe(want);

    await page.reload();
    const again = await page.page.evaluate((o) => (globalThis as KitGlobal).kit.download(o), { torrent, storage: 'idb' as const, timeoutMs: 30_000 });
    expect(again.warnings).toEqual([]);
    expect(again).toMatchObject({ state: 'seeding', numPieces: ti.pieceCount, hashFailed: 0, digest: want, totalPayloadDownload: 0 });
    expect(again.alertTypes).toContain('torrent_checked');
    expect(again.alertTypes).not.toContain('piece_finished');
  }, 120_000);
});
