import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryStreamPair } from '../../../transports/memory/index.js';
import { PeerConnection } from '../../../src/peer/index.js';
import type { PeerStream } from '../../../src/interfaces/transport.js';
import { encodeExtended } from '../../../src/wire/index.js';
import { ID_A, ID_B, ID_REMOTE, TestOwner, connectedPair, scripted, scriptedConnected, until } from './setup.js';
import { activeResources, expectNoLeaks } from './test-owner.js';

let baseline: Map<string, number>;
const open: PeerConnection[] = [];
beforeEach(() => {
  baseline = activeResources();
});
afterEach(async () => {
  for (const p of open.splice(0)) p.close();
  await expectNoLeaks(baseline);
});
function keep<T extends PeerConnection>(...p: T[]): void {
  open.push(...p);
}

describe('handshake and first messages', () => {
  it('connects out → in through the router, negotiates fast + extended, exchanges extension handshakes', async () => {
    const A = new TestOwner({ have: [] });
    const B = new TestOwner({ have: 'all' });
    const { a, b } = await connectedPair(A, B);
    keep(a, b);
    expect(a.direction).toBe('out');
    expect(b.direction).toBe('in');
    expect(a.peerId).toEqual(ID_B);
    expect(b.peerId).toEqual(ID_A);
    expect(a.fast && a.extended && b.fast && b.extended).toBe(true);
    await until(() => A.of('extensionHandshake').length === 1 && B.of('extensionHandshake').length === 1);
    const hsSeenByA = A.of('extensionHandshake')[0]!.args[0] as { m: Map<string, number>; v: string; reqq: number; yourip: Uint8Array; metadataSize: number };
    expect(hsSeenByA.m.get('ut_metadata')).toBe(3);
    expect(hsSeenByA.v).toBe('swarmkit 0.1.0');
    expect(hsSeenByA.reqq).toBe(250);
    expect([...hsSeenByA.yourip]).toEqual([10, 0, 0, 1]); // B tells A the address it sees
    expect(hsSeenByA.metadataSize).toBe(1234);
    // B is a seed: with fast, have-all instead of a bitfield; A has nothing: have-none.
    await until(() => A.of('haveAll').length === 1 && B.of('haveNone').length === 1);
    expect(a.isSeed).toBe(true);
    expect(a.peerHas(7)).toBe(true);
    expect(b.peerHas(0)).toBe(false);
    expect(a.supportsExtension('x_test')).toBe(true);
  });

  it('sends a bitfield without fast, and none at all for an empty bitfield', async () => {
    const A = new TestOwner({ have: [] });
    const B = new TestOwner({ have: [1, 6] });
    const { a, b } = await connectedPair(A, B, { settingsA: { fastExtension: false } });
    keep(a, b);
    expect(a.fast).toBe(false);
    await until(() => A.of('bitfield').length === 1);
    expect([...(A.of('bitfield')[0]!.args[0] as Uint8Array)]).toEqual([0b0100_0010]);
    expect(a.peerHas(1) && a.peerHas(6) && !a.peerHas(2)).toBe(true);
    expect(B.of('bitfield').length + B.of('haveNone').length).toBe(0);
  });

  it('outgoing: drops a remote that answers with another info-hash', async () => {
    const A = new TestOwner();
    const { peer, remote, closed } = scripted(A, { direction: 'out' });
    remote.handshake({ infoHash: new Uint8Array(20).fill(9), peerId: ID_REMOTE });
    const r = await closed;
    expect(r.kind).toBe('handshake_failed');
    expect(A.closes.length).toBe(1);
    expect(peer.phase).toBe('closed');
    await remote.closed;
  });

  it('owner may refuse the peer in onConnected', async () => {
    const A = new TestOwner();
    A.hooks.onConnected = () => false;
    const { remote, closed } = scripted(A);
    remote.handshake({ infoHash: A.infoHash, peerId: ID_REMOTE });
    expect((await closed).kind).toBe('rejected');
    await remote.closed;
  });

  it('rejects construction without exactly one of owner / router', () => {
    const { a, b } = memoryStreamPair();
    expect(() => new PeerConnection(a, { peerId: ID_A })).toThrow(/exactly one/);
    a.destroy();
    b.destroy();
  });
});

describe('state transitions', () => {
  it('choke / unchoke / interested / not interested both ways, with owner events', async () => {
    const A = new TestOwner();
    const B = new TestOwner({ have: 'all' });
    const { a, b } = await connectedPair(A, B);
    keep(a, b);
    expect([a.amChoking, a.amInterested, a.peerChoking, a.peerInterested]).toEqual([true, false, true, false]);
    a.interested();
    await until(() => b.peerInterested);
    expect(B.of('interest').map((e) => e.args[0])).toEqual([true]);
    b.unchoke();
    await until(() => !a.peerChoking);
    expect(A.of('unchoked').length).toBe(1);
    b.choke();
    await until(() => a.peerChoking);
    expect(A.of('choked').length).toBe(1);
    a.notInterested();
    await until(() => !b.peerInterested);
    // repeated calls send nothing new
    a.notInterested();
    b.choke();
    await new Promise((r) => setTimeout(r, 20));
    expect(B.of('interest').length).toBe(2);
    expect(A.of('choked').length).toBe(1);
  });

  it('haves are batched per tick, duplicates not reported, and update peerHas', async () => {
    const A = new TestOwner();
    const B = new TestOwner();
    const { a, b, sb } = await connectedPair(A, B);
    keep(a, b);
    const writes = countWrites(sb);
    b.have(1);
    b.have(4);
    b.have(4);
    await until(() => A.of('have').length === 2);
    expect(writes()).toBe(1);
    expect(A.of('have').map((e) => e.args[0])).toEqual([1, 4]);
    expect(a.peerHas(4)).toBe(true);
  });

  it('allowed-fast and suggest both ways', async () => {
    const A = new TestOwner();
    const B = new TestOwner({ have: 'all' });
    const { a, b } = await connectedPair(A, B);
    keep(a, b);
    b.allowFast(2);
    b.suggest(5);
    await until(() => A.of('allowedFast').length === 1 && A.of('suggest').length === 1);
    expect([...a.allowedFastIn]).toEqual([2]);
    expect(a.suggested).toEqual([5]);
    // A may request piece 2 while choked, and B serves it.
    a.request(2, 0, 16384);
    await until(() => A.blocks.length === 1);
    expect(A.blocks[0]!.data).toEqual(B.block(2, 0, 16384));
    // but a request for another piece while choked is rejected (fast)
    a.request(3, 0, 16384);
    await until(() => A.of('reject').length === 1);
    expect(A.of('reject')[0]!.args).toEqual([3, 0, 16384]);
  });

  it('extended messages are dispatched by name and sent with the remote id', async () => {
    const A = new TestOwner({ extensions: new Map([['x_test', 7]]) });
    const B = new TestOwner({ extensions: new Map([['x_test', 9]]) });
    const { a, b } = await connectedPair(A, B);
    keep(a, b);
    await until(() => a.extensionHandshake !== undefined && b.extensionHandshake !== undefined);
    expect(a.sendExtended('x_test', Uint8Array.of(1, 2, 3))).toBe(true);
    expect(a.sendExtended('ut_pex', Uint8Array.of(1))).toBe(false);
    await until(() => B.of('extended').length === 1);
    expect(B.of('extended')[0]!.args[0]).toBe('x_test');
    expect([...(B.of('extended')[0]!.args[1] as Uint8Array)]).toEqual([1, 2, 3]);
  });

  it('an extended message before the extension handshake is a protocol violation', async () => {
    const A = new TestOwner();
    const { remote, closed } = await scriptedConnected(A);
    remote.send(encodeExtended(7, Uint8Array.of(1)));
    expect((await closed).kind).toBe('protocol');
  });

  it('magnet case: bitfield kept raw until the piece count is known, then checked', async () => {
    const A = new TestOwner({ noMetadata: true, pieceCount: 10 });
    const { peer, remote, closed } = await scriptedConnected(A, { pieceCount: 10 });
    // no metadata: we send have-none with fast, and no metadata_size
    await remote.waitFor('haveNone');
    expect(remote.extensionHandshake()?.metadataSize).toBeUndefined();
    remote.sendMessage({ type: 'bitfield', bits: Uint8Array.of(0xff, 0xc0) });
    remote.sendMessage({ type: 'have', index: 3 });
    await until(() => A.of('bitfield').length === 1);
    expect(A.of('have').length).toBe(0); // already had it
    A.revealMetadata();
    peer.setPieceCount(10);
    expect(peer.phase).toBe('connected');
    expect(peer.peerHas(9) && !peer.peerHas(10)).toBe(true);
    peer.setPieceCount(9); // now the same bitfield claims piece 9 of 9
    expect((await closed).kind).toBe('protocol');
  });

  it('an owner exception closes only that peer (owner_error)', async () => {
    const A = new TestOwner();
    A.hooks.onHave = () => {
      throw new Error('boom');
    };
    const one = await scriptedConnected(A);
    const two = await scriptedConnected(A);
    keep(two.peer);
    one.remote.sendMessage({ type: 'have', index: 1 });
    const r = await one.closed;
    expect(r.kind).toBe('owner_error');
    expect(r.error.message).toBe('boom');
    expect(two.peer.phase).toBe('connected');
  });
});

describe('downloads', () => {
  /** `a` interested in and unchoked by `b`, a seed. */
  async function unchokedPair() {
    const A = new TestOwner();
    const B = new TestOwner({ have: 'all' });
    const { a, b, sa } = await connectedPair(A, B);
    keep(a, b);
    a.interested();
    b.unchoke();
    await until(() => !a.peerChoking);
    return { A, B, a, b, sa };
  }

  it('requests go out batched per tick; blocks reach the owner; rates and counters move', async () => {
    const { A, B, a, b, sa } = await unchokedPair();
    const writes = countWrites(sa);
    for (let k = 0; k < 8; k++) expect(a.request(k, 0, 16384)).toBe(true);
    expect(a.request(0, 0, 16384)).toBe(false); // already outstanding
    expect(a.outstandingRequests).toBe(8);
    await until(() => A.blocks.length === 8);
    expect(writes()).toBe(1);
    for (const blk of A.blocks) expect(blk.data).toEqual(B.block(blk.index, blk.begin, 16384));
    expect(a.outstandingRequests).toBe(0);
    expect(a.downloaded).toBe(8 * 16384);
    expect(b.uploaded).toBe(8 * 16384);
    expect(a.downloadRate()).toBeGreaterThan(0);
    expect(b.uploadRate()).toBeGreaterThan(0);
    expect(B.of('sent').length).toBe(8);
    expect(() => a.request(8, 0, 16384)).toThrow(/outside the torrent/);
    expect(() => a.request(0, 32768 - 100, 16384)).toThrow(/outside the torrent/);
  });

  it('flushQueued writes the requests queued so far at once, not at the end of the tick', async () => {
    const { A, a, sa } = await unchokedPair();
    const writes = countWrites(sa);
    a.request(0, 0, 16384);
    a.request(1, 0, 16384);
    expect(writes()).toBe(0); // batched for the end of the tick
    a.flushQueued();
    expect(writes()).toBe(1); // both requests, one write, synchronously
    a.request(2, 0, 16384);
    a.flushQueued();
    a.flushQueued(); // nothing queued: no empty write
    expect(writes()).toBe(2);
    await until(() => A.blocks.length === 3);
    expect(writes()).toBe(2); // the end-of-tick flush found nothing left
  });

  it('a cancel in the same tick removes the request; a later cancel is sent and rejected (fast)', async () => {
    const A = new TestOwner();
    const { peer, remote } = await scriptedConnected(A);
    keep(peer);
    remote.sendMessage({ type: 'unchoke' });
    await until(() => !peer.peerChoking);
    peer.request(1, 0, 16384);
    peer.request(1, 16384, 16384);
    expect(peer.cancel(1, 0, 16384)).toBe(true);
    await remote.waitFor('request');
    await new Promise((r) => setTimeout(r, 10));
    expect(remote.ofType('request').map((m) => m.begin)).toEqual([16384]);
    expect(peer.cancel(1, 16384, 16384)).toBe(true);
    expect(peer.outstandingRequests).toBe(0);
    await remote.waitFor('cancel');
    // late data for the cancelled request is still delivered; unrequested data is dropped
    remote.sendMessage({ type: 'piece', index: 1, begin: 16384, block: new Uint8Array(16384) });
    remote.sendMessage({ type: 'piece', index: 2, begin: 0, block: new Uint8Array(100) });
    await until(() => peer.unsolicitedBytes === 100);
    expect(A.blocks.map((b) => [b.index, b.begin])).toEqual([[1, 16384]]);
  });

  it('choke without fast discards our outstanding requests (BEP 3)', async () => {
    const A = new TestOwner();
    const { peer, remote } = await scriptedConnected(A, { fast: false });
    keep(peer);
    remote.sendMessage({ type: 'unchoke' });
    await until(() => !peer.peerChoking);
    peer.request(0, 0, 16384);
    await remote.waitFor('request');
    remote.sendMessage({ type: 'choke' });
    await until(() => peer.peerChoking);
    expect(peer.outstandingRequests).toBe(0);
    remote.sendMessage({ type: 'piece', index: 0, begin: 0, block: new Uint8Array(16384) });
    await until(() => peer.unsolicitedBytes === 16384);
    expect(A.blocks.length).toBe(0);
  });
});

describe('uploads', () => {
  it('bounded reads in flight', async () => {
    const A = new TestOwner({ have: 'all', holdReads: true, settings: { maxReadsInFlight: 3 } });
    const { peer, remote } = await scriptedConnected(A);
    keep(peer);
    peer.unchoke();
    for (let i = 0; i < 8; i++) remote.sendMessage({ type: 'request', index: i, begin: 0, length: 16384 });
    await until(() => A.readsStarted === 3);
    await new Promise((r) => setTimeout(r, 20));
    expect(A.readsStarted).toBe(3);
    expect(peer.uploadQueue).toEqual({ queued: 5, reading: 3, blocked: false });
    A.releaseReads();
    await remote.until(() => remote.ofType('piece').length === 8);
    expect(A.maxReadsInFlight).toBeLessThanOrEqual(3);
    for (const m of remote.ofType('piece')) expect(m.block).toEqual(A.block(m.index, m.begin, 16384));
  });

  it('stops reading from storage while the stream is backpressured, resumes on drain', async () => {
    const A = new TestOwner({ have: 'all', pieceCount: 64, pieceLength: 65536, settings: { maxRequestQueue: 250 } });
    const { peer, remote } = await scriptedConnected(A, { link: { highWaterMark: 64 * 1024 } });
    keep(peer);
    peer.unchoke();
    remote.stream.pause(); // the remote stops reading: our writes return false once 64 KiB are queued
    const reqs: { index: number; begin: number; length: number }[] = [];
    for (let i = 0; i < 62; i++) for (let b = 0; b < 4; b++) reqs.push({ index: i, begin: b * 16384, length: 16384 });
    for (const r of reqs) remote.sendMessage({ type: 'request', ...r });
    await until(() => peer.uploadQueue.blocked, 2000, 'blocked');
    await new Promise((r) => setTimeout(r, 50));
    const started = A.readsStarted;
    // 64 KiB of buffer is 4 blocks; then at most maxReadsInFlight more complete and are written.
    expect(started).toBeLessThanOrEqual(4 + 1 + 4 + 4);
    expect(peer.uploadQueue.queued).toBe(reqs.length - started);
    remote.stream.resume();
    await remote.until(() => remote.ofType('piece').length === reqs.length, 5000, 'all pieces');
    expect(A.readsStarted).toBe(reqs.length);
  });

  it('choke drops queued requests and rejects them (fast); allowed-fast ones survive', async () => {
    const A = new TestOwner({ have: 'all', holdReads: true, settings: { maxReadsInFlight: 1 } });
    const { peer, remote } = await scriptedConnected(A);
    keep(peer);
    peer.allowFast(5);
    peer.unchoke();
    for (const i of [0, 1, 5, 2]) remote.sendMessage({ type: 'request', index: i, begin: 0, length: 16384 });
    await until(() => peer.uploadQueue.queued === 3);
    peer.choke();
    expect(peer.uploadQueue.queued).toBe(1); // piece 5 kept
    A.releaseReads();
    await remote.until(() => remote.ofType('reject').length === 3 && remote.ofType('piece').length === 1, 2000, 'rejects + piece');
    // the read in flight for piece 0 completed after the choke: rejected, not sent
    expect(remote.ofType('reject').map((m) => m.index).sort()).toEqual([0, 1, 2]);
    expect(remote.ofType('piece')[0]!.index).toBe(5);
  });

  it('honours cancel for queued requests (reject with fast) and never sends the block', async () => {
    const A = new TestOwner({ have: 'all', holdReads: true, settings: { maxReadsInFlight: 1 } });
    const { peer, remote } = await scriptedConnected(A);
    keep(peer);
    peer.unchoke();
    remote.sendMessage({ type: 'request', index: 0, begin: 0, length: 16384 });
    remote.sendMessage({ type: 'request', index: 1, begin: 0, length: 16384 });
    await until(() => peer.uploadQueue.queued === 1);
    remote.sendMessage({ type: 'cancel', index: 1, begin: 0, length: 16384 });
    remote.sendMessage({ type: 'cancel', index: 0, begin: 0, length: 16384 });
    await remote.waitFor('reject', (m) => m.index === 1);
    A.releaseReads();
    await remote.waitFor('reject', (m) => m.index === 0);
    expect(remote.ofType('piece').length).toBe(0);
  });

  it('requests while choked are rejected (fast) and not served', async () => {
    const A = new TestOwner({ have: 'all' });
    const { peer, remote } = await scriptedConnected(A);
    keep(peer);
    remote.sendMessage({ type: 'request', index: 0, begin: 0, length: 16384 });
    await remote.waitFor('reject');
    expect(A.readsStarted).toBe(0);
  });

  it('uses two writes when the stream has no writev', async () => {
    const A = new TestOwner({ have: 'all' });
    const { a, b } = memoryStreamPair();
    const plain: PeerStream = {
      write: (d) => b.write(d),
      setSink: (s) => b.setSink(s),
      pause: () => b.pause(),
      resume: () => b.resume(),
      close: () => b.close(),
      destroy: (e) => b.destroy(e),
      remote: b.remote,
      direction: b.direction,
    };
    const peer = new PeerConnection(plain, { peerId: ID_A, router: () => A });
    keep(peer);
    const { ScriptedPeer } = await import('../../helpers/scripted-peer.js');
    const remote = new ScriptedPeer(a, { pieceCount: 8 });
    remote.handshake({ infoHash: A.infoHash, peerId: ID_REMOTE });
    await until(() => peer.phase === 'connected');
    peer.unchoke();
    remote.sendMessage({ type: 'request', index: 3, begin: 100, length: 5000 });
    const piece = await remote.waitFor('piece');
    expect(piece.block).toEqual(A.block(3, 100, 5000));
  });
});

describe('timers and close', () => {
  it('sends keep-alives when idle and closes an idle remote (peer timeout)', async () => {
    const A = new TestOwner();
    const { remote, closed } = await scriptedConnected(A, { settings: { keepAliveIntervalMs: 40, peerTimeoutMs: 300 } });
    await remote.waitFor('keepAlive', () => true, 1000);
    const r = await closed;
    expect(r.kind).toBe('idle_timeout');
    expect(r.error.code).toBe('timeout');
    await remote.closed;
  });

  it('keep-alives from the remote keep the connection open', async () => {
    const A = new TestOwner();
    const { peer, remote } = await scriptedConnected(A, { settings: { peerTimeoutMs: 150 } });
    keep(peer);
    for (let i = 0; i < 8; i++) {
      remote.sendMessage({ type: 'keepAlive' });
      await new Promise((r) => setTimeout(r, 40));
    }
    expect(peer.phase).toBe('connected');
  });

  it('closes when neither side is interested for the inactivity timeout', async () => {
    const A = new TestOwner();
    const { remote, closed } = await scriptedConnected(A, { settings: { inactivityTimeoutMs: 100 } });
    remote.sendMessage({ type: 'keepAlive' });
    expect((await closed).kind).toBe('inactive');
  });

  it('local close: owner told once, stream destroyed, remote sees the close, commands are inert', async () => {
    const A = new TestOwner();
    const B = new TestOwner();
    const { a, b } = await connectedPair(A, B);
    a.close('bye');
    a.close('again');
    const [ra, rb] = await Promise.all([a.closed, b.closed]);
    expect(ra.kind).toBe('local');
    expect(ra.error.message).toBe('bye');
    expect(rb.kind).toBe('remote_closed');
    expect(A.closes.length).toBe(1);
    expect(B.closes.length).toBe(1);
    expect(a.request(0, 0, 16384)).toBe(false);
    a.have(1);
    a.unchoke();
    expect(a.amChoking).toBe(true);
  });

  it('closes with the handshake timeout and leaves no timer behind', async () => {
    const A = new TestOwner();
    const { remote, closed } = scripted(A, { settings: { handshakeTimeoutMs: 60 } });
    remote.send(new Uint8Array(10).fill(19).subarray(0, 1));
    const r = await closed;
    expect(r.kind).toBe('handshake_timeout');
    expect(A.closes.length).toBe(0); // no owner bound yet: only the info-hash binds one
    await remote.closed;
  });
});

/** Counts write/writev calls on a stream from now on. */
function countWrites(s: PeerStream): () => number {
  let n = 0;
  const w = s.write.bind(s);
  s.write = (d) => {
    n++;
    return w(d);
  };
  if (s.writev) {
    const wv = s.writev.bind(s);
    s.writev = (c) => {
      n++;
      return wv(c);
    };
  }
  return () => n;
}
