/**
 * v2-only magnets against python3-libtorrent 2.0 (issue 4): our session is given only the v2 info-hash
 * (urn:btmh) and a libtorrent seed's address; it fetches the info dict over ut_metadata, the BEP 52 piece
 * layers with hash requests (libtorrent answers them from its merkle trees), then the data. Byte-compared.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Session, TorrentInfo, alertMessage } from '../../entry/node.js';
import type { Alert } from '../../entry/node.js';
import { spawnLtPeer } from './helpers/libtorrent.js';
import type { LtPeer } from './helpers/libtorrent.js';
import { ltCreate } from './helpers/python.js';
import { INTEROP_ALERTS, LOOPBACK_SETTINGS } from './helpers/session.js';

const LOCAL = '127.0.0.1';
const PIECE = 16_384;
// a.bin: 700 pieces → a padded layer of 1,024 → two 512-hash requests with one uncle each.
const FILES: Array<[string, number]> = [['a.bin', 700 * PIECE - 5], ['sub/b.bin', 150_000], ['sub/c.txt', 29]];

let dir: string;
let torrentFile: string;
let ti: TorrentInfo;
const lts: LtPeer[] = [];
const sessions: Session[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swarmkit-magnet-v2-'));
  for (const [p, n] of FILES) {
    mkdirSync(join(dir, 'src', 'payload', p, '..'), { recursive: true });
    writeFileSync(join(dir, 'src', 'payload', p), randomBytes(n));
  }
  torrentFile = join(dir, 'v2.torrent');
  const { bytes } = await ltCreate({ path: join(dir, 'src', 'payload'), version: 'v2', pieceLength: PIECE }, torrentFile);
  ti = await TorrentInfo.fromBytes(bytes);
});

afterEach(async () => {
  await Promise.all([...lts.splice(0).map((p) => p.stop()), ...sessions.splice(0).map((s) => s.close())]);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function until(pred: () => boolean, ms: number, what: string, detail: () => unknown = () => ''): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(detail())}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('v2-only magnet from a libtorrent seed', () => {
  it('info dict, piece layers (hash requests answered by libtorrent), then the data, verified', async () => {
    expect(ti.metaVersion).toBe('v2');
    const seed = spawnLtPeer({ intervalSeconds: 0.5, torrent: torrentFile, save: join(dir, 'src'), mode: 'seed' });
    lts.push(seed);
    const ready = await seed.ready();
    const session = new Session({
      settings: { ...LOOPBACK_SETTINGS, dhtBootstrapNodes: '', alertMask: INTEROP_ALERTS },
    });
    sessions.push(session);
    await session.ready();
    const alerts: Alert[] = [];
    const drain = (): void => void alerts.push(...session.popAlerts());
    const v2hex = Buffer.from(ti.infoHashes.v2!).toString('hex');
    const save = join(dir, 'leech');
    const h = await session.addTorrent({ url: `magnet:?xt=urn:btmh:1220${v2hex}&x.pe=${LOCAL}:${ready.port}`, savePath: save });
    await until(() => {
      drain();
      const s = h.status();
      if (s.errorCode !== undefined) throw new Error(`torrent error ${s.errorCode}: ${s.error}`);
      return s.isSeeding;
    }, 60_000, 'the download', () => ({ state: h.status().state, peers: h.status().numPeers, alerts: alerts.slice(-8).map(alertMessage) }));
    const got = h.torrentFile()!;
    expect(got.metaVersion).toBe('v2');
    expect(got.pieceLayer(0)).toEqual(ti.pieceLayer(0));
    expect(alerts.filter((a) => a.type === 'metadata_failed' || a.type === 'hash_failed')).toEqual([]);
    await h.flushCache();
    for (const [p] of FILES) {
      const a = await readFile(join(save, 'payload', p));
      const b = await readFile(join(dir, 'src', 'payload', p));
      expect(Buffer.compare(a, b), `${p} differs`).toBe(0);
    }
  }, 90_000);
});
