/**
 * Peer discovery against real programs on loopback (issue 4). Each of our sessions only learns of the
 * others through the mechanism under test (no connectPeer, DHT / LSD off unless tested):
 *   a. magnet only (x.pe names a python3-libtorrent seed): metadata over ut_metadata, then the data;
 *   b. Debian's opentracker over HTTP and over UDP: our seed, our leech and a libtorrent leech meet there;
 *   c. PEX: our leech knows only libtorrent peer L1 (a seed), L1 is connected to libtorrent seed S, which
 *      never dials anyone; our leech learns S from L1's ut_pex and dials it; and libtorrent learns of our
 *      seed from our ut_pex;
 *   d. DHT: a libtorrent seed and our session bootstrapped from each other; a magnet-only download.
 * Every download is compared byte for byte with the source.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Session, TorrentInfo, alertCategory, alertMessage } from '../../entry/node.js';
import type { Alert, SettingsPack, TorrentHandle } from '../../entry/node.js';
import { spawnLtPeer } from './helpers/libtorrent.js';
import type { LtPeer, LtPeerInfo, LtPeerOptions } from './helpers/libtorrent.js';
import { OPENTRACKER_BIN, startOpentracker } from './helpers/opentracker.js';
import type { Opentracker } from './helpers/opentracker.js';
import { ltCreate } from './helpers/python.js';
import { INTEROP_ALERTS, LOOPBACK_SETTINGS } from './helpers/session.js';

const LOCAL = '127.0.0.1';
const PIECE = 32_768;
const FILES: Array<[string, number]> = [['a.bin', 400_003], ['sub/b.bin', 150_000], ['sub/c.txt', 29]];
const DATA_BYTES = FILES.reduce((n, [, s]) => n + s, 0);

let dir: string;
let torrentFile: string;
let ti: TorrentInfo;
const lts: LtPeer[] = [];
const sessions: Session[] = [];
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swarmkit-discovery-'));
  for (const [p, n] of FILES) {
    mkdirSync(join(dir, 'src', 'payload', p, '..'), { recursive: true });
    writeFileSync(join(dir, 'src', 'payload', p), randomBytes(n));
  }
  torrentFile = join(dir, 'v1.torrent');
  const { bytes } = await ltCreate({ path: join(dir, 'src', 'payload'), version: 'v1', pieceLength: PIECE }, torrentFile);
  ti = await TorrentInfo.fromBytes(bytes);
});

afterEach(async () => {
  await Promise.all([...lts.splice(0).map((p) => p.stop()), ...sessions.splice(0).map((s) => s.close())]);
  for (const c of cleanups.splice(0)) await c();
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function lt(opts: Omit<LtPeerOptions, 'torrent'> & { torrent?: string }): LtPeer {
  const p = spawnLtPeer({ intervalSeconds: 0.5, torrent: torrentFile, ...opts });
  lts.push(p);
  return p;
}

interface Ours {
  session: Session;
  port: number;
  alerts: Alert[];
  drain(): void;
}

/** Our session on loopback: DHT, LSD, UPnP off unless `settings` says otherwise; alerts collected. */
async function ours(settings: Partial<SettingsPack> = {}): Promise<Ours> {
  const session = new Session({
    settings: {
      ...LOOPBACK_SETTINGS,
      dhtBootstrapNodes: '',
      alertMask: INTEROP_ALERTS | alertCategory.tracker | alertCategory.dht,
      ...settings,
    },
  });
  sessions.push(session);
  await session.ready();
  const alerts: Alert[] = [];
  return { session, port: session.listenPort(), alerts, drain: () => alerts.push(...session.popAlerts()) };
}

async function until(pred: () => boolean, ms: number, what: string, detail: () => unknown = () => ''): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(detail())}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function finished(o: Ours, h: TorrentHandle, ms = 60_000): Promise<void> {
  await until(() => {
    o.drain();
    const s = h.status();
    if (s.errorCode !== undefined) throw new Error(`torrent error ${s.errorCode}: ${s.error}`);
    return s.isSeeding;
  }, ms, 'our download to complete', () => ({ state: h.status().state, progress: h.status().progress, peers: h.status().numPeers, alerts: o.alerts.slice(-8).map(alertMessage) }));
}

async function expectSameData(save: string): Promise<void> {
  for (const [p] of FILES) {
    const got = await readFile(join(save, 'payload', p));
    const want = await readFile(join(dir, 'src', 'payload', p));
    expect(got.length, p).toBe(want.length);
    expect(Buffer.compare(got, want), `${p} differs`).toBe(0);
  }
}

/** Our seed of the test torrent (a copy of the source data), checked and seeding. */
async function ourSeed(name: string, o: Ours, trackers: string[] = []): Promise<TorrentHandle> {
  const seedDir = join(dir, name);
  cpSync(join(dir, 'src'), seedDir, { recursive: true });
  const h = await o.session.addTorrent({ ti, savePath: seedDir, trackers });
  await until(() => h.status().isSeeding, 30_000, 'our seed to check', () => h.status().state);
  return h;
}

const outgoingTo = (o: Ours, port: number): boolean => o.alerts.some((a) => a.type === 'peer_connect' && a.direction === 'out' && a.endpoint.port === port);

describe('magnet', () => {
  it('magnet with x.pe naming a libtorrent seed: metadata over ut_metadata, then the data, verified', async () => {
    const seed = lt({ save: join(dir, 'src'), mode: 'seed' });
    const ready = await seed.ready();
    expect(ready.infoHash).toBe(ti.id);
    const o = await ours();
    const save = join(dir, 'magnet-leech');
    // Only the info-hash and the peer: no name, no trackers.
    const magnet = `magnet:?xt=urn:btih:${ti.id}&x.pe=${LOCAL}:${ready.port}`;
    const h = await o.session.addTorrent({ url: magnet, savePath: save });
    expect(h.torrentFile()).toBeUndefined();
    await until(() => {
      o.drain();
      return o.alerts.some((a) => a.type === 'metadata_received');
    }, 30_000, 'metadata_received', () => o.alerts.slice(-5).map(alertMessage));
    const got = h.torrentFile()!;
    expect(got.id).toBe(ti.id);
    expect(Buffer.compare(Buffer.from(got.infoBytes), Buffer.from(ti.infoBytes))).toBe(0);
    await finished(o, h);
    expect(h.status().totalDone).toBe(DATA_BYTES);
    expect(o.alerts.filter((a) => a.type === 'metadata_failed' || a.type === 'hash_failed')).toEqual([]);
    await h.flushCache();
    await expectSameData(save);
  });
});

describe.skipIf(OPENTRACKER_BIN === undefined)('opentracker', () => {
  it.each(['http', 'udp'] as const)('%s: our seed, our leech and a libtorrent leech find each other only through opentracker', async (kind) => {
    const tracker: Opentracker = await startOpentracker([ti.id]);
    cleanups.push(() => tracker.stop());
    const url = kind === 'http' ? tracker.httpUrl : tracker.udpUrl;
    const seed = await ours();
    await ourSeed(`tracker-seed-${kind}`, seed, [url]);
    await until(() => {
      seed.drain();
      return seed.alerts.some((a) => a.type === 'tracker_reply' && a.url === url);
    }, 20_000, 'the seed\'s announce', () => seed.alerts.filter((a) => a.type.startsWith('tracker')).map(alertMessage));

    const leech = await ours();
    const save = join(dir, `tracker-leech-${kind}`);
    const h = await leech.session.addTorrent({ ti, savePath: save, trackers: [url] });
    const ltSave = join(dir, `tracker-lt-leech-${kind}`);
    mkdirSync(ltSave);
    const ltLeech = lt({ save: ltSave, mode: 'download', trackers: [url] });
    await ltLeech.ready();

    await finished(leech, h);
    const done = await ltLeech.done(60_000);
    expect(done.bytes).toBe(DATA_BYTES);
    expect(done.hashFailures).toBe(0);
    await h.flushCache();
    await expectSameData(save);
    await expectSameData(ltSave);
    // The leech heard of the seed from opentracker and dialled it.
    const reply = leech.alerts.find((a) => a.type === 'tracker_reply' && a.url === url && a.numPeers >= 1);
    expect(reply, leech.alerts.map(alertMessage).join(' | ')).toBeDefined();
    expect(outgoingTo(leech, seed.port)).toBe(true);
    expect(h.trackers()[0]).toMatchObject({ url, verified: true });
    // libtorrent's leech got its peers from the tracker too.
    expect((await ltLeech.waitFor('tracker', 10_000, (e) => e.url === url)).numPeers).toBeGreaterThanOrEqual(1);
  });
});

describe('PEX', () => {
  it('our leech learns a libtorrent seed from another libtorrent peer\'s ut_pex and dials it', async () => {
    // S: a libtorrent seed that never dials; L1: a libtorrent seed that dials S and keeps the seed-seed link.
    const s = lt({ save: join(dir, 'src'), mode: 'seed', seedMode: true, noOutgoing: true, keepRedundant: true });
    const sReady = await s.ready();
    const l1 = lt({ save: join(dir, 'src'), mode: 'seed', seedMode: true, keepRedundant: true, peers: [{ host: LOCAL, port: sReady.port }], reportPeers: true });
    const l1Ready = await l1.ready();
    await l1.waitFor('progress', 15_000, (e) => (e.peers as LtPeerInfo[]).some((p) => p.port === sReady.port));

    const o = await ours({ pexIntervalMs: 1000 });
    const save = join(dir, 'pex-leech');
    // Every file at priority 0 until S is found: otherwise the leech finishes from L1 (and closes the
    // seed-seed link) before L1's first ut_pex message, which libtorrent sends on a 1 s tick.
    const h = await o.session.addTorrent({ ti, savePath: save, filePriorities: FILES.map(() => 0) });
    await h.connectPeer({ host: LOCAL, port: l1Ready.port });
    // L1 now has two peers: its first ut_pex message names S (a peer it dialled).
    await until(() => {
      o.drain();
      return outgoingTo(o, sReady.port);
    }, 30_000, 'a connection to S learned through PEX', () => o.alerts.filter((a) => a.type.startsWith('peer')).map(alertMessage));
    expect(h.status().totalDone).toBe(0);
    h.prioritizeFiles(FILES.map(() => 4));
    await finished(o, h);
    await h.flushCache();
    await expectSameData(save);
  });

  it('libtorrent learns our seed from our ut_pex and downloads from it', async () => {
    // Our seed, our relay (a leech in upload mode: it never has a piece) and a libtorrent leech that knows
    // only the relay. Everything libtorrent gets comes from our seed, which only our PEX names.
    // Our seed never dials (so libtorrent cannot meet it as an incoming peer).
    const seed = await ours({ pexIntervalMs: 500, enableOutgoingTcp: false });
    const sh = await ourSeed('pex-our-seed', seed);
    const relay = await ours({ pexIntervalMs: 500 });
    const rh = await relay.session.addTorrent({ ti, savePath: join(dir, 'pex-relay'), flags: { uploadMode: true } });
    await rh.connectPeer({ host: LOCAL, port: seed.port });
    await until(() => {
      relay.drain();
      return outgoingTo(relay, seed.port);
    }, 15_000, 'the relay to connect to our seed');
    const ltSave = join(dir, 'pex-lt-leech');
    rmSync(ltSave, { recursive: true, force: true }); // a retry starts empty
    mkdirSync(ltSave);
    const leech = lt({ save: ltSave, mode: 'download', peers: [{ host: LOCAL, port: relay.port }], reportPeers: true });
    await leech.ready();
    const done = await leech.done(60_000);
    expect(done.bytes).toBe(DATA_BYTES);
    expect(done.hashFailures).toBe(0);
    await expectSameData(ltSave);
    // Every byte came from our seed (the relay has none), which never dials out and is named to libtorrent only
    // by the relay's ut_pex: so libtorrent dialled it after learning it through PEX.
    expect(rh.status().numPieces).toBe(0);
    expect(sh.status().totalPayloadUpload).toBeGreaterThanOrEqual(DATA_BYTES);
    // libtorrent's peer list is sampled; when a sample caught that connection, it must say so. A sample can
    // come back with no source at all, as one did in a CI run (likely a connection libtorrent was already
    // closing: the download can finish within one sampling turn); then only the direction is checked.
    const sampled = leech.events.find((e) => e.event === 'peer' && (e as unknown as LtPeerInfo).port === seed.port) as unknown as LtPeerInfo | undefined;
    if (sampled !== undefined) {
      expect(sampled.outgoing).toBe(true);
      if (sampled.source.length > 0) expect(sampled.source).toContain('pex');
    }
  });
});

describe('DHT', () => {
  it('our session finds a libtorrent seed through the DHT (nodes added both ways) and downloads a magnet', async () => {
    const dhtSettings: Partial<SettingsPack> = { enableDht: true, dhtEnforceNodeId: false, dhtRestrictRoutingIps: false, dhtRestrictSearchIps: false, dhtBlockRatelimit: 0, dhtUploadRateLimit: 0 };
    const o = await ours(dhtSettings);
    await until(() => o.session.dhtPort() > 0, 10_000, 'our DHT port');
    const seed = lt({ save: join(dir, 'src'), mode: 'seed', seedMode: true, dht: true, dhtNodes: [{ host: LOCAL, port: o.session.dhtPort() }] });
    const ready = await seed.ready();
    // libtorrent's DHT shares its listen port.
    expect(await o.session.addDhtNode({ host: LOCAL, port: ready.port })).toBe(true);
    const save = join(dir, 'dht-leech');
    const h = await o.session.addTorrent({ url: `magnet:?xt=urn:btih:${ti.id}`, savePath: save });
    // libtorrent announces to our node once its DHT is up; we then look up again (every 2 s until a reply).
    let lastLookup = 0;
    await until(() => {
      o.drain();
      if (o.alerts.some((a) => a.type === 'dht_reply' && a.infoHash === ti.id && a.numPeers >= 1)) return true;
      if (o.alerts.some((a) => a.type === 'dht_announce' && a.infoHash === ti.id) && Date.now() - lastLookup > 2000) {
        lastLookup = Date.now();
        h.forceDhtAnnounce();
      }
      return false;
    }, 60_000, 'libtorrent\'s announce and our lookup', () => o.alerts.filter((a) => a.type.startsWith('dht')).map(alertMessage));
    await finished(o, h);
    await h.flushCache();
    await expectSameData(save);
    expect(outgoingTo(o, ready.port)).toBe(true);
    expect((await o.session.dhtGetPeers(ti.id)).some((p) => p.port === ready.port)).toBe(true);
  });
});
