// BEP 52 piece-layer proofs and the fetcher: trees built with merkle.ts, replies proven against the pieces
// root; a tampered hash (base or uncle) fails; a peer sending one is dropped and the chunk comes from another.
import { describe, test, expect } from 'vitest';
import { merkleRoot, nextPow2 } from '../../../src/metainfo/merkle.js';
import { buildProof, treeLayers, verifyProof } from '../../../src/torrent/discovery/merkle-proof.js';
import { PieceLayerFetcher } from '../../../src/torrent/discovery/piece-layers.js';
import { HashServer } from '../../../src/torrent/discovery/hash-server.js';
import { HashMessageId, decodeHashRequest, encodeHashRequest, uncleCount } from '../../../src/wire/index.js';
import { sha256 } from '../../../src/platform/sha.node.js';

const PIECE = 65536; // piece layer = 2 layers above the 16 KiB leaves

async function layerOf(pieces: number, seed: number): Promise<Uint8Array> {
  const out = new Uint8Array(pieces * 32);
  for (let i = 0; i < pieces; i++) out.set(await sha256(new Uint8Array([seed, i & 0xff, i >> 8])), i * 32);
  return out;
}

function split(msg: Uint8Array): { id: number; payload: Uint8Array } {
  return { id: msg[4]!, payload: msg.subarray(5) };
}

describe('merkle proofs for hash messages', () => {
  test('a range with its uncles proves against the root; any tampered hash fails', async () => {
    const layer = await layerOf(37, 1);
    const root = await merkleRoot(layer, nextPow2(37), 2);
    const layers = await treeLayers(layer, 2);
    expect(layers.at(-1)).toEqual(root);
    const height = Math.log2(64);
    for (const [index, length] of [[0, 8], [16, 8], [32, 8], [56, 8], [32, 32], [0, 64]] as const) {
      const uncles = height - Math.log2(length);
      const hashes = buildProof(layers, index, length, uncles)!;
      expect(hashes.length).toBe((length + uncles) * 32);
      expect(await verifyProof({ baseLayer: 2, index, length, hashes }, root, height)).toBe(true);
      for (const at of [0, (length - 1) * 32 + 5, hashes.length - 1]) {
        const bad = hashes.slice();
        bad[at]! ^= 1;
        expect(await verifyProof({ baseLayer: 2, index, length, hashes: bad }, root, height)).toBe(false);
      }
      // Right hashes presented for another position, or with an uncle missing, fail too.
      if (uncles > 0) {
        expect(await verifyProof({ baseLayer: 2, index: (index + length) % 64, length, hashes }, root, height)).toBe(false);
        expect(await verifyProof({ baseLayer: 2, index, length, hashes: hashes.subarray(0, hashes.length - 32) }, root, height)).toBe(false);
      }
    }
    expect(buildProof(layers, 60, 8, 3)).toBeUndefined(); // index not a multiple of the length
    expect(buildProof(layers, 64, 8, 3)).toBeUndefined(); // beyond the padded layer
    expect(buildProof(layers, 0, 8, 4)).toBeUndefined(); // more uncles than the tree has
  });
});

describe('PieceLayerFetcher', () => {
  async function setup(pieces: number): Promise<{ layer: Uint8Array; root: Uint8Array }> {
    const layer = await layerOf(pieces, 7);
    return { layer, root: await merkleRoot(layer, nextPow2(pieces), 2) };
  }

  test('fetches a multi-chunk layer, drops a peer whose hashes fail, re-asks an honest one', async () => {
    const pieces = 37;
    const { layer, root } = await setup(pieces);
    const layers = await treeLayers(layer, 2);
    const honest = { name: 'honest' };
    const liar = { name: 'liar' };
    const sent: Array<{ to: object; msg: Uint8Array }> = [];
    const bad: string[] = [];
    let done: Map<number, Uint8Array> | undefined;
    const f = new PieceLayerFetcher<object>([{ file: 0, piecesRoot: root, pieces }], PIECE, {
      send: (to, msg) => sent.push({ to, msg }),
      onDone: (l) => (done = l),
      onBadPeer: (p) => bad.push((p as { name: string }).name),
      now: () => 0,
    }, { chunk: 8, perPeer: 2 });
    f.addPeer(liar);
    f.addPeer(honest);
    // Answer until done: the liar flips one byte of every reply (always a valid size, so only the proof catches it).
    for (let round = 0; round < 50 && !done; round++) {
      const batch = sent.splice(0);
      for (const { to, msg } of batch) {
        const { id, payload } = split(msg);
        expect(id).toBe(HashMessageId.hashRequest);
        const r = decodeHashRequest(payload);
        expect(r.baseLayer).toBe(2);
        expect(r.proofLayers).toBe(5); // log2(64) - 1: the uncles reach the file's root
        const hashes = buildProof(layers, r.index, r.length, uncleCount(r.length, r.proofLayers))!;
        if (to === liar) hashes[40]! ^= 0x80;
        const reply = new Uint8Array(5 + 48 + hashes.length);
        reply.set(encodeHashRequest(r).subarray(0, 53));
        reply[4] = HashMessageId.hashes;
        new DataView(reply.buffer).setUint32(0, reply.length - 4);
        reply.set(hashes, 53);
        f.message(to, HashMessageId.hashes, reply.subarray(5));
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(bad).toEqual(['liar']);
    expect(done?.get(0)).toEqual(layer);
    expect(f.done).toBe(true);
  });

  test('rejects and time-outs move a chunk to another peer; unsolicited hashes are ignored', async () => {
    const pieces = 5;
    const { layer, root } = await setup(pieces);
    let now = 0;
    const a = { name: 'a' };
    const b = { name: 'b' };
    const sent: Array<{ to: object; msg: Uint8Array }> = [];
    let done: Map<number, Uint8Array> | undefined;
    const f = new PieceLayerFetcher<object>([{ file: 0, piecesRoot: root, pieces }], PIECE, {
      send: (to, msg) => sent.push({ to, msg }),
      onDone: (l) => (done = l),
      onBadPeer: () => expect.fail('nobody lied'),
      now: () => now,
    }, { timeoutMs: 1000, retryMs: 5000 });
    f.addPeer(a);
    expect(sent).toHaveLength(1);
    // a rejects: the chunk waits (a is avoided for retryMs) until b arrives.
    const first = split(sent.shift()!.msg);
    const rej = encodeHashRequest(decodeHashRequest(first.payload));
    rej[4] = HashMessageId.hashReject;
    f.message(a, HashMessageId.hashReject, rej.subarray(5));
    expect(sent).toHaveLength(0);
    f.addPeer(b);
    expect(sent.map((s) => s.to)).toEqual([b]);
    // b never answers: after the time-out a is asked again (its avoidance has expired by then).
    sent.length = 0;
    now = 6000;
    f.tick();
    expect(sent.map((s) => s.to)).toEqual([a]);
    // An answer from b now is late and ignored; a answers through a real HashServer.
    const replies: Uint8Array[] = [];
    const srv = new HashServer<object>({ files: [{ length: pieces * PIECE, pad: false, piecesRoot: root }], pieceLength: PIECE, pieceLayer: () => layer }, (_p, m) => replies.push(m));
    srv.message(a, HashMessageId.hashRequest, split(sent[0]!.msg).payload);
    await new Promise((r) => setTimeout(r, 20));
    expect(split(replies[0]!).id).toBe(HashMessageId.hashes);
    f.message(b, HashMessageId.hashes, split(replies[0]!).payload);
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBeUndefined();
    f.message(a, HashMessageId.hashes, split(replies[0]!).payload);
    await new Promise((r) => setTimeout(r, 20));
    expect(done?.get(0)).toEqual(layer);
  });

  test('the server rejects what it cannot prove and answers what it can', async () => {
    const { root, layer } = await setup(37);
    const replies: Uint8Array[] = [];
    const srv = new HashServer<object>({ files: [{ length: 37 * PIECE, pad: false, piecesRoot: root }], pieceLength: PIECE, pieceLayer: () => layer }, (_p, m) => replies.push(m));
    const peer = {};
    const ask = async (r: Parameters<typeof encodeHashRequest>[0]): Promise<number> => {
      srv.message(peer, HashMessageId.hashRequest, encodeHashRequest(r).subarray(5));
      await new Promise((res) => setTimeout(res, 10));
      return replies.pop()![4]!;
    };
    expect(await ask({ piecesRoot: root, baseLayer: 2, index: 0, length: 64, proofLayers: 5 })).toBe(HashMessageId.hashes);
    expect(await ask({ piecesRoot: root, baseLayer: 0, index: 0, length: 64, proofLayers: 5 })).toBe(HashMessageId.hashReject); // block layer
    expect(await ask({ piecesRoot: new Uint8Array(32), baseLayer: 2, index: 0, length: 8, proofLayers: 5 })).toBe(HashMessageId.hashReject);
    expect(await ask({ piecesRoot: root, baseLayer: 2, index: 64, length: 64, proofLayers: 5 })).toBe(HashMessageId.hashReject); // beyond
    expect(await ask({ piecesRoot: root, baseLayer: 2, index: 0, length: 8, proofLayers: 9 })).toBe(HashMessageId.hashReject); // too deep
    expect(() => srv.message(peer, HashMessageId.hashRequest, new Uint8Array(10))).toThrow();
  });
});
