// Hybrid seeding, real components only: ONE Node session (fs storage, a TCP listener on 127.0.0.1 and
// WebRTC through @roamhq/wrtc) seeds a 64 MiB torrent at the same time to
//   - python3-libtorrent (lt_peer.py) over TCP: libtorrent is handed the seed's TCP address (connect_peer);
//   - the built browser bundle's Session in a real Chromium page over WebRTC, peers found through our
//     tracker-server's WebSocket tracker on 127.0.0.1 (default IndexedDB storage in the page).
// The two leeches cannot reach each other (libtorrent has no WebRTC, the page no TCP), so every byte each
// one holds came from the seed; the seed's upload counter must be at least twice the torrent.
//
// Simultaneity is proven from the two leeches' timelines on the shared wall clock (the page's Date.now()
// and Python's time.time() read the same system clock): libtorrent's download runs from its first byte
// (lt_peer.py's `done` gives it) to its `done`, with total_payload_download sampled every ~50–100 ms; the
// page's from its first sample holding payload to the first holding all of it, sampled every 25 ms. The
// two windows must intersect, and inside the intersection BOTH leeches must have received payload (lower
// bounds from the samples: bytes certainly held at the end minus bytes at most held at the start). To
// make the overlap deterministic rather than a race, libtorrent starts with no peers and is told the
// seed's address only once the page has received its first bytes, and its download is limited to
// 16 MiB/s: unlimited, it took 64 MiB in ~0.3 s over loopback TCP, inside one of the 0.4–0.6 s pauses a
// WebRTC data channel here sometimes makes, and the page then received nothing during libtorrent's window.
// Encryption is off on libtorrent's side so its first dial is not the ~1 s MSE attempt we do not answer.
// Both downloads are verified complete: libtorrent checked every piece (its `done`) and its file equals
// the source byte for byte; the page's session verified every piece (seeding) and the SHA-256 of what it
// stored equals the source's. Afterwards: no RTCPeerConnection open on the seed, and no socket, timer or
// child process left in this process.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CreateTorrent, Session, alertCategory, alertMessage, createTcpTransport, nodeWebSocket } from '../../entry/node.js';
import type { WebRtcTransport } from '../../transports/webrtc/index.js';
import { trackedWebRtc } from '../helpers/node-webrtc.js';
import { createTrackerServer } from '../../tracker-server/index.js';
import { openBrowser } from '../helpers/browser-page.js';
import type { BrowserHarness, TestPage } from '../helpers/browser-page.js';
import { bytes } from '../unit/session/helpers.js';
import { expectNoLeaks, resources } from '../e2e/helpers/swarm.js';
import { spawnLtPeer } from './helpers/libtorrent.js';
import type { LtPeer } from './helpers/libtorrent.js';
import { LOOPBACK_SETTINGS } from './helpers/session.js';
import { MIXED_PAGE, overlap, timelineOf } from './helpers/mixed-timeline.js';
import type { MixedGlobal, Sample, Timeline } from './helpers/mixed-timeline.js';

const SIZE = 64 * 1024 * 1024;
const PIECE = 256 * 1024;
const NAME = 'mixed.bin';

let dir: string;
let harness: BrowserHarness;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmkit-mixed-'));
  harness = await openBrowser();
}, 240_000);

afterAll(async () => {
  await harness?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

test('one Node session seeds libtorrent over TCP and a Chromium page over WebRTC at the same time', async () => {
  const before = resources();
  const run = await mkdtemp(join(dir, 'run-')); // a retry starts clean (libtorrent would find the file done)
  const data = bytes(SIZE, 0x31ce);
  const want = createHash('sha256').update(data).digest('hex');
  const tracker = createTrackerServer({ ws: true, http: false, udp: false });
  const wsUrl = `ws://127.0.0.1:${(await tracker.listen(0, '127.0.0.1')).tcp}`;
  const ct = new CreateTorrent({ version: 'v1', pieceLength: PIECE, trackers: [wsUrl], creationDate: null });
  ct.addFile({ data, path: NAME });
  const ti = await ct.generateInfo();
  const torrentFile = join(run, 'mixed.torrent');
  await writeFile(torrentFile, ti.toBytes());
  await mkdir(join(run, 'seed'), { recursive: true });
  await writeFile(join(run, 'seed', NAME), data);

  const rtc: WebRtcTransport[] = [];
  const seed = new Session({
    settings: { ...LOOPBACK_SETTINGS, alertMask: alertCategory.error | alertCategory.status | alertCategory.connect, tickInterval: 100 },
    transports: [createTcpTransport({ listenHost: '127.0.0.1', port: 0 })],
    webSocket: nodeWebSocket,
    webrtc: trackedWebRtc(rtc),
  });
  let lt: LtPeer | undefined;
  let page: TestPage | undefined;
  const seedAlerts: string[] = [];
  try {
    await seed.ready();
    const seedPort = seed.listenPort();
    expect(seedPort).toBeGreaterThan(0);
    // Seed mode (libtorrent's): the file was just written from `data`, so it is trusted, not hashed again.
    const h = await seed.addTorrent({ ti, savePath: join(run, 'seed'), flags: { seedMode: true } });
    const seedDeadline = Date.now() + 20_000;
    while (h.status().state !== 'seeding' && Date.now() < seedDeadline) {
      await seed.waitForAlert(100);
      for (const a of seed.popAlerts()) seedAlerts.push(`${a.type}: ${alertMessage(a)}`);
    }
    expect(h.status().state, seedAlerts.join('\n')).toBe('seeding');

    // libtorrent: listening and checked (nothing on disk yet), no peers until told.
    lt = spawnLtPeer({ torrent: torrentFile, save: join(run, 'lt'), mode: 'download', intervalSeconds: 0.05, downloadLimit: 16 * 2 ** 20, encryption: false });
    const ready = await lt.ready();
    expect(ready.progress).toBe(0);

    page = await harness.openPage('swarmkit', { isolated: true });
    await page.page.addScriptTag({ content: MIXED_PAGE });
    await page.page.evaluate(({ torrent }) => (globalThis as MixedGlobal).mixed.start(torrent, 180_000), { torrent: [...ti.toBytes()] });
    // The page is receiving over WebRTC: now give libtorrent the seed's TCP address.
    const firstBytesBy = Date.now() + 60_000;
    while ((await page.page.evaluate(() => (globalThis as MixedGlobal).mixed.received())) === 0) {
      if (Date.now() > firstBytesBy) throw new Error(`the page received nothing: ${await page.page.evaluate(() => (globalThis as MixedGlobal).mixed.debug())}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    lt.connect('127.0.0.1', seedPort);

    const [ltDone, r] = await Promise.all([
      lt.done(180_000),
      page.page.evaluate(() => (globalThis as MixedGlobal).mixed.result()),
    ]);
    for (const a of seed.popAlerts()) seedAlerts.push(`${a.type}: ${alertMessage(a)}`);

    // Both complete and verified.
    expect(ltDone.hashFailures).toBe(0);
    expect(ltDone.bytes).toBe(SIZE);
    expect(createHash('sha256').update(await readFile(join(run, 'lt', NAME))).digest('hex')).toBe(want);
    expect(r.warnings).toEqual([]);
    expect(r.state).toBe('seeding');
    expect(r.hashFailed).toBe(0);
    expect(r.transports).toEqual(['webrtc']);
    expect(r.digest).toBe(want);
    expect(page.errors).toEqual([]);
    // Nobody but the seed could serve either leech.
    expect(h.status().totalPayloadUpload).toBeGreaterThanOrEqual(2 * SIZE);
    expect(tracker.stats.answersRelayed).toBeGreaterThan(0);

    // Simultaneity, from the two timelines. libtorrent: first byte (lt_peer.py notes it on its 10 ms loop)
    // to `done`, with its progress samples; the page: its 25 ms samples.
    const ltStart = ltDone.t - (ltDone.seconds - (ltDone.firstByteSeconds ?? ltDone.seconds)) * 1000;
    const ltSamples: Sample[] = lt.events
      .filter((e) => e.event === 'progress' || e.event === 'done')
      .map((e) => [e.t, e.event === 'done' ? SIZE : Number(e.totalDownload)] as const);
    const ltLine: Timeline = { startMs: ltStart, endMs: ltDone.t, samples: ltSamples };
    const pageLine = timelineOf(r.samples, SIZE);
    const o = pageLine && overlap(ltLine, pageLine);
    const summary = JSON.stringify({ lt: [ltLine.startMs, ltLine.endMs], page: pageLine && [pageLine.startMs, pageLine.endMs], overlap: o });
    expect(o, summary).toBeDefined();
    expect(o!.gainA, summary).toBeGreaterThan(0);
    expect(o!.gainB, summary).toBeGreaterThan(0);
    const mib = (n: number): string => (n / 2 ** 20).toFixed(1);
    console.log(`mixed swarm: both downloads in progress for ${Math.round(o!.endMs - o!.startMs)} ms at once; in that window libtorrent received ≥ ${mib(o!.gainA)} MiB (TCP), the page ≥ ${mib(o!.gainB)} MiB (WebRTC)`);
  } finally {
    if (page !== undefined) {
      await page.page.evaluate(() => (globalThis as MixedGlobal).mixed.close()).catch(() => undefined);
      await page.close();
      await page.page.context().close();
    }
    await lt?.stop();
    await seed.close();
    await tracker.close();
  }
  expect(rtc.map((t) => t.connections)).toEqual(rtc.map(() => 0));
  await new Promise((res) => setTimeout(res, 300));
  expectNoLeaks(before);
}, 300_000);
