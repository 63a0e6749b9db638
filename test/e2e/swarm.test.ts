// Transfers between our own sessions over the in-memory transport and TCP loopback: single- and
// multi-file torrents, piece sizes 16 KiB..16 MiB, short last pieces, several seeds and leeches.
import { describe, test, expect } from 'vitest';
import type { TorrentVersion } from '../../src/metainfo/create-torrent.js';
import { bytes, makeTorrent, waitFor, history } from '../unit/session/helpers.js';
import type { TestFile } from '../unit/session/helpers.js';
import { expectData, useSwarmHarness, waitFinished } from './helpers/swarm.js';

const { swarmlet } = useSwarmHarness();

const single = (n: number, seed = 1): TestFile[] => [{ path: 'one.bin', data: bytes(n, seed) }];
const multi = (): TestFile[] => [
  { path: 'multi/a.bin', data: bytes(100_000, 2) },
  { path: 'multi/b.txt', data: bytes(3_000, 3) },
  { path: 'multi/sub/c.bin', data: bytes(250_001, 4) },
];

describe.each(['memory', 'tcp'] as const)('swarm over %s', (kind) => {
  test.each([
    ['v1', 16384, 16384 * 7 + 100],
    ['v2', 32768, 200_000],
    ['hybrid', 65536, 1_000_003],
  ] as Array<[TorrentVersion, number, number]>)('%s single file, piece %i, %i bytes', async (version, pieceLength, size) => {
    const files = single(size, pieceLength);
    const ti = await makeTorrent(files, version, pieceLength);
    const sw = swarmlet(kind);
    const { node: seed } = await sw.seed(ti, files);
    const leech = await sw.node();
    const h = await leech.session.addTorrent({ ti, savePath: 'leech' });
    await h.connectPeer(seed.address());
    await waitFinished(h);
    await expectData(leech.storage, ti, files);
    const st = h.status();
    expect(st.state).toBe('seeding');
    expect(st.totalPayloadDownload).toBeGreaterThanOrEqual(ti.totalLength);
    await waitFor(leech.session, 'torrent_finished');
    await waitFor(leech.session, 'peer_connect');
  });

  test('16 MiB pieces, last piece shorter', async () => {
    const files = single(16 * 1024 * 1024 + 300_000, 77);
    const ti = await makeTorrent(files, 'v1', 16 * 1024 * 1024);
    const sw = swarmlet(kind);
    const { node: seed } = await sw.seed(ti, files);
    const leech = await sw.node();
    const h = await leech.session.addTorrent({ ti, savePath: 'leech' });
    await h.connectPeer(seed.address());
    await waitFinished(h);
    await expectData(leech.storage, ti, files);
  });

  test('multi-file, 2 seeds + 3 leeches', async () => {
    const files = multi();
    const ti = await makeTorrent(files, 'v1', 32768);
    const sw = swarmlet(kind);
    const seeds = [await sw.seed(ti, files), await sw.seed(ti, files)];
    const leeches = [await sw.node(), await sw.node(), await sw.node()];
    const handles = await Promise.all(leeches.map((l) => l.session.addTorrent({ ti, savePath: 'l' })));
    for (const h of handles) for (const s of seeds) await h.connectPeer(s.node.address());
    // leeches also know each other
    await handles[1]!.connectPeer(leeches[0]!.address());
    await handles[2]!.connectPeer(leeches[1]!.address());
    await Promise.all(handles.map((h) => waitFinished(h)));
    for (const l of leeches) await expectData(l.storage, ti, files);
  });
});
