// A piece a reader was blocked on is handed to the reader first and announced to peers a task later
// (src/torrent/swarm/swarm.ts #verified): the announcement must still go out. Three sessions over TCP
// loopback: B is connected only to A, A streams one piece from the seed, and B can learn of that piece
// (and fetch it from A) only through A's have message.
import { describe, expect, test } from 'vitest';
import { createFileReader } from '../../src/stream/file-reader.js';
import { handleStreamSource } from '../../src/stream/handle-source.js';
import { PieceNotifier } from '../../src/stream/piece-notifier.js';
import { bytes, makeTorrent } from '../unit/session/helpers.js';
import { useSwarmHarness } from './helpers/swarm.js';

const { swarmlet } = useSwarmHarness();
const PIECE = 65536;

async function until(cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('streamed pieces are announced', () => {
  test('a peer connected only to the streaming leech learns of the piece and downloads it from it', async () => {
    const data = bytes(8 * PIECE, 31);
    const files = [{ path: 'video.bin', data }];
    const ti = await makeTorrent(files, 'v1', PIECE);
    const sw = swarmlet('tcp');
    const { node: seed } = await sw.seed(ti, files);

    const a = await sw.node();
    const ha = await a.session.addTorrent({ ti, savePath: 'a' });
    ha.prioritizeFiles([0]); // A downloads nothing on its own: only what its reader asks for
    await ha.connectPeer(seed.address());
    await until(() => ha.status().numSeeds > 0, 'A to see the seed');

    const b = await sw.node();
    const hb = await b.session.addTorrent({ ti, savePath: 'b' });
    await hb.connectPeer(a.address());
    await until(() => hb.status().numPeers > 0, 'B to connect to A');

    const notifier = new PieceNotifier();
    notifier.attach(a.session);
    const reader = createFileReader(handleStreamSource(ha, 0, { notifier }), { start: 5 * PIECE + 10, readAhead: { minWindowBytes: 1, maxWindowBytes: 1 } });
    const first = await reader.next();
    reader.close();
    expect(first.done).toBe(false);
    expect(first.value).toEqual(data.subarray(5 * PIECE + 10, 6 * PIECE));

    await until(() => hb.havePiece(5), 'B to get piece 5 from A');
    expect(ha.havePiece(4)).toBe(false);
    expect(hb.havePiece(4)).toBe(false);
  });
});
