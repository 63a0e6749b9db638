// Our uTP transport against python3-libtorrent 2.0.8 with uTP ONLY (TCP off both ways): our Session,
// given nothing but the uTP transport, dials the libtorrent seed, completes the BitTorrent handshake and
// downloads a small multi-file torrent, verified byte for byte.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Session, TorrentInfo } from '../../entry/node.js';
import type { Alert } from '../../entry/node.js';
import { bindUtpTransport } from '../../transports/utp/node.js';
import type { UtpTransport } from '../../transports/utp/index.js';
import { spawnLtPeer } from './helpers/libtorrent.js';
import type { LtPeer } from './helpers/libtorrent.js';
import { ltCreate } from './helpers/python.js';
import { INTEROP_ALERTS, LOOPBACK_SETTINGS } from './helpers/session.js';

const LOCAL = '127.0.0.1';
const FILES: Array<[string, number]> = [['a.bin', 1_500_007], ['sub/b.bin', 400_000], ['c.txt', 33]];

let dir: string;
let torrentFile: string;
let torrentBytes: Uint8Array;
const lts: LtPeer[] = [];
const sessions: Session[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swarmkit-utp-lt-'));
  for (const [p, n] of FILES) {
    mkdirSync(join(dir, 'src', 'payload', p, '..'), { recursive: true });
    writeFileSync(join(dir, 'src', 'payload', p), randomBytes(n));
  }
  torrentFile = join(dir, 'v1.torrent');
  torrentBytes = (await ltCreate({ path: join(dir, 'src', 'payload'), version: 'v1', pieceLength: 65_536 }, torrentFile)).bytes;
});

afterEach(async () => {
  await Promise.all([...lts.splice(0).map((p) => p.stop()), ...sessions.splice(0).map((s) => s.close())]);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('uTP interop with libtorrent (uTP only)', () => {
  it('our session dials a uTP-only libtorrent seed over uTP and downloads the torrent, verified', async () => {
    const seed = spawnLtPeer({ torrent: torrentFile, save: join(dir, 'src'), mode: 'seed', utpOnly: true, intervalSeconds: 0.5, reportPeers: true });
    lts.push(seed);
    const ready = await seed.ready();

    const utp: UtpTransport = await bindUtpTransport({ host: LOCAL });
    const session = new Session({
      transports: [utp],
      settings: { ...LOOPBACK_SETTINGS, alertMask: INTEROP_ALERTS },
    });
    sessions.push(session);
    await session.ready();
    const alerts: Alert[] = [];
    const ti = await TorrentInfo.fromBytes(torrentBytes);
    const save = join(dir, 'ours');
    const h = await session.addTorrent({ ti, savePath: save });
    await h.connectPeer({ host: LOCAL, port: ready.port, transport: 'utp' });

    const end = Date.now() + 60_000;
    for (;;) {
      alerts.push(...session.popAlerts());
      const s = h.status();
      if (s.errorCode !== undefined) throw new Error(`torrent error ${s.errorCode}: ${s.error}`);
      if (s.isSeeding) break;
      if (Date.now() > end) throw new Error(`download did not finish: ${JSON.stringify({ progress: s.progress, peers: s.numPeers, utp: utp.stats, alerts: alerts.slice(-5).map((a) => a.type) })}\n${seed.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    alerts.push(...session.popAlerts());
    expect(alerts.some((a) => a.type === 'peer_connect')).toBe(true);
    expect(alerts.filter((a) => a.type === 'hash_failed')).toEqual([]);
    await h.flushCache();
    for (const [p] of FILES) {
      const got = await readFile(join(save, 'payload', p));
      const want = await readFile(join(dir, 'src', 'payload', p));
      expect(Buffer.compare(got, want), `${p} differs`).toBe(0);
    }
    // libtorrent uploaded the payload (TCP is off on its side, so it can only have been over uTP). Its peer
    // list is sampled between progress reports and a short transfer can end in between, so count bytes.
    const total = ti.totalLength;
    const uploaded = await seed.waitFor('progress', 10_000, (e) => Number((e as { totalUpload?: number }).totalUpload ?? 0) >= total * 0.9);
    expect(Number((uploaded as { totalUpload?: number }).totalUpload)).toBeGreaterThan(0);
    expect(utp.stats.malformed).toBe(0);
  }, 90_000);

  it('a uTP-only libtorrent leech dials our seeding session over uTP and completes, verified by libtorrent', { timeout: 90_000 }, async () => {
    const utp: UtpTransport = await bindUtpTransport({ host: LOCAL });
    const session = new Session({
      transports: [utp],
      settings: { ...LOOPBACK_SETTINGS },
    });
    sessions.push(session);
    await session.ready();
    const h = await session.addTorrent({ ti: await TorrentInfo.fromBytes(torrentBytes), savePath: join(dir, 'src') });
    const end = Date.now() + 30_000;
    while (!h.status().isSeeding) {
      if (Date.now() > end) throw new Error('our seed did not finish checking');
      await new Promise((r) => setTimeout(r, 50));
    }
    const leech = spawnLtPeer({ torrent: torrentFile, save: join(dir, 'lt-leech'), mode: 'download', utpOnly: true, intervalSeconds: 0.5, peers: [{ host: LOCAL, port: utp.address.port }] });
    lts.push(leech);
    const done = await leech.done(60_000);
    expect(done.hashFailures).toBe(0);
    expect(done.bytes).toBe(FILES.reduce((n, [, b]) => n + b, 0));
    for (const [p] of FILES) {
      const got = await readFile(join(dir, 'lt-leech', 'payload', p));
      const want = await readFile(join(dir, 'src', 'payload', p));
      expect(Buffer.compare(got, want), `${p} differs`).toBe(0);
    }
  });
});

// The default Node Session (no `transports` option) runs uTP on its UDP socket, the one the DHT and UDP
// trackers share, bound on the TCP listen port: libtorrent reaches us there over uTP, and our dial to a peer
// that refuses TCP falls back to uTP.
describe('uTP in the default Node session (shared UDP socket)', () => {
  async function waitSeeding(h: { status(): { isSeeding: boolean } }): Promise<void> {
    const end = Date.now() + 30_000;
    while (!h.status().isSeeding) {
      if (Date.now() > end) throw new Error('torrent did not reach seeding');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('a uTP-only libtorrent leech reaches our default session over uTP on the TCP listen port', { timeout: 90_000 }, async () => {
    const session = new Session({ settings: { ...LOOPBACK_SETTINGS, alertMask: INTEROP_ALERTS } });
    sessions.push(session);
    await session.ready();
    const alerts: Alert[] = [];
    const h = await session.addTorrent({ ti: await TorrentInfo.fromBytes(torrentBytes), savePath: join(dir, 'src') });
    await waitSeeding(h);
    alerts.push(...session.popAlerts());
    const utpListen = alerts.find((a) => a.type === 'listen_succeeded' && a.socketType === 'utp');
    expect(utpListen && 'port' in utpListen ? utpListen.port : undefined).toBe(session.listenPort());

    const leech = spawnLtPeer({ torrent: torrentFile, save: join(dir, 'lt-leech-default'), mode: 'download', utpOnly: true, intervalSeconds: 0.5, peers: [{ host: LOCAL, port: session.listenPort() }] });
    lts.push(leech);
    const done = await leech.done(60_000);
    expect(done.hashFailures).toBe(0);
    for (const [p] of FILES) {
      const got = await readFile(join(dir, 'lt-leech-default', 'payload', p));
      const want = await readFile(join(dir, 'src', 'payload', p));
      expect(Buffer.compare(got, want), `${p} differs`).toBe(0);
    }
    alerts.push(...session.popAlerts());
    expect(alerts.some((a) => a.type === 'peer_connect' && a.transport === 'utp' && a.direction === 'in')).toBe(true);
  });

  it('our default session dials a uTP-only libtorrent seed: its TCP port hangs up, the redial goes over uTP', { timeout: 90_000 }, async () => {
    const seed = spawnLtPeer({ torrent: torrentFile, save: join(dir, 'src'), mode: 'seed', utpOnly: true, intervalSeconds: 0.5 });
    lts.push(seed);
    const ready = await seed.ready();
    const session = new Session({ settings: { ...LOOPBACK_SETTINGS, alertMask: INTEROP_ALERTS } });
    sessions.push(session);
    await session.ready();
    const save = join(dir, 'ours-default');
    const h = await session.addTorrent({ ti: await TorrentInfo.fromBytes(torrentBytes), savePath: save });
    await h.connectPeer({ host: LOCAL, port: ready.port });
    await waitSeeding(h);
    const alerts = session.popAlerts();
    expect(alerts.some((a) => a.type === 'peer_connect' && a.transport === 'utp' && a.direction === 'out')).toBe(true);
    await h.flushCache();
    for (const [p] of FILES) {
      const got = await readFile(join(save, 'payload', p));
      const want = await readFile(join(dir, 'src', 'payload', p));
      expect(Buffer.compare(got, want), `${p} differs`).toBe(0);
    }
    const uploaded = await seed.waitFor('progress', 10_000, (e) => Number((e as { totalUpload?: number }).totalUpload ?? 0) > 0);
    expect(Number((uploaded as { totalUpload?: number }).totalUpload)).toBeGreaterThan(0);
  });
});
