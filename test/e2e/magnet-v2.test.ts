// v2-only magnets over TCP loopback (x.pe): the info dict over ut_metadata, then the BEP 52 piece layers
// with hash requests (proven against each file's pieces root), then a normal, verified download. A peer
// that answers hash requests with tampered hashes is dropped and the layer comes from an honest peer.
import { describe, test, expect } from 'vitest';
import type { PeerOwner } from '../../src/peer/index.js';
import { decodeMetadataMessage, encodeMetadataData, metadataPieceLength, METADATA_PIECE_SIZE } from '../../src/wire/extensions/ut-metadata-codec.js';
import { HashMessageId, decodeHashRequest, encodeHashes, uncleCount } from '../../src/wire/index.js';
import { buildProof, treeLayers } from '../../src/torrent/discovery/merkle-proof.js';
import { bytes, makeTorrent, waitFor, history } from '../unit/session/helpers.js';
import type { TestFile } from '../unit/session/helpers.js';
import { expectData, useSwarmHarness, waitFinished } from './helpers/swarm.js';
import type { Swarmlet } from './helpers/swarm.js';

const harness = useSwarmHarness({ settleMs: 30 });
const swarmlet = (): Swarmlet => harness.swarmlet('tcp');

describe('v2-only magnet over TCP', () => {
  test('a layer of several 512-hash chunks (uncle proofs) and a small file: fetched, verified, downloaded byte-equal', async () => {
    // 16 KiB pieces: big.bin has 1,100 pieces → a padded layer of 2,048 → 3 requests of 512 with 2 uncles each.
    const fs: TestFile[] = [
      { path: 'v2/big.bin', data: bytes(1100 * 16384 - 777, 31) },
      { path: 'v2/mid.bin', data: bytes(5 * 16384 + 3, 32) },
      { path: 'v2/small.bin', data: bytes(9000, 33) },
    ];
    const ti = await makeTorrent(fs, 'v2', 16384);
    expect(ti.metaVersion).toBe('v2');
    const sw = swarmlet();
    const { node: seed } = await sw.seed(ti, fs);
    const leech = await sw.node();
    const a = seed.address();
    const h = await leech.session.addTorrent({ url: `${ti.toMagnet()}&x.pe=${a.host}:${a.port}`, savePath: 'leech' });
    await waitFor(leech.session, 'metadata_received');
    await waitFinished(h, 60_000);
    const got = h.torrentFile()!;
    ti.files.forEach((f, i) => {
      if (!f.pad) expect(got.pieceLayer(i)).toEqual(ti.pieceLayer(i));
    });
    await expectData(leech.storage, ti, fs);
    expect(history(leech.session).filter((x) => x.type === 'torrent_error' || x.type === 'hash_failed')).toEqual([]);
    expect(h.status().state).toBe('seeding');
  }, 90_000);

  test('a peer answering hash requests with tampered hashes is dropped; the layer then comes from an honest seed', async () => {
    const fs: TestFile[] = [{ path: 'v2/a.bin', data: bytes(40 * 16384 + 11, 41) }];
    const ti = await makeTorrent(fs, 'v2', 16384);
    const info = ti.infoBytes;
    const layers = await treeLayers(ti.pieceLayer(0)!, 0);
    // The liar: serves the info dict honestly over ut_metadata (so the leech gets the metadata from it), and
    // answers every hash request with a well-formed reply whose first hash has one bit flipped.
    const lies = { hashRequests: 0 };
    const liar: PeerOwner = {
      infoHash: ti.infoHashes.v2!.subarray(0, 20),
      pieceCount: () => undefined,
      pieceSize: () => 0,
      havePiece: () => false,
      bitfield: () => undefined,
      metadataSize: () => info.length,
      extensions: () => new Map([['ut_metadata', 2]]),
      readBlock: () => Promise.reject(new Error('no')),
      onBitfield() {}, onHaveAll() {}, onHave() {}, onPeerChoked() {}, onPeerUnchoked() {}, onBlock() {}, onReject() {}, onClose() {},
      onExtended(peer, name, payload) {
        const r = decodeMetadataMessage(payload);
        if (name !== 'ut_metadata' || !r.ok || r.message.type !== 'request') return;
        const piece = r.message.piece;
        const block = info.slice(piece * METADATA_PIECE_SIZE, piece * METADATA_PIECE_SIZE + metadataPieceLength(info.length, piece));
        peer.sendExtended('ut_metadata', encodeMetadataData(piece, info.length, block));
      },
      onUnknownMessage(peer, id, payload) {
        if (id !== HashMessageId.hashRequest) return;
        lies.hashRequests++;
        const req = decodeHashRequest(payload);
        const hashes = buildProof(layers, req.index, req.length, uncleCount(req.length, req.proofLayers))!;
        hashes[0]! ^= 0x01;
        peer.stream.write(encodeHashes(req, hashes));
      },
    };
    const e = await harness.scriptedPeer(liar);

    const sw = swarmlet();
    const { node: seed } = await sw.seed(ti, fs);
    const leech = await sw.node();
    const h = await leech.session.addTorrent({ url: `${ti.toMagnet()}&x.pe=${e.host}:${e.port}`, savePath: 'leech' });
    await waitFor(leech.session, 'metadata_received');
    // The liar's hashes fail their proof: we close it (protocol) and the torrent waits for metadata still.
    const gone = await waitFor(leech.session, 'peer_disconnected', (x) => x.endpoint.port === e.port && x.reason === 'protocol');
    expect(gone.error?.message).toMatch(/piece layer/);
    expect(lies.hashRequests).toBeGreaterThan(0);
    expect(h.status().state).toBe('downloading_metadata');
    expect(h.torrentFile()).toBeUndefined();
    await h.connectPeer(seed.address());
    await waitFinished(h, 30_000);
    expect(h.torrentFile()!.pieceLayer(0)).toEqual(ti.pieceLayer(0));
    await expectData(leech.storage, ti, fs);
    expect(history(leech.session).filter((x) => x.type === 'hash_failed')).toEqual([]);
  }, 60_000);
});
