// Swarm behaviour under faults and user actions: deselected files, pause/resume, a session restarted
// mid-download (check, then continue), a peer sending corrupt data (re-download, smart ban), and a peer
// that stalls (its requests time out and move to another peer).
import { describe, test, expect, beforeAll, afterAll, beforeEach, afterEach } from 'vitest';
import { mkdtemp, rm, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHashPool } from '../../src/platform/hash-pool.node.js';
import type { HashPool } from '../../src/platform/hash-pool.node.js';
import type { StorageAdapter, TorrentStorage } from '../../src/interfaces/storage.js';
import { createMemoryStorage } from '../../storage-adapters/memory/index.js';
import { createFsStorage } from '../../storage-adapters/fs/index.js';
import { bytes, makeTorrent, waitFor, history } from '../unit/session/helpers.js';
import type { TestFile } from '../unit/session/helpers.js';
import { IPFilter } from '../../src/session/ip-filter.js';
import { Swarmlet, expectData, expectNoLeaks, resources, waitFinished } from './helpers/swarm.js';

let pool: HashPool;
let before: string[];
let root: string;
const swarms: Swarmlet[] = [];

beforeAll(async () => {
  pool = createHashPool({ threads: 2 });
  root = await mkdtemp(join(tmpdir(), 'swarmkit-swarm-'));
});
afterAll(async () => {
  await pool.close();
  await rm(root, { recursive: true, force: true });
});
beforeEach(() => {
  before = resources();
});
afterEach(async () => {
  await Promise.all(swarms.map((s) => s.close()));
  swarms.length = 0;
  await new Promise((r) => setTimeout(r, 50));
  expectNoLeaks(before);
});

function swarmlet(link = {}): Swarmlet {
  const s = new Swarmlet('memory', pool, link);
  swarms.push(s);
  return s;
}

/** Wraps an adapter: `onRead` may replace what a read returns (corruption) or delay it. */
function intercept(inner: StorageAdapter, onRead: (piece: number, offset: number, data: Uint8Array) => Promise<Uint8Array> | Uint8Array): StorageAdapter {
  return {
    name: inner.name,
    async open(layout, opts) {
      const s = await inner.open(layout, opts);
      const wrapped: TorrentStorage = {
        write: (p, o, d) => s.write(p, o, d),
        read: async (p, o, n) => onRead(p, o, await s.read(p, o, n)),
        close: () => s.close(),
        destroy: () => s.destroy(),
      };
      return wrapped;
    },
  };
}

const files = (): TestFile[] => [
  { path: 'multi/a.bin', data: bytes(100_000, 2) },
  { path: 'multi/b.txt', data: bytes(3_000, 3) },
  { path: 'multi/sub/c.bin', data: bytes(250_001, 4) },
];
const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);

describe('swarm faults and user actions', () => {
  test('deselected files are not downloaded nor created; the torrent ends finished', async () => {
    const fl = files();
    const ti = await makeTorrent(fl, 'hybrid', 16384); // hybrid: files start on piece boundaries
    const sw = swarmlet();
    const { node: seed } = await sw.seed(ti, fl);
    const dir = join(root, 'deselect');
    const leech = await sw.node({ storage: createFsStorage({ savePath: dir }) });
    const cIndex = ti.files.findIndex((f) => f.path.join('/') === 'multi/sub/c.bin');
    const prios = ti.files.map((_, i) => (i === cIndex ? 0 : 4));
    const h = await leech.session.addTorrent({ ti, savePath: dir, filePriorities: prios });
    await h.connectPeer(seed.address());
    await waitFor(leech.session, 'torrent_finished');
    expect(h.status().state).toBe('finished');
    expect(await exists(join(dir, 'multi', 'a.bin'))).toBe(true);
    expect(await exists(join(dir, 'multi', 'sub', 'c.bin'))).toBe(false);
    const wanted = [...Array(ti.pieceCount).keys()].filter((i) => h.piecePriority(i) > 0);
    expect(wanted.length).toBeLessThan(ti.pieceCount);
    for (let i = 0; i < ti.pieceCount; i++) expect(h.havePiece(i)).toBe(wanted.includes(i));
    await expectData(leech.storage, ti, fl, wanted);
  });

  test('the IP filter blocks connections both ways (peer_blocked)', async () => {
    const fl = [{ path: 'f.bin', data: bytes(100_000, 5) }];
    const ti = await makeTorrent(fl, 'v1', 16384);
    const sw = swarmlet();
    const { node: seed } = await sw.seed(ti, fl);
    const leech = await sw.node();
    const other = await sw.node();
    const block = (host: string): IPFilter => {
      const f = new IPFilter();
      f.addRule(host, host, IPFilter.BLOCKED);
      return f;
    };
    // out: the leech blocks the seed's address
    leech.session.setIpFilter(block(seed.address().host));
    const h = await leech.session.addTorrent({ ti, savePath: 'l' });
    await h.connectPeer(seed.address());
    const out = await waitFor(leech.session, 'peer_blocked');
    expect(out.endpoint.ip).toBe(seed.address().host);
    // in: the seed blocks `other`, which dials it
    seed.session.setIpFilter(block(other.address().host));
    const h2 = await other.session.addTorrent({ ti, savePath: 'o' });
    await h2.connectPeer(seed.address());
    const inc = await waitFor(seed.session, 'peer_blocked');
    expect(inc.endpoint.ip).toBe(other.address().host);
    await new Promise((r) => setTimeout(r, 100));
    expect(h.status().numPeers).toBe(0);
    expect(h2.status().numPeers).toBe(0);
    expect(h2.status().numPieces).toBe(0);
  });

  test('pause and resume mid-download', async () => {
    const fl = [{ path: 'p.bin', data: bytes(1_500_000, 9) }];
    const ti = await makeTorrent(fl, 'v1', 32768);
    const sw = swarmlet({ bytesPerSecond: 1_000_000 });
    const { node: seed } = await sw.seed(ti, fl);
    const leech = await sw.node();
    const h = await leech.session.addTorrent({ ti, savePath: 'l' });
    await h.connectPeer(seed.address());
    while (h.status().numPieces < 5) await new Promise((r) => setTimeout(r, 10));
    h.pause();
    await new Promise((r) => setTimeout(r, 100));
    const paused = h.status();
    expect(paused.numPeers).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.status().numPieces).toBe(paused.numPieces);
    expect(paused.numPieces).toBeLessThan(ti.pieceCount);
    h.resume();
    await waitFinished(h);
    await expectData(leech.storage, ti, fl);
  });

  test('a session closed mid-download continues after a restart (check, then download the rest)', async () => {
    const fl = [{ path: 'r.bin', data: bytes(1_200_000, 11) }];
    const ti = await makeTorrent(fl, 'v2', 32768);
    const sw = swarmlet({ bytesPerSecond: 1_000_000 });
    const { node: seed } = await sw.seed(ti, fl);
    const dir = join(root, 'restart');
    const first = await sw.node({ storage: createFsStorage({ savePath: dir }) });
    const h1 = await first.session.addTorrent({ ti, savePath: dir });
    await h1.connectPeer(seed.address());
    while (h1.status().numPieces < 8) await new Promise((r) => setTimeout(r, 10));
    await first.session.close();
    const second = await sw.node({ storage: createFsStorage({ savePath: dir }) });
    const h2 = await second.session.addTorrent({ ti, savePath: dir });
    await waitFor(second.session, 'torrent_checked');
    const afterCheck = h2.status().numPieces;
    expect(afterCheck).toBeGreaterThanOrEqual(8);
    expect(afterCheck).toBeLessThan(ti.pieceCount);
    await h2.connectPeer(seed.address());
    await waitFinished(h2);
    await expectData(second.storage, ti, fl);
    // Only the missing pieces came over the wire the second time.
    expect(h2.status().totalPayloadDownload).toBeLessThanOrEqual(ti.totalLength - afterCheck * ti.pieceLength + ti.pieceLength);
  });

  test('corrupt blocks: the piece is downloaded again, the bad peer banned, the honest one not', async () => {
    const fl = [{ path: 'c.bin', data: bytes(800_000, 21) }];
    const ti = await makeTorrent(fl, 'v1', 32768);
    const sw = swarmlet();
    const honest = await sw.seed(ti, fl);
    // Once it has checked its data, the liar's storage returns one byte flipped in every odd piece it serves.
    let lying = false;
    const liarStore = intercept(createMemoryStorage(), (piece, offset, data) => {
      if (lying && piece % 2 === 1 && offset === 0 && data.length > 100) {
        const bad = data.slice();
        bad[100] = bad[100]! ^ 0xff;
        return bad;
      }
      return data;
    });
    const liar = await sw.seed(ti, fl, { storage: liarStore });
    lying = true;
    const leech = await sw.node();
    const h = await leech.session.addTorrent({ ti, savePath: 'l' });
    await h.connectPeer(liar.node.address()); // the liar first, so it serves some pieces
    await new Promise((r) => setTimeout(r, 50));
    await h.connectPeer(honest.node.address());
    await waitFinished(h);
    await expectData(leech.storage, ti, fl);
    const liarHost = liar.node.address().host;
    const honestHost = honest.node.address().host;
    await waitFor(leech.session, 'peer_banned', (a) => a.endpoint.ip === liarHost);
    const all = history(leech.session);
    expect(all.some((a) => a.type === 'hash_failed')).toBe(true);
    expect(all.some((a) => a.type === 'peer_banned' && a.endpoint.ip === honestHost)).toBe(false);
    // The banned host is refused from now on.
    await h.connectPeer(liar.node.address());
    await new Promise((r) => setTimeout(r, 100));
    expect(h.status().numPeers).toBeLessThanOrEqual(1);
  });

  test('a stalling peer does not hang the download: its requests time out and go elsewhere', async () => {
    const fl = [{ path: 's.bin', data: bytes(600_000, 31) }];
    const ti = await makeTorrent(fl, 'v1', 32768);
    const sw = swarmlet();
    const { node: good } = await sw.seed(ti, fl);
    const hung: Array<() => void> = [];
    let stall = false;
    const stallStore = intercept(createMemoryStorage(), (_p, _o, data) => (stall ? new Promise((resolve) => hung.push(() => resolve(data))) : data));
    const staller = await sw.seed(ti, fl, { storage: stallStore });
    stall = true; // checking is done; from now on its reads never complete
    const leech = await sw.node({ settings: { pieceTimeout: 1 } });
    const h = await leech.session.addTorrent({ ti, savePath: 'l' });
    await h.connectPeer(staller.node.address());
    await new Promise((r) => setTimeout(r, 100));
    await h.connectPeer(good.address());
    const t0 = Date.now();
    await waitFinished(h, 15_000);
    expect(Date.now() - t0).toBeLessThan(10_000);
    await expectData(leech.storage, ti, fl);
    expect(hung.length).toBeGreaterThan(0);
    stall = false;
    for (const r of hung) r();
  });
});
