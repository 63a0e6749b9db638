// A seek away from a partly downloaded piece: the blocks it has leave memory for storage (downloader.ts
// #spillUnwanted, PieceStore.spill), and a later seek back completes the piece from storage plus the missing
// blocks, verified, with the right bytes. A scripted seed on the memory network serves only the first half
// of piece 3 until told otherwise; the storage records every write.
import { afterEach, describe, expect, test } from 'vitest';
import { Session } from '../../../src/session/session.js';
import { alertCategory } from '../../../src/session/alert-category.js';
import type { StorageAdapter } from '../../../src/interfaces/storage.js';
import { MemoryNetwork, createMemoryTransport } from '../../../transports/memory/index.js';
import type { PeerStream } from '../../../src/interfaces/transport.js';
import { createMemoryStorage } from '../../../storage-adapters/memory/index.js';
import { ScriptedPeer } from '../../helpers/scripted-peer.js';
import { bytes, makeTorrent, torrentBytes } from './helpers.js';

const HOST = '10.98.0.2';
const PORT = 6881;
const BLOCK = 16_384;
const PIECE = 4 * BLOCK;
const files = [{ path: 'v/movie.bin', data: bytes(PIECE * 8, 5) }];
const sessions: Session[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
});

/** Memory storage that records each write as [piece, offset, length]. */
function recordingStorage(): { adapter: StorageAdapter; writes: Array<[number, number, number]> } {
  const inner = createMemoryStorage();
  const writes: Array<[number, number, number]> = [];
  const adapter: StorageAdapter = {
    ...inner,
    open: async (layout, opts) => {
      const st = await inner.open(layout, opts);
      return Object.assign(Object.create(st) as typeof st, {
        write: (piece: number, offset: number, data: Uint8Array) => {
          writes.push([piece, offset, data.length]);
          return st.write(piece, offset, data);
        },
      });
    },
  };
  return { adapter, writes };
}

describe('seeking away from a partial piece', () => {
  test('its blocks are written out at once, and seeking back completes it from storage', async () => {
    const net = new MemoryNetwork();
    const ti = await makeTorrent(files, 'v1', PIECE);
    const data = torrentBytes(ti, files);
    let holdSecondHalf = true;
    let sentOf3 = 0;
    const t = createMemoryTransport(net, { host: HOST, port: PORT });
    let got!: (p: ScriptedPeer) => void;
    const seed = new Promise<ScriptedPeer>((r) => (got = r));
    await t.listen((s: PeerStream) => {
      const p = new ScriptedPeer(s, { pieceCount: ti.pieceCount });
      got(p);
      void (async () => {
        await p.until(() => p.remoteHandshake !== undefined);
        p.handshake({ infoHash: ti.infoHashes.v1!, peerId: new Uint8Array(20).fill(0x54), extended: false });
        p.sendMessage({ type: 'haveAll' });
        let next = 0; // requests looked at; held ones are never answered (the leech cancels them)
        let unchoked = 0;
        for (;;) {
          await p.until(() => p.closedWith !== undefined || p.ofType('request').length > next || p.ofType('interested').length > unchoked, 30_000).catch(() => undefined);
          if (p.closedWith) return;
          if (p.ofType('interested').length > unchoked) {
            unchoked = p.ofType('interested').length;
            p.sendMessage({ type: 'unchoke' });
          }
          for (const r of p.ofType('request').slice(next)) {
            next++;
            if (holdSecondHalf && r.index === 3 && r.begin >= PIECE / 2) continue;
            if (r.index === 3) sentOf3++;
            const at = r.index * PIECE + r.begin;
            p.sendMessage({ type: 'piece', index: r.index, begin: r.begin, block: data.subarray(at, at + r.length) });
          }
        }
      })();
    });
    const { adapter, writes } = recordingStorage();
    const s = new Session({ storage: adapter, transports: [createMemoryTransport(net)], settings: { alertMask: alertCategory.all, listenInterfaces: '0.0.0.0:0' } });
    sessions.push(s);
    const h = await s.addTorrent({ ti, filePriorities: [0] });
    await h.connectPeer({ host: HOST, port: PORT });
    const p = await seed;

    h.setPieceDeadline(3, 0);
    for (let i = 0; i < 400 && sentOf3 < 2; i++) await new Promise((r) => setTimeout(r, 5));
    expect(sentOf3).toBe(2); // the first half of piece 3
    await new Promise((r) => setTimeout(r, 50)); // time for it to arrive (and, wrongly, be written)
    expect(writes).toEqual([]); // buffered in memory while wanted

    h.resetPieceDeadline(3); // the reader seeks away: piece 3's two blocks go to storage now
    for (let i = 0; i < 200 && writes.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    expect(writes).toEqual([[3, 0, BLOCK], [3, BLOCK, BLOCK]]);
    expect(h.havePiece(3)).toBe(false);

    holdSecondHalf = false;
    h.setPieceDeadline(3, 0); // and back: only the missing blocks are asked for again
    for (let i = 0; i < 400 && !h.havePiece(3); i++) await new Promise((r) => setTimeout(r, 5));
    expect(h.havePiece(3)).toBe(true);
    expect(await h.readPiece(3)).toEqual(data.subarray(3 * PIECE, 4 * PIECE));
    // all four blocks at first; after the seek back only the two it never got
    expect(p.ofType('request').filter((r) => r.index === 3).map((r) => r.begin)).toEqual([0, BLOCK, 2 * BLOCK, 3 * BLOCK, 2 * BLOCK, 3 * BLOCK]);
    expect(s.popAlerts().filter((a) => a.type === 'hash_failed')).toEqual([]);
  });
});
