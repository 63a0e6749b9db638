// The swarm's side of BEP 52 hash serving (src/torrent/discovery/hash-serving.ts): the server loads on first
// use, at once for a torrent with pieces roots, else with the first hash request. A request arriving while
// it loads is answered (or rejected) once it is in; a malformed one closes its connection; a flood is bounded.
// Each test takes a fresh copy of the module (vi.resetModules), so the server is never loaded at its start.
import { afterEach, describe, expect, test, vi } from 'vitest';
import type { PeerConnection } from '../../../src/peer/index.js';
import type { PeerCloseKind } from '../../../src/peer/close-reason.js';
import type { HashServerMeta } from '../../../src/torrent/discovery/hash-server.js';
import { merkleRoot, nextPow2 } from '../../../src/metainfo/merkle.js';
import { HASH_REQUEST_SIZE, HashMessageId, decodeHashRequest, decodeHashes, encodeHashRequest } from '../../../src/wire/hash-messages.js';
import type { HashRequest } from '../../../src/wire/hash-messages.js';
import { sha256 } from '../../../src/platform/sha.node.js';

const PIECE = 65536; // piece layer = 2 layers above the 16 KiB leaves

/** A connection stand-in: what it was sent, how it was closed. */
function fakeConn() {
  const sent: Uint8Array[] = [];
  const closed: { message: string; kind: PeerCloseKind }[] = [];
  const conn = {
    phase: 'connected' as string,
    stream: { write: (m: Uint8Array) => sent.push(m.slice()) > 0 },
    close(message: string, kind: PeerCloseKind) {
      closed.push({ message, kind });
      conn.phase = 'closed';
    },
  };
  return { conn, peer: conn as unknown as PeerConnection, sent, closed };
}

const payloadOf = (r: HashRequest): Uint8Array => encodeHashRequest(r).subarray(5);

async function fresh() {
  vi.resetModules();
  return import('../../../src/torrent/discovery/hash-serving.js');
}

const v1Meta: HashServerMeta = { files: [{ length: 10 * PIECE, pad: false }], pieceLength: PIECE, pieceLayer: () => undefined };

async function v2Meta(pieces: number): Promise<{ meta: HashServerMeta; root: Uint8Array }> {
  const layer = new Uint8Array(pieces * 32);
  for (let i = 0; i < pieces; i++) layer.set(await sha256(new Uint8Array([9, i])), i * 32);
  const root = await merkleRoot(layer, nextPow2(pieces), 2);
  return { root, meta: { files: [{ length: pieces * PIECE, pad: false, piecesRoot: root }], pieceLength: PIECE, pieceLayer: () => layer } };
}

afterEach(() => {
  vi.doUnmock('../../../src/torrent/discovery/bep52-wire.js');
});

describe('hash serving, loaded on first use', () => {
  test('the constants match the codec', async () => {
    const m = await fresh();
    expect(m.HASH_REQUEST_ID).toBe(HashMessageId.hashRequest);
    expect(m.HASH_REQUEST_BYTES).toBe(HASH_REQUEST_SIZE);
  });

  test('v1: a request arriving before the server is loaded is rejected once it is; 22/23 are ignored', async () => {
    const { HashServing } = await fresh();
    const isPeer = vi.fn(() => true);
    const s = new HashServing({ meta: v1Meta, isPeer, loadFailed: () => {} });
    const { peer, sent, closed } = fakeConn();
    const req = { piecesRoot: new Uint8Array(32).fill(1), baseLayer: 2, index: 0, length: 8, proofLayers: 3 };
    s.message(peer, HashMessageId.hashes, new Uint8Array(10));
    s.message(peer, HashMessageId.hashReject, new Uint8Array(10));
    const payload = payloadOf(req);
    s.message(peer, HashMessageId.hashRequest, payload);
    payload.fill(0xee); // the caller's view is reused: the queued copy must not see this
    expect(sent).toHaveLength(0);
    await vi.waitFor(() => expect(sent).toHaveLength(1));
    expect(sent[0]![4]).toBe(HashMessageId.hashReject);
    expect(decodeHashRequest(sent[0]!.subarray(5))).toEqual(req);
    expect(closed).toEqual([]);
    // Loaded now: answered synchronously, as before.
    s.message(peer, HashMessageId.hashRequest, payloadOf(req));
    expect(sent).toHaveLength(2);
  });

  test('v2: the server starts loading with the swarm; a request sent meanwhile gets its hashes', async () => {
    const { HashServing } = await fresh();
    const { meta, root } = await v2Meta(37);
    const s = new HashServing({ meta, isPeer: () => true, loadFailed: () => {} });
    const { peer, sent } = fakeConn();
    const req = { piecesRoot: root, baseLayer: 2, index: 0, length: 64, proofLayers: 5 };
    s.message(peer, HashMessageId.hashRequest, payloadOf(req));
    s.message(peer, HashMessageId.hashRequest, payloadOf({ ...req, piecesRoot: new Uint8Array(32) })); // unknown root
    await vi.waitFor(() => expect(sent).toHaveLength(2));
    expect(sent.map((m) => m[4])).toEqual([HashMessageId.hashReject, HashMessageId.hashes]); // the reject is synchronous
    expect(decodeHashes(sent[1]!.subarray(5)).index).toBe(0);
  });

  test('a malformed request closes its connection (at once for a wrong size, on load for bad fields)', async () => {
    const { HashServing } = await fresh();
    const s = new HashServing({ meta: v1Meta, isPeer: () => true, loadFailed: () => {} });
    const a = fakeConn();
    s.message(a.peer, HashMessageId.hashRequest, new Uint8Array(HASH_REQUEST_SIZE + 1));
    expect(a.closed).toEqual([{ message: `hash request payload of ${HASH_REQUEST_SIZE + 1} bytes, expected ${HASH_REQUEST_SIZE}`, kind: 'protocol' }]);
    const b = fakeConn();
    const bad = payloadOf({ piecesRoot: new Uint8Array(32), baseLayer: 2, index: 0, length: 8, proofLayers: 3 });
    bad[43] = 3; // length 3: not a power of two
    s.message(b.peer, HashMessageId.hashRequest, bad);
    s.message(b.peer, HashMessageId.hashRequest, payloadOf({ piecesRoot: new Uint8Array(32), baseLayer: 2, index: 0, length: 8, proofLayers: 3 }));
    expect(b.closed).toEqual([]);
    await vi.waitFor(() => expect(b.closed).toHaveLength(1));
    expect(b.closed[0]!.kind).toBe('protocol');
    expect(b.closed[0]!.message).toMatch(/not a power of two/);
    expect(b.sent).toHaveLength(0); // nothing after the malformed request is answered
  });

  test('a flood while loading closes that peer; a peer gone meanwhile is not answered', async () => {
    const { HashServing, MAX_QUEUED_PER_PEER } = await fresh();
    const gone = new Set<unknown>();
    const s = new HashServing({ meta: v1Meta, isPeer: (c) => !gone.has(c), loadFailed: () => {} });
    const flood = fakeConn();
    const left = fakeConn();
    const ok = fakeConn();
    const req = payloadOf({ piecesRoot: new Uint8Array(32), baseLayer: 2, index: 0, length: 8, proofLayers: 3 });
    for (let i = 0; i <= MAX_QUEUED_PER_PEER; i++) s.message(flood.peer, HashMessageId.hashRequest, req);
    expect(flood.closed).toEqual([{ message: 'hash request flood', kind: 'request_flood' }]);
    s.message(left.peer, HashMessageId.hashRequest, req);
    gone.add(left.peer);
    s.message(ok.peer, HashMessageId.hashRequest, req);
    await vi.waitFor(() => expect(ok.sent).toHaveLength(1));
    expect(flood.sent).toHaveLength(0);
    expect(left.sent).toHaveLength(0);
    expect(ok.sent).toHaveLength(1);
  });

  test('a failed load posts an error and closes the peers that waited; the next request tries again', async () => {
    vi.resetModules();
    vi.doMock('../../../src/torrent/discovery/bep52-wire.js', () => {
      throw new Error('chunk fetch failed');
    });
    const { HashServing } = await import('../../../src/torrent/discovery/hash-serving.js');
    const failures: string[] = [];
    const s = new HashServing({ meta: v1Meta, isPeer: () => true, loadFailed: (m) => failures.push(m) });
    const a = fakeConn();
    s.message(a.peer, HashMessageId.hashRequest, payloadOf({ piecesRoot: new Uint8Array(32), baseLayer: 2, index: 0, length: 8, proofLayers: 3 }));
    await vi.waitFor(() => expect(failures).toHaveLength(1));
    expect(failures[0]).toMatch(/could not be loaded/);
    expect(a.closed).toHaveLength(1);
    expect(a.closed[0]!.kind).toBe('local');
    vi.doUnmock('../../../src/torrent/discovery/bep52-wire.js');
    const b = fakeConn();
    s.message(b.peer, HashMessageId.hashRequest, payloadOf({ piecesRoot: new Uint8Array(32), baseLayer: 2, index: 0, length: 8, proofLayers: 3 }));
    await vi.waitFor(() => expect(b.sent).toHaveLength(1));
    expect(b.sent.map((m) => m[4])).toEqual([HashMessageId.hashReject]);
  });
});
