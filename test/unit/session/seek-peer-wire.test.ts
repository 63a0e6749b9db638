// What a seeking stream does on the wire, seen by a scripted seed on the memory network that records every
// message the session sends. Interest lingers (settings.deadlineInterestLinger, downloader.ts
// updateInterest): a leech that fetched a deadline piece stays interested while deadlines exist and for the
// linger after the last one is reset, so the seed keeps it unchoked and the next seek's requests go out at
// once. A seek away from a piece nothing else wants cancels that piece's outstanding requests
// (request-tracker.ts dropUnwanted), so the seed's upload goes to the new position.
import { afterEach, describe, expect, test } from 'vitest';
import { Session } from '../../../src/session/session.js';
import { alertCategory } from '../../../src/session/alert-category.js';
import type { SettingsPack } from '../../../src/session/settings.js';
import { MemoryNetwork, createMemoryTransport } from '../../../transports/memory/index.js';
import type { PeerStream, Transport } from '../../../src/interfaces/transport.js';
import { createMemoryStorage } from '../../../storage-adapters/memory/index.js';
import { ScriptedPeer } from '../../helpers/scripted-peer.js';
import { bytes, makeTorrent, torrentBytes } from './helpers.js';

const HOST = '10.98.0.1';
const PORT = 6881;
const PIECE = 16_384;
const files = [{ path: 'v/movie.bin', data: bytes(PIECE * 8, 3) }];
const sessions: Session[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
});

/** A seed that has everything, unchokes on interest and serves every request except those for `hold` pieces. */
async function scriptedSeed(net: MemoryNetwork, ti: Awaited<ReturnType<typeof makeTorrent>>, hold: ReadonlySet<number> = new Set()): Promise<{ peer: Promise<ScriptedPeer> }> {
  const data = torrentBytes(ti, files);
  const t = createMemoryTransport(net, { host: HOST, port: PORT });
  let got!: (p: ScriptedPeer) => void;
  const peer = new Promise<ScriptedPeer>((r) => (got = r));
  await t.listen((s: PeerStream) => {
    const p = new ScriptedPeer(s, { pieceCount: ti.pieceCount });
    void (async () => {
      await p.until(() => p.remoteHandshake !== undefined);
      p.handshake({ infoHash: ti.infoHashes.v1!, peerId: new Uint8Array(20).fill(0x53), extended: false });
      p.sendMessage({ type: 'haveAll' });
      let served = 0;
      let unchoked = 0;
      for (;;) {
        await p.until(() => p.closedWith !== undefined || p.ofType('request').length > served || p.ofType('interested').length > unchoked, 30_000).catch(() => undefined);
        if (p.closedWith) return;
        if (p.ofType('interested').length > unchoked) {
          unchoked = p.ofType('interested').length;
          p.sendMessage({ type: 'unchoke' });
        }
        for (const r of p.ofType('request').slice(served)) {
          served++;
          if (hold.has(r.index)) continue;
          const at = r.index * ti.pieceLength + r.begin;
          p.sendMessage({ type: 'piece', index: r.index, begin: r.begin, block: data.subarray(at, at + r.length) });
        }
      }
    })();
    got(p);
  });
  return { peer };
}

/** The scripted seed's view of our interest: the type of the last interested / notInterested message. */
const interest = (p: ScriptedPeer): string | undefined => p.messages.filter((m) => m.type === 'interested' || m.type === 'notInterested').at(-1)?.type;

/**
 * A leech session connected to a scripted seed (holding back `hold` pieces), its torrent wanting nothing
 * but what the reader asks for, as a streaming player sets it up.
 */
async function streamingLeech(hold: ReadonlySet<number>, settings: Partial<SettingsPack> = {}, tap?: (s: PeerStream) => void) {
  const net = new MemoryNetwork();
  const ti = await makeTorrent(files, 'v1', PIECE);
  const seedPeer = await scriptedSeed(net, ti, hold);
  const base = createMemoryTransport(net);
  const transport: Transport = tap === undefined ? base : {
    name: base.name,
    canDial: (a) => base.canDial(a),
    dial: async (a, o) => {
      const stream = await base.dial(a, o);
      tap(stream);
      return stream;
    },
    close: () => base.close(),
  };
  const s = new Session({
    storage: createMemoryStorage(),
    transports: [transport],
    settings: { alertMask: alertCategory.all, listenInterfaces: '0.0.0.0:0', ...settings },
  });
  sessions.push(s);
  const h = await s.addTorrent({ ti, filePriorities: [0] });
  await h.connectPeer({ host: HOST, port: PORT });
  return { h, p: await seedPeer.peer };
}

async function leechWithDeadline(linger: number) {
  const { h, p } = await streamingLeech(new Set(), { deadlineInterestLinger: linger, tickInterval: 50 });
  h.setPieceDeadline(2, 0);
  await p.until(() => p.ofType('request').some((r) => r.index === 2), 5000, 'requests for piece 2');
  const end = Date.now() + 5000;
  while (!h.havePiece(2)) {
    if (Date.now() > end) throw new Error('piece 2 never verified');
    await new Promise((r) => setTimeout(r, 10));
  }
  return { h, p };
}

describe('a seeking stream on the wire', () => {
  test('stays interested while a deadline is set and for the linger after the last is reset, then not interested', async () => {
    const { h, p } = await leechWithDeadline(600);
    // Nothing is wanted but deadline pieces: the torrent stays 'finished' while they arrive, and the
    // status still counts what arrived (torrent.ts only recounts when a piece can change the state).
    expect(h.status()).toMatchObject({ state: 'finished', numPieces: 1, totalDone: PIECE, totalWantedDone: 0 });
    await new Promise((r) => setTimeout(r, 300)); // several ticks with the deadline piece done, deadline still set
    expect(interest(p)).toBe('interested');
    const reset = Date.now();
    h.resetPieceDeadline(2);
    await new Promise((r) => setTimeout(r, 300));
    expect(interest(p)).toBe('interested'); // within the linger: the seed keeps us unchoked
    // A seek within the linger: requests go out with no new interested message, no round trip.
    const interestedBefore = p.ofType('interested').length;
    h.setPieceDeadline(5, 0);
    await p.until(() => p.ofType('request').some((r) => r.index === 5), 2000, 'requests for piece 5');
    expect(p.ofType('interested').length).toBe(interestedBefore);
    for (let i = 0; i < 200 && !h.havePiece(5); i++) await new Promise((r) => setTimeout(r, 10));
    expect(h.status()).toMatchObject({ state: 'finished', numPieces: 2, totalDone: 2 * PIECE });
    h.resetPieceDeadline(5);
    const reset2 = Date.now();
    await p.until(() => interest(p) === 'notInterested', 3000, 'not interested after the linger');
    expect(Date.now() - reset2).toBeGreaterThanOrEqual(550);
    expect(reset2 - reset).toBeGreaterThan(0);
    expect(p.ofType('request').every((r) => r.index === 2 || r.index === 5)).toBe(true);
  });

  test('the requests of a deadline piece that is due are on the stream before setPieceDeadline returns', async () => {
    const writes: Uint8Array[] = [];
    const tap = (stream: PeerStream): void => {
      const write = stream.write.bind(stream);
      stream.write = (d) => {
        writes.push(d.slice());
        return write(d);
      };
    };
    const { h, p } = await streamingLeech(new Set(), { deadlineInterestLinger: 5000, tickInterval: 50 }, tap);
    h.setPieceDeadline(2, 0); // the first one also waits for the seed's unchoke
    await p.until(() => p.ofType('request').some((r) => r.index === 2), 5000, 'requests for piece 2');
    for (let i = 0; i < 200 && !h.havePiece(2); i++) await new Promise((r) => setTimeout(r, 10));
    const before = writes.length;
    h.setPieceDeadline(5, 0); // unchoked and interested: the requests can go at once
    const sent = writes.slice(before);
    expect(sent.length).toBeGreaterThan(0); // written synchronously, not at the end of the tick
    const requested: number[] = [];
    for (const w of sent) {
      const dv = new DataView(w.buffer, w.byteOffset, w.byteLength);
      for (let at = 0; at + 5 <= w.length; at += 4 + dv.getUint32(at)) if (w[at + 4] === 6) requested.push(dv.getUint32(at + 5));
    }
    expect(requested).toEqual([5]); // PIECE is one block: one request, for piece 5
  });

  test('deadlineInterestLinger 0: interest ends at once when nothing is wanted', async () => {
    const { h, p } = await leechWithDeadline(0);
    h.resetPieceDeadline(2);
    const t0 = Date.now();
    await p.until(() => interest(p) === 'notInterested', 2000, 'not interested');
    expect(Date.now() - t0).toBeLessThan(500);
  });

  test('a seek away from a piece nothing else wants cancels its outstanding requests', async () => {
    const { h, p } = await streamingLeech(new Set([3])); // piece 3's requests are never answered
    h.setPieceDeadline(3, 0);
    await p.until(() => p.ofType('request').some((r) => r.index === 3), 5000, 'requests for piece 3');
    const asked = p.ofType('request').filter((r) => r.index === 3).length;
    h.resetPieceDeadline(3); // the reader moved on
    h.setPieceDeadline(6, 0);
    await p.until(() => p.ofType('cancel').filter((c) => c.index === 3).length === asked, 2000, 'cancels for piece 3');
    for (let i = 0; i < 300 && !h.havePiece(6); i++) await new Promise((r) => setTimeout(r, 10));
    expect(h.havePiece(6)).toBe(true);
    expect(h.havePiece(3)).toBe(false);
    // A piece that is wanted anyway keeps its requests when its deadline goes.
    h.piecePriority(3, 4);
    h.setPieceDeadline(3, 0);
    await p.until(() => p.ofType('request').filter((r) => r.index === 3).length > asked, 2000, 'requests for piece 3 again');
    const cancels = p.ofType('cancel').length;
    h.resetPieceDeadline(3);
    await new Promise((r) => setTimeout(r, 100));
    expect(p.ofType('cancel').length).toBe(cancels);
  });
});
