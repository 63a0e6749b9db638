// Peer discovery between our own sessions on 127.0.0.1 with real sockets: trackers (our tracker-server over
// HTTP and UDP, the UDP announce on the session's shared UDP socket), the DHT (three sessions whose nodes
// know each other, BEP 42 and IP restrictions off for one host), PEX (A knows B, B knows C: A learns C) and
// LSD (real multicast on loopback). Each session only learns the other through the mechanism under test.
import dgram from 'node:dgram';
import { describe, test, expect } from 'vitest';
import { Session } from '../../src/session/session.js';
import type { SessionOptions } from '../../src/session/session.js';
import type { SettingsPack } from '../../src/session/settings.js';
import type { TorrentInfo } from '../../src/metainfo/torrent-info.js';
import { bdecode } from '../../src/metainfo/bencode.js';
import { alertCategory } from '../../src/session/alert-category.js';
import { createTcpTransport } from '../../transports/tcp/index.js';
import { createUdpFactory } from '../../transports/udp/index.js';
import { startLsd } from '../../transports/lsd/index.js';
import { createMemoryStorage } from '../../storage-adapters/memory/index.js';
import { createTrackerServer } from '../../tracker-server/index.js';
import type { TrackerServer } from '../../tracker-server/index.js';
import { bytes, fillStorage, makeTorrent, waitFor } from '../unit/session/helpers.js';
import type { TestFile } from '../unit/session/helpers.js';
import { SWARM_ALERTS, TEST_SETTINGS, expectData, useSwarmHarness, waitFinished } from './helpers/swarm.js';

const harness = useSwarmHarness({ settleMs: 30 });
const { sessions, cleanups } = harness;

const BASE: Partial<SettingsPack> = {
  ...TEST_SETTINGS,
  alertMask: SWARM_ALERTS | alertCategory.tracker | alertCategory.dht,
  enableDht: false,
  enableLsd: false,
  dhtBootstrapNodes: '',
  stopTrackerTimeout: 2,
};

async function session(settings: Partial<SettingsPack> = {}, extra: Partial<SessionOptions> = {}): Promise<Session> {
  const s = new Session({
    settings: { ...BASE, ...settings },
    storage: createMemoryStorage(),
    hashPool: harness.pool,
    transports: [createTcpTransport({ listenHost: '127.0.0.1', port: 0 })],
    datagram: createUdpFactory(),
    ...extra,
  });
  sessions.push(s);
  await s.ready();
  return s;
}

const FILES: TestFile[] = [{ path: 'disc/a.bin', data: bytes(200_000, 31) }];

async function seedOf(ti: TorrentInfo, s: Session, extra: { trackers?: string[] } = {}): Promise<void> {
  const storage = createMemoryStorage();
  await fillStorage(storage, ti, FILES);
  await s.addTorrent({ ti, savePath: 'seed', storage, ...extra });
  await waitFor(s, 'torrent_finished');
}

async function tracker(): Promise<{ server: TrackerServer; tcp: number; udp: number }> {
  const server = createTrackerServer({ http: true, udp: true, ws: false, intervalSec: 60 });
  const addr = await server.listen(0, '127.0.0.1');
  cleanups.push(() => server.close());
  return { server, tcp: addr.tcp!, udp: addr.udp! };
}

describe('trackers', () => {
  test.each(['http', 'udp'] as const)('%s: seed and leech find each other through our tracker-server', async (kind) => {
    const ti = await makeTorrent(FILES, 'v1', 16384);
    const tr = await tracker();
    const url = kind === 'http' ? `http://127.0.0.1:${tr.tcp}/announce` : `udp://127.0.0.1:${tr.udp}/announce`;
    const seed = await session();
    const leech = await session();
    if (kind === 'udp') {
      expect(leech.dhtPort()).toBeGreaterThan(0);
      await waitFor(leech, 'listen_succeeded', (a) => a.socketType === 'udp');
    }
    await seedOf(ti, seed, { trackers: [url] });
    await waitFor(seed, 'tracker_reply', (a) => a.url === url);
    const storage = createMemoryStorage();
    const h = await leech.addTorrent({ ti, savePath: 'leech', trackers: [url], storage });
    await waitFor(leech, 'tracker_announce', (a) => a.url === url && a.event === 'started');
    await waitFor(leech, 'tracker_reply', (a) => a.url === url && a.numPeers >= 1);
    await waitFinished(h);
    await expectData(storage, ti, FILES);
    const st = h.trackers();
    expect(st).toHaveLength(1);
    expect(st[0]!.verified).toBe(true);
    expect(st[0]!.startSent).toBe(true);
    await waitFor(leech, 'tracker_announce', (a) => a.url === url && a.event === 'completed');
    await h.scrapeTracker();
    const sr = await waitFor(leech, 'scrape_reply', (a) => a.url === url);
    expect(sr.complete).toBeGreaterThanOrEqual(1);
    await leech.removeTorrent(h);
  });

  test('tracker errors are reported with fails and a retry; addTracker and forceReannounce reach a working one', async () => {
    const ti = await makeTorrent(FILES, 'v1', 16384);
    const dead = dgram.createSocket('udp4');
    await new Promise<void>((r) => dead.bind(0, '127.0.0.1', () => r()));
    const deadPort = dead.address().port;
    await new Promise<void>((r) => dead.close(() => r()));
    const s = await session({ trackerCompletionTimeout: 2 });
    const bad = `http://127.0.0.1:${deadPort}/announce`;
    const h = await s.addTorrent({ ti, savePath: 'x', trackers: [bad] });
    const err = await waitFor(s, 'tracker_error', (a) => a.url === bad);
    expect(err.timesInRow).toBe(1);
    expect(err.retryIn).toBeGreaterThan(0);
    expect(h.trackers()[0]!.fails).toBe(1);
    const tr = await tracker();
    const good = `http://127.0.0.1:${tr.tcp}/announce`;
    expect(h.addTracker(good, 1)).toBe(true);
    expect(h.addTracker(good, 1)).toBe(false);
    h.forceReannounce();
    await waitFor(s, 'tracker_reply', (a) => a.url === good);
  });
});

describe('DHT', () => {
  test('three sessions: the seed announces, a magnet-only leech finds it through the DHT', async () => {
    const ti = await makeTorrent(FILES, 'v1', 16384);
    const dht: Partial<SettingsPack> = { enableDht: true, dhtEnforceNodeId: false, dhtRestrictRoutingIps: false, dhtRestrictSearchIps: false, dhtBlockRatelimit: 0, dhtUploadRateLimit: 0 };
    const a = await session(dht);
    const b = await session(dht);
    const c = await session(dht);
    expect(a.isDhtRunning()).toBe(true);
    const at = (s: Session) => ({ host: '127.0.0.1', port: s.dhtPort() });
    expect(await b.addDhtNode(at(a))).toBe(true);
    expect(await c.addDhtNode(at(a))).toBe(true);
    expect(await a.addDhtNode(at(b))).toBe(true);
    expect(await a.addDhtNode(at(c))).toBe(true);
    await seedOf(ti, b);
    await waitFor(a, 'dht_announce', (x) => x.infoHash === ti.id && x.port === b.listenPort());
    const h = await c.addTorrent({ url: ti.toMagnet(), savePath: 'leech' });
    h.forceDhtAnnounce();
    await waitFor(c, 'dht_reply', (x) => x.infoHash === ti.id && x.numPeers >= 1);
    await waitFor(c, 'metadata_received');
    await waitFinished(h);
    expect((await c.dhtGetPeers(ti.id)).some((p) => p.port === b.listenPort())).toBe(true);
  });

  test('saveState / loadState round-trip the DHT id and settings; corrupt state is a typed error or an alert', async () => {
    const s = await session({ enableDht: true, dhtEnforceNodeId: false, numWant: 77 });
    const state = s.saveState();
    const again = await session({ enableDht: undefined }, { state });
    expect(again.getSettings().numWant).toBe(77);
    expect(again.getSettings().enableDht).toBe(true);
    const idOf = (b: Uint8Array): string => Buffer.from(((bdecode(b) as Map<string, unknown>).get('dht') as Map<string, Uint8Array>).get('id')!).toString('hex');
    expect(idOf(again.saveState())).toBe(idOf(state));
    expect(() => again.loadState(new Uint8Array([0x64, 0x31]))).toThrow(expect.objectContaining({ code: expect.stringMatching(/^bdecode_/) }));
    expect(() => again.loadState(new TextEncoder().encode('li1ee'))).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
    again.loadState(new TextEncoder().encode('d8:settingsd16:connectionsLimiti50e3:fooi1e7:numWanti-5eee'));
    expect(again.getSettings().numWant).toBe(77);
    expect(again.getSettings().connectionsLimit).toBe(50);
    const broken = await session({}, { state: new Uint8Array([1, 2, 3]) });
    await waitFor(broken, 'session_error');
  });
});

describe('PEX', () => {
  test('A knows B, B knows C: A learns C through ut_pex and downloads from it', async () => {
    const ti = await makeTorrent(FILES, 'v1', 16384);
    const pex: Partial<SettingsPack> = { pexIntervalMs: 300 };
    const c = await session(pex);
    const b = await session(pex);
    const a = await session(pex);
    await seedOf(ti, c);
    // B stays connected to C without finishing (upload mode: it downloads nothing)
    const hb = await b.addTorrent({ ti, savePath: 'b', flags: { uploadMode: true } });
    await hb.connectPeer({ host: '127.0.0.1', port: c.listenPort() });
    await waitFor(b, 'peer_connect', (x) => x.endpoint.port === c.listenPort());
    const storage = createMemoryStorage();
    const ha = await a.addTorrent({ ti, savePath: 'a', storage });
    await ha.connectPeer({ host: '127.0.0.1', port: b.listenPort() });
    // B has no piece: every byte A gets comes from C, which A and C only learn of through B's PEX messages
    // (A dials C, or C, told of A, dials A first).
    await waitFinished(ha);
    await expectData(storage, ti, FILES);
    expect(hb.status().numPieces).toBe(0);
  });
});

describe('LSD', () => {
  test('seed and leech on one host find each other by multicast', async () => {
    const ti = await makeTorrent(FILES, 'v1', 16384);
    const probe = dgram.createSocket('udp4');
    await new Promise<void>((r) => probe.bind(0, '127.0.0.1', () => r()));
    const lsdPort = probe.address().port;
    await new Promise<void>((r) => probe.close(() => r()));
    const lsd: SessionOptions['lsd'] = (o) => startLsd({ listenPort: o.listenPort, lsdPort, interfaceV4: '127.0.0.1', tickMs: 50, intervalMs: 500, onPeer: o.onPeer, onError: o.onError });
    const seed = await session({ enableLsd: true }, { lsd });
    const leech = await session({ enableLsd: true }, { lsd });
    await seedOf(ti, seed);
    const h = await leech.addTorrent({ ti, savePath: 'leech' });
    // The leech's announce reaches the seed, which knows the torrent and dials the leech. Multicast is
    // unreliable, so announces repeat every 500 ms here (5 minutes by default) in case one is lost.
    await waitFor(seed, 'lsd_peer', (x) => x.endpoint.port === leech.listenPort());
    await waitFinished(h);
  });
});
