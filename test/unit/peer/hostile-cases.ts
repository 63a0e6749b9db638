/**
 * HOSTILE-INPUTS cases 14–18, 20, 21 at connection level: a scripted remote sends raw bytes to a REAL
 * PeerConnection over a real stream (memory pair or TCP loopback). Each case asserts the connection is
 * dropped with the right reason, and that the owner still serves a healthy peer afterwards.
 * Shared by test/e2e/hostile-peer.test.ts (memory) and test/e2e/hostile-peer-tcp.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PeerCloseReason, PeerConnection, PeerSettings } from '../../../src/peer/index.js';
import { ScriptedPeer } from '../../helpers/scripted-peer.js';
import { TestOwner, activeResources, expectNoLeaks } from './test-owner.js';
import { ID_A, ID_REMOTE, until } from './setup.js';

/** One accepted connection under test and its scripted remote. */
export interface HostileConn {
  peer: PeerConnection;
  remote: ScriptedPeer;
}

/** How a transport provides connections: an incoming PeerConnection routed to `owner`, a scripted dialer. */
export interface HostileHarness {
  connect(owner: TestOwner, settings: Partial<PeerSettings>): Promise<HostileConn>;
  cleanup(): Promise<void>;
}

const BASE: Partial<PeerSettings> = { handshakeTimeoutMs: 2000, peerTimeoutMs: 5000, keepAliveIntervalMs: 2500 };
const u32 = ScriptedPeer.u32;
const frame = ScriptedPeer.frame;

/** Registers the cases; `only` limits them to a subset by key (e.g. the key ones over TCP). */
export function hostilePeerCases(name: string, makeHarness: () => Promise<HostileHarness>, only?: readonly string[]): void {
  describe(`hostile peer over ${name}`, () => {
    let h: HostileHarness;
    let baseline: Map<string, number>;
    beforeEach(async () => {
      baseline = activeResources();
      h = await makeHarness();
    });
    afterEach(async () => {
      await h.cleanup();
      await expectNoLeaks(baseline);
    });

    const test = (key: string, title: string, fn: () => Promise<void>): void => {
      if (!only || only.includes(key)) it(`${key}: ${title}`, fn);
    };

    async function open(owner: TestOwner, settings: Partial<PeerSettings> = {}, hs: { fast?: boolean } = {}): Promise<HostileConn> {
      const c = await h.connect(owner, { ...BASE, ...settings });
      c.remote.handshake({ infoHash: owner.infoHash, peerId: ID_REMOTE, fast: hs.fast ?? true });
      await until(() => c.peer.phase === 'connected', 2000, 'connected');
      await c.remote.until(() => c.remote.remoteHandshake !== undefined, 2000, 'our handshake');
      return c;
    }

    async function dropped(c: HostileConn, kind: PeerCloseReason['kind'], code?: string): Promise<PeerCloseReason> {
      const r = await c.peer.closed;
      expect(r.kind, r.error.message).toBe(kind);
      if (code) expect(r.error.code).toBe(code);
      await c.remote.closed; // the stream really closed on the remote side too
      return r;
    }

    /** The owner (and process) keep running: a fresh honest peer is served. */
    async function stillServes(owner: TestOwner): Promise<void> {
      const c = await open(owner);
      c.remote.sendMessage({ type: 'interested' });
      await until(() => c.peer.peerInterested, 2000, 'interest');
      c.peer.close('done');
      await c.remote.closed;
      expect(owner.closes.filter((x) => x.peer === c.peer).length).toBe(1);
    }

    test('14', 'a length prefix ≥ 2^31 → message_too_large', async () => {
      const owner = new TestOwner({ have: 'all' });
      const c = await open(owner);
      c.remote.send(u32(0x80000000));
      await dropped(c, 'protocol', 'message_too_large');
      await stillServes(owner);
    });

    test('14b', 'a piece over 16 KiB + 9 and a 2 MiB unknown message → message_too_large', async () => {
      const owner = new TestOwner();
      const c = await open(owner);
      c.remote.send(frame(9 + 16384 + 1, 7, u32(0, 0)));
      await dropped(c, 'protocol', 'message_too_large');
      const d = await open(owner);
      d.remote.send(frame(2 * 1024 * 1024, 99));
      await dropped(d, 'protocol', 'message_too_large');
      await stillServes(owner);
    });

    test('15', 'a 1-byte have → invalid_message', async () => {
      const owner = new TestOwner();
      const c = await open(owner);
      c.remote.send(frame(2, 4, [0]));
      await dropped(c, 'protocol', 'invalid_message');
      await stillServes(owner);
    });

    test('16', 'bitfield of the wrong size, spare bits set, have index out of range → dropped', async () => {
      const owner = new TestOwner({ pieceCount: 10 });
      const a = await open(owner);
      a.remote.send(frame(4, 5, [0xff, 0xc0, 0]));
      await dropped(a, 'protocol', 'invalid_message');
      const b = await open(owner);
      b.remote.send(frame(3, 5, [0xff, 0xff]));
      await dropped(b, 'protocol', 'invalid_message');
      const c = await open(owner);
      c.remote.sendMessage({ type: 'have', index: 10 });
      await dropped(c, 'protocol', 'invalid_message');
      const d = await open(owner);
      d.remote.sendMessage({ type: 'interested' });
      d.remote.sendMessage({ type: 'bitfield', bits: Uint8Array.of(0x80, 0) }); // not first
      await dropped(d, 'protocol', 'invalid_message');
      expect(owner.of('bitfield').length).toBe(0);
      await stillServes(owner);
    });

    test('17', 'request flood: queue bounded by reqq, then request_flood', async () => {
      const owner = new TestOwner({ have: 'all', holdReads: true, settings: { maxRequestQueue: 250, maxBadRequests: 500 } });
      let maxQueued = 0;
      owner.hooks.onRequest = (p) => {
        maxQueued = Math.max(maxQueued, p.uploadQueue.queued);
      };
      const c = await open(owner);
      c.peer.unchoke();
      const one = new Uint8Array(17 * 5000);
      for (let k = 0; k < 5000; k++) {
        one.set(frame(13, 6, u32(k % 8, (k % 2) * 16384, 16384)), 17 * k);
      }
      c.remote.send(one);
      await dropped(c, 'request_flood', 'invalid_message');
      expect(maxQueued).toBeLessThanOrEqual(250);
      expect(owner.readsStarted).toBeLessThanOrEqual(c.peer.settings.maxReadsInFlight);
      expect(owner.of('request').length).toBeLessThanOrEqual(250 + c.peer.settings.maxReadsInFlight + 1);
      owner.releaseReads();
      await stillServes(owner);
    });

    test('17b', 'requests over 16 KiB, past the piece end, or past the last piece → dropped', async () => {
      const owner = new TestOwner({ have: 'all' });
      const cases = [u32(0, 0, 16385), u32(0, 32768 - 100, 16384), u32(8, 0, 16384), u32(0, 0xffffffff, 1)];
      for (const payload of cases) {
        const c = await open(owner);
        c.peer.unchoke();
        c.remote.send(frame(13, 6, payload));
        await dropped(c, 'protocol', 'invalid_message');
      }
      expect(owner.readsStarted).toBe(0);
      await stillServes(owner);
    });

    test('18', 'requests for pieces we lack: rejected with fast, then dropped if it persists', async () => {
      const owner = new TestOwner({ have: [0], settings: { maxBadRequests: 100 } });
      const c = await open(owner);
      c.peer.unchoke();
      for (let i = 0; i < 10; i++) c.remote.sendMessage({ type: 'request', index: 1 + (i % 7), begin: 0, length: 16384 });
      await c.remote.until(() => c.remote.ofType('reject').length === 10, 2000, '10 rejects');
      expect(c.peer.phase).toBe('connected');
      expect(owner.readsStarted).toBe(0);
      const many = new Uint8Array(17 * 200);
      for (let k = 0; k < 200; k++) many.set(frame(13, 6, u32(1 + (k % 7), 0, 16384)), 17 * k);
      c.remote.send(many);
      await dropped(c, 'unservable_requests');
      await stillServes(owner);
    });

    test('18b', 'requests for pieces we lack without fast: ignored (no reply), dropped if persistent', async () => {
      const owner = new TestOwner({ have: [0], settings: { maxBadRequests: 100 } });
      const c = await open(owner, {}, { fast: false });
      c.peer.unchoke();
      for (let i = 0; i < 10; i++) c.remote.sendMessage({ type: 'request', index: 3, begin: 0, length: 16384 });
      c.remote.sendMessage({ type: 'request', index: 0, begin: 0, length: 16384 }); // one we have
      await c.remote.waitFor('piece');
      expect(c.remote.messages.filter((m) => m.type === 'reject' || (m.type === 'piece' && m.index === 3)).length).toBe(0);
      const many = new Uint8Array(17 * 200);
      for (let k = 0; k < 200; k++) many.set(frame(13, 6, u32(5, 0, 16384)), 17 * k);
      c.remote.send(many);
      await dropped(c, 'unservable_requests');
      await stillServes(owner);
    });

    test('20', 'a peer that stalls mid-piece: stall reported to the owner once, then idle timeout', async () => {
      const owner = new TestOwner();
      owner.hooks.onPeerUnchoked = (p) => {
        p.request(2, 0, 16384);
        p.request(2, 16384, 16384);
        p.request(3, 0, 16384);
      };
      const c = await open(owner, { stallTimeoutMs: 150, peerTimeoutMs: 800, keepAliveIntervalMs: 100 });
      c.remote.sendMessage({ type: 'haveAll' });
      c.remote.sendMessage({ type: 'unchoke' });
      await c.remote.until(() => c.remote.ofType('request').length === 3, 2000, 'requests');
      c.remote.sendMessage({ type: 'piece', index: 2, begin: 0, block: owner.block(2, 0, 16384) });
      // the next piece message: its header and half the block, then nothing more
      const half = new Uint8Array(13 + 8192);
      half.set(frame(9 + 16384, 7, u32(2, 16384)), 0);
      c.remote.send(half);
      await until(() => owner.of('stall').length === 1, 2000, 'stall');
      const stall = owner.of('stall')[0]!;
      expect(stall.args[0]).toBe(2); // two requests still outstanding
      expect(stall.args[1]).toBeGreaterThanOrEqual(150);
      expect(c.peer.phase).toBe('connected');
      expect(owner.blocks.length).toBe(1);
      const r = await dropped(c, 'idle_timeout', 'timeout');
      expect(r.error.message).toMatch(/nothing received/);
      expect(owner.of('stall').length).toBe(1);
      await stillServes(owner);
    });

    test('21', 'a handshake slower than the timeout → handshake_timeout', async () => {
      const owner = new TestOwner();
      const c = await h.connect(owner, { ...BASE, handshakeTimeoutMs: 150 });
      c.remote.send(new Uint8Array([19, ...new TextEncoder().encode('BitTorrent protocol')])); // 20 of 68 bytes
      const r = await dropped(c, 'handshake_timeout', 'timeout');
      expect(r.error.message).toMatch(/150 ms/);
      await stillServes(owner);
    });

    test('21b', 'an idle connection after the handshake → idle_timeout', async () => {
      const owner = new TestOwner();
      const c = await open(owner, { peerTimeoutMs: 200 });
      await dropped(c, 'idle_timeout', 'timeout');
      await stillServes(owner);
    });

    test('21c', 'an unknown info-hash → dropped before we answer', async () => {
      const owner = new TestOwner();
      const c = await h.connect(owner, BASE);
      c.remote.handshake({ infoHash: new Uint8Array(20).fill(0xee), peerId: ID_REMOTE });
      await dropped(c, 'unknown_info_hash', 'handshake_failed');
      expect(c.remote.bytesReceived).toBe(0);
      expect(owner.closes.length).toBe(0);
      await stillServes(owner);
    });

    test('21d', 'our own peer id → self_connection', async () => {
      const owner = new TestOwner();
      const c = await h.connect(owner, BASE);
      c.remote.handshake({ infoHash: owner.infoHash, peerId: ID_A });
      await dropped(c, 'self_connection', 'handshake_failed');
      await stillServes(owner);
    });

    test('21e', 'a wrong protocol string → handshake_failed at the first wrong byte', async () => {
      const owner = new TestOwner();
      const c = await h.connect(owner, BASE);
      c.remote.send(new TextEncoder().encode('\x13BitTorrent protocoX'));
      await dropped(c, 'handshake_failed', 'handshake_failed');
      await stillServes(owner);
    });
  });
}
