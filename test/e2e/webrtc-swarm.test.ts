// WebRTC swarms between Node sessions (@roamhq/wrtc), peers found through our tracker-server's
// WebSocket (WebTorrent-compatible) tracker on loopback:
// (a) a torrent whose only tracker is ws://127.0.0.1:PORT: a WebRTC-only leech (no TCP transport)
//     downloads from a seed over WebRTC, verified byte for byte;
// (b) hybrid seeding: one seed with TCP and the ws tracker; a TCP-only leech (connectPeer) and a
//     WebRTC leech download from it at the same time;
// (c) the per-torrent RTCPeerConnection cap (the session's `webrtc.maxConnectionsPerTorrent`) holds while
//     a leech downloads from two seeds;
// (d) a session without WebRTC skips the ws tracker with a tracker_warning.
// After each test: no RTCPeerConnections (transport counts), sockets or timers left.
import { afterEach, beforeAll, beforeEach, afterAll, describe, expect, test } from 'vitest';
import { Session } from '../../src/session/session.js';
import type { TorrentHandle } from '../../src/session/torrent-handle.js';
import { defaultSettings } from '../../src/session/settings.js';
import type { SettingsPack } from '../../src/session/settings.js';
import type { TorrentInfo } from '../../src/metainfo/torrent-info.js';
import type { Alert } from '../../src/session/alerts.js';
import { alertCategory } from '../../src/session/alert-category.js';
import { createHashPool } from '../../src/platform/hash-pool.node.js';
import type { HashPool } from '../../src/platform/hash-pool.node.js';
import { createMemoryStorage } from '../../storage-adapters/memory/index.js';
import { createTcpTransport } from '../../transports/tcp/index.js';
import type { WebRtcTransport } from '../../transports/webrtc/index.js';
import { trackedWebRtc } from '../helpers/node-webrtc.js';
import { createTrackerServer } from '../../tracker-server/index.js';
import type { TrackerServer } from '../../tracker-server/index.js';
import { nodeWebSocket } from '../../entry/node.js';
import { bytes, fillStorage, makeTorrent } from '../unit/session/helpers.js';
import type { TestFile } from '../unit/session/helpers.js';
import { TEST_SETTINGS, expectData, expectNoLeaks, resources, waitFinished } from './helpers/swarm.js';

let pool: HashPool;
let before: string[];
let tracker: TrackerServer;
let url: string;
const sessions: Session[] = [];
const rtc: WebRtcTransport[] = [];

const settings: Partial<SettingsPack> = { ...TEST_SETTINGS, alertMask: alertCategory.all };

beforeAll(() => {
  pool = createHashPool({ threads: 2 });
});
afterAll(async () => {
  await pool.close();
});
beforeEach(async () => {
  before = resources();
  tracker = createTrackerServer({ ws: true, http: false, udp: false });
  const addr = await tracker.listen(0, '127.0.0.1');
  url = `ws://127.0.0.1:${addr.tcp}`;
});
afterEach(async () => {
  await Promise.all(sessions.map((s) => s.close()));
  sessions.length = 0;
  await tracker.close();
  expect(rtc.map((t) => t.connections)).toEqual(rtc.map(() => 0));
  rtc.length = 0;
  // wrtc tears RTCPeerConnections down on its own threads, and closed WebSockets finish their close handshake.
  await new Promise((r) => setTimeout(r, 300));
  expectNoLeaks(before);
}, 30_000);

/** A session; `tcp` adds a loopback TCP transport, `webrtc` the ws tracker's WebRTC (no ICE servers). */
function session(opts: { tcp: boolean; webrtc: boolean; perTorrent?: number }): { session: Session; storage: ReturnType<typeof createMemoryStorage> } {
  const storage = createMemoryStorage();
  const s = new Session({
    settings,
    storage,
    hashPool: pool,
    transports: opts.tcp ? [createTcpTransport({ listenHost: '127.0.0.1', port: 0 })] : [],
    webSocket: nodeWebSocket,
    ...(opts.webrtc
      ? {
          webrtc: { ...trackedWebRtc(rtc), ...(opts.perTorrent !== undefined ? { maxConnectionsPerTorrent: opts.perTorrent } : {}) },
        }
      : {}),
  });
  sessions.push(s);
  return { session: s, storage };
}

async function seed(ti: TorrentInfo, files: readonly TestFile[], tcp: boolean): Promise<{ session: Session; handle: TorrentHandle }> {
  const n = session({ tcp, webrtc: true });
  await fillStorage(n.storage, ti, files);
  await n.session.ready();
  const handle = await n.session.addTorrent({ ti, savePath: 'seed', trackers: [url] });
  await until(n.session, (a) => a.type === 'torrent_finished');
  // Announced (with its offers) before the next peer joins, so each test's order of events is fixed.
  await until(n.session, (a) => a.type === 'tracker_reply');
  return { session: n.session, handle };
}

/** Waits for an alert matching `pred` (collecting alerts on the way). */
async function until(s: Session, pred: (a: Alert) => boolean, ms = 20_000): Promise<Alert> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    for (const a of s.popAlerts()) if (pred(a)) return a;
    await s.waitForAlert(200);
  }
  throw new Error('alert not seen in time');
}

const settingsStopTimeoutMs = (): number => (settings.stopTrackerTimeout ?? defaultSettings.stopTrackerTimeout) * 1000;

const files = (): TestFile[] => [{ path: 'w/a.bin', data: bytes(700_001, 5) }, { path: 'w/b.bin', data: bytes(90_000, 6) }];

describe('WebRTC swarm through a WebSocket tracker', () => {
  test('(a) a WebRTC-only leech downloads from a seed; the torrent\'s only tracker is ws://', async () => {
    const f = files();
    const ti = await makeTorrent(f, 'v1', 32768);
    await seed(ti, f, false);
    const leech = session({ tcp: false, webrtc: true });
    await leech.session.ready();
    const h = await leech.session.addTorrent({ ti, savePath: 'leech', trackers: [url] });
    const connected = until(leech.session, (a) => a.type === 'peer_connect');
    await waitFinished(h, 40_000);
    const pc = await connected;
    expect(pc).toMatchObject({ transport: 'webrtc' });
    await expectData(leech.storage, ti, f);
    const st = h.status();
    expect(st.state).toBe('seeding');
    expect(st.totalDone).toBe(ti.totalLength);
    const trackers = h.trackers();
    expect(trackers).toEqual([expect.objectContaining({ url, verified: true, startSent: true })]);
    expect(tracker.stats.offersRelayed).toBeGreaterThan(0);
    expect(tracker.stats.answersRelayed).toBeGreaterThan(0);
  }, 60_000);

  test('(b) hybrid seeding: a TCP leech and a WebRTC leech download from one seed at once', async () => {
    const f = files();
    const ti = await makeTorrent(f, 'v1', 16384);
    const s = await seed(ti, f, true);
    const tcpLeech = session({ tcp: true, webrtc: false });
    const rtcLeech = session({ tcp: false, webrtc: true });
    await Promise.all([tcpLeech.session.ready(), rtcLeech.session.ready()]);
    const ht = await tcpLeech.session.addTorrent({ ti, savePath: 'tcp' });
    const hr = await rtcLeech.session.addTorrent({ ti, savePath: 'rtc', trackers: [url] });
    await ht.connectPeer({ host: '127.0.0.1', port: s.session.listenPort() });
    await Promise.all([waitFinished(ht, 40_000), waitFinished(hr, 40_000)]);
    await expectData(tcpLeech.storage, ti, f);
    await expectData(rtcLeech.storage, ti, f);
    // The seed served both kinds of peer.
    const kinds = new Set<string>();
    for (const a of s.session.popAlerts()) if (a.type === 'peer_connect') kinds.add(a.transport === 'webrtc' ? 'webrtc' : 'tcp');
    expect([...kinds].sort()).toEqual(['tcp', 'webrtc']);
  }, 60_000);

  test('(c) the per-torrent RTCPeerConnection cap holds: one at a time, and the download still completes', async () => {
    const f = files();
    const ti = await makeTorrent(f, 'v1', 16384);
    await seed(ti, f, false);
    await seed(ti, f, false);
    const leech = session({ tcp: false, webrtc: true, perTorrent: 1 });
    await leech.session.ready();
    const h = await leech.session.addTorrent({ ti, savePath: 'leech', trackers: [url] });
    // The leech's transport is made when its ws tracker starts (after both seeds' transports).
    let most = 0;
    const sample = setInterval(() => {
      if (rtc.length === 3) most = Math.max(most, rtc[2]!.connections);
    }, 5);
    try {
      await waitFinished(h, 40_000);
    } finally {
      clearInterval(sample);
    }
    await expectData(leech.storage, ti, f);
    expect(most).toBe(1);
    expect(h.status().numPeers).toBeLessThanOrEqual(1);
  }, 60_000);

  test('(e) a magnet whose only tracker is ws://: metadata (ut_metadata) and data come over WebRTC; removing it sends `stopped`', async () => {
    const f = files();
    const ti = await makeTorrent(f, 'v1', 32768);
    await seed(ti, f, false);
    const leech = session({ tcp: false, webrtc: true });
    await leech.session.ready();
    const h = await leech.session.addTorrent({ url: `${ti.toMagnet()}&tr=${encodeURIComponent(url)}`, savePath: 'leech' });
    await waitFinished(h, 40_000);
    await expectData(leech.storage, ti, f);
    const swarm = tracker.store.get(String.fromCharCode(...ti.infoHashes.v1!));
    expect(swarm?.peers.size).toBe(2);
    // Removing the torrent sends `stopped`: the tracker forgets the leech. The `stopped` of the metadata
    // phase was answered too (a restarted tracker client must not steal its reply), so no wait for
    // stopTrackerTimeout here.
    const t0 = Date.now();
    await leech.session.removeTorrent(h);
    expect(Date.now() - t0).toBeLessThan(settingsStopTimeoutMs() - 1000);
    expect(swarm!.peers.size).toBe(1);
    expect(leech.session.popAlerts().some((a) => a.type === 'tracker_announce' && a.event === 'stopped' && a.url === url)).toBe(true);
  }, 60_000);

  test('(d) without WebRTC the ws tracker is skipped with a tracker_warning', async () => {
    const n = session({ tcp: false, webrtc: false });
    await n.session.ready();
    const ti = await makeTorrent(files(), 'v1', 32768);
    await n.session.addTorrent({ ti, savePath: 'x', trackers: [url] });
    const w = await until(n.session, (a) => a.type === 'tracker_warning');
    expect(w).toMatchObject({ url });
    expect((w as { message: string }).message).toMatch(/WebSocket tracker skipped.*WebRTC/);
  }, 30_000);
});
