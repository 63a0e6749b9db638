// Our Session (entry/node.ts: fs storage, TCP transport) against python3-libtorrent 2.0.8 (lt_peer.py) over
// TCP on loopback, fast extension on (both sides' default), for a v1 and a hybrid multi-file torrent made
// by libtorrent (the hybrid one has pad files). Every download is checked byte for byte against the source.
//   1. libtorrent seeds → our session downloads (we dial libtorrent).
//   2. our session seeds → libtorrent downloads (libtorrent dials us).
//   3. a mixed swarm: our seed and a libtorrent seed first, then our leech and a libtorrent leech that
//      connect to everyone (including each other); both leeches must complete.
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Session, TorrentInfo, alertMessage } from '../../entry/node.js';
import type { Alert, TorrentHandle } from '../../entry/node.js';
import { spawnLtPeer } from './helpers/libtorrent.js';
import type { LtPeer } from './helpers/libtorrent.js';
import { ltCreate } from './helpers/python.js';
import { INTEROP_ALERTS, LOOPBACK_SETTINGS } from './helpers/session.js';
import type { LtTorrentDescription } from './helpers/python.js';

const PIECE = 65_536;
const LOCAL = '127.0.0.1';
/** Files of the test torrent: sizes that start files mid-piece, one smaller than a piece, a short last piece. */
const FILES: Array<[string, number]> = [['a.bin', 1_000_003], ['sub/b.bin', 333_333], ['sub/c.txt', 17], ['z.bin', 700_000]];

let dir: string;
const torrents = new Map<string, { file: string; bytes: Uint8Array; desc: LtTorrentDescription }>();
const lts: LtPeer[] = [];
const sessions: Session[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swarmkit-swarm-lt-'));
  for (const [p, n] of FILES) {
    mkdirSync(join(dir, 'src', 'payload', p, '..'), { recursive: true });
    writeFileSync(join(dir, 'src', 'payload', p), randomBytes(n));
  }
  for (const version of ['v1', 'hybrid'] as const) {
    const file = join(dir, `${version}.torrent`);
    const { bytes, desc } = await ltCreate({ path: join(dir, 'src', 'payload'), version, pieceLength: PIECE }, file);
    torrents.set(version, { file, bytes, desc });
  }
});

afterEach(async () => {
  await Promise.all([...lts.splice(0).map((p) => p.stop()), ...sessions.splice(0).map((s) => s.close())]);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function lt(opts: Parameters<typeof spawnLtPeer>[0]): LtPeer {
  const p = spawnLtPeer({ intervalSeconds: 0.5, ...opts });
  lts.push(p);
  return p;
}

/** A session listening on loopback; alerts it posts are collected in `alerts`. */
async function ourSession(): Promise<{ session: Session; port: number; alerts: Alert[]; drain: () => void }> {
  const session = new Session({
    settings: { ...LOOPBACK_SETTINGS, alertMask: INTEROP_ALERTS },
  });
  sessions.push(session);
  await session.ready();
  const port = session.listenPort();
  expect(port).toBeGreaterThan(0);
  const alerts: Alert[] = [];
  return { session, port, alerts, drain: () => alerts.push(...session.popAlerts()) };
}

/** Polls `pred` every 50 ms until it holds; fails with `what` and `detail()` after `ms`. */
async function until(pred: () => boolean, ms: number, what: string, detail: () => unknown = () => ''): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(detail())}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function ourDownloadDone(h: TorrentHandle, drain: () => void, ms = 90_000): Promise<void> {
  await until(() => {
    drain();
    const s = h.status();
    if (s.errorCode !== undefined) throw new Error(`torrent error ${s.errorCode}: ${s.error}`);
    return s.isSeeding;
  }, ms, 'our download to complete', () => {
    const s = h.status();
    return { state: s.state, progress: s.progress, numPeers: s.numPeers };
  });
}

/** Every non-pad file under `save` equals the source. */
async function expectSameData(save: string): Promise<void> {
  for (const [p] of FILES) {
    const got = await readFile(join(save, 'payload', p));
    const want = await readFile(join(dir, 'src', 'payload', p));
    expect(got.length, p).toBe(want.length);
    expect(Buffer.compare(got, want), `${p} differs`).toBe(0);
  }
}

/** Payload bytes a libtorrent peer has uploaded, from a progress event posted from now on. */
async function ltUploaded(p: LtPeer): Promise<number> {
  const now = Date.now();
  return (await p.waitFor('progress', 10_000, (e) => e.t >= now)).totalUpload as number;
}

const dataBytes = FILES.reduce((n, [, s]) => n + s, 0);

describe.each(['v1', 'hybrid'] as const)('%s torrent, TCP on loopback', (version) => {
  it('libtorrent seeds → our session downloads, verified', async () => {
    const t = torrents.get(version)!;
    const seed = lt({ torrent: t.file, save: join(dir, 'src'), mode: 'seed' });
    const ready = await seed.ready();

    const { session, alerts, drain } = await ourSession();
    const save = join(dir, `ours-from-lt-${version}`);
    const ti = await TorrentInfo.fromBytes(t.bytes);
    expect(ti.id).toBe(ready.infoHash);
    const h = await session.addTorrent({ ti, savePath: save });
    await h.connectPeer({ host: LOCAL, port: ready.port });
    await ourDownloadDone(h, drain);
    drain();

    const s = h.status();
    expect(s.totalDone).toBe(dataBytes);
    expect(s.totalPayloadDownload).toBeGreaterThanOrEqual(dataBytes);
    expect(alerts.filter((a) => a.type === 'hash_failed')).toEqual([]);
    expect(alerts.some((a) => a.type === 'peer_connect')).toBe(true);
    await h.flushCache();
    await expectSameData(save);
    // libtorrent counted what it sent us.
    await seed.waitFor('progress', 10_000, (e) => (e.totalUpload as number) >= dataBytes);
  });

  it('our session seeds → libtorrent downloads, verified', async () => {
    const t = torrents.get(version)!;
    const seedDir = join(dir, `our-seed-${version}`);
    cpSync(join(dir, 'src'), seedDir, { recursive: true });
    const { session, port } = await ourSession();
    const ti = await TorrentInfo.fromBytes(t.bytes);
    const h = await session.addTorrent({ ti, savePath: seedDir });
    await until(() => h.status().isSeeding, 30_000, 'our seed to finish checking', () => h.status().state);

    const save = join(dir, `lt-from-ours-${version}`);
    mkdirSync(save);
    const leech = lt({ torrent: t.file, save, mode: 'download', peers: [{ host: LOCAL, port }] });
    await leech.ready();
    const done = await leech.done(90_000);
    expect(done.bytes).toBe(dataBytes);
    expect(done.hashFailures).toBe(0);
    await expectSameData(save);
    expect(h.status().totalPayloadUpload).toBeGreaterThanOrEqual(dataBytes);
  });

  it('mixed swarm: our seed + libtorrent seed, our leech + libtorrent leech connected to everyone', async () => {
    const t = torrents.get(version)!;
    const ti = await TorrentInfo.fromBytes(t.bytes);

    // Seeds first: one of ours, one libtorrent.
    const seedDir = join(dir, `mixed-our-seed-${version}`);
    cpSync(join(dir, 'src'), seedDir, { recursive: true });
    const ourSeed = await ourSession();
    const ourSeedHandle = await ourSeed.session.addTorrent({ ti, savePath: seedDir });
    await until(() => ourSeedHandle.status().isSeeding, 30_000, 'our seed to finish checking');
    const ltSeed = lt({ torrent: t.file, save: join(dir, 'src'), mode: 'seed' });
    const ltSeedReady = await ltSeed.ready();

    // Leeches: first connected to each other (ours dials libtorrent's, both still empty), so the
    // leech-to-leech link exists before any data flows; then both dial both seeds.
    const ltSave = join(dir, `mixed-lt-leech-${version}`);
    mkdirSync(ltSave);
    const ltLeech = lt({ torrent: t.file, save: ltSave, mode: 'download' });
    const ltLeechReady = await ltLeech.ready();
    const ourLeech = await ourSession();
    const ourSave = join(dir, `mixed-our-leech-${version}`);
    const h = await ourLeech.session.addTorrent({ ti, savePath: ourSave });
    await until(() => h.status().state === 'downloading', 30_000, 'our leech to finish checking', () => h.status().state);
    await h.connectPeer({ host: LOCAL, port: ltLeechReady.port });
    await ltLeech.waitFor('progress', 15_000, (e) => (e.numPeers as number) >= 1).catch((err: unknown) => {
      ourLeech.drain();
      throw new Error(`our leech did not connect to libtorrent's leech; our alerts: ${ourLeech.alerts.map((a) => alertMessage(a)).join(' | ')}`, { cause: err });
    });
    await Promise.all([ourSeed.port, ltSeedReady.port].map((port) => h.connectPeer({ host: LOCAL, port })));
    ltLeech.connect(LOCAL, ourSeed.port);
    ltLeech.connect(LOCAL, ltSeedReady.port);

    const ltDone = ltLeech.done(90_000);
    await ourDownloadDone(h, ourLeech.drain);
    const done = await ltDone;
    ourLeech.drain();
    ourSeed.drain();

    expect(done.bytes).toBe(dataBytes);
    expect(done.hashFailures).toBe(0);
    expect(ourLeech.alerts.filter((a) => a.type === 'hash_failed')).toEqual([]);
    await expectSameData(ourSave);
    await expectSameData(ltSave);
    // Our leech really was in the swarm: it connected to both seeds and to libtorrent's leech.
    const dialled = new Set(ourLeech.alerts.flatMap((a) => (a.type === 'peer_connect' && a.direction === 'out' ? [a.endpoint.port] : [])));
    expect([...dialled].sort()).toEqual([ourSeed.port, ltSeedReady.port, ltLeechReady.port].sort());
    // Each leech got one full copy from the swarm, so everyone's uploads add up to at least two copies.
    const uploaded = ourSeedHandle.status().totalPayloadUpload + h.status().totalPayloadUpload
      + (await ltUploaded(ltSeed)) + (await ltUploaded(ltLeech));
    expect(uploaded).toBeGreaterThanOrEqual(2 * dataBytes);
  });
});
