// Magnet downloads over TCP loopback: metadata fetched over ut_metadata (BEP 9) from peers named in the
// magnet's x.pe, verified against the info-hash, then a normal download. A hostile metadata peer that sends
// an info dict failing the hash is discarded and the metadata is fetched again from an honest peer.
import { describe, test, expect } from 'vitest';
import type { PeerOwner } from '../../src/peer/index.js';
import { decodeMetadataMessage, encodeMetadataData, metadataPieceLength, METADATA_PIECE_SIZE } from '../../src/wire/extensions/ut-metadata-codec.js';
import { bytes, makeTorrent, waitFor, history } from '../unit/session/helpers.js';
import type { TestFile } from '../unit/session/helpers.js';
import { expectData, useSwarmHarness, waitFinished } from './helpers/swarm.js';
import type { Swarmlet } from './helpers/swarm.js';

const harness = useSwarmHarness({ settleMs: 30 });
const swarmlet = (): Swarmlet => harness.swarmlet('tcp');

const files = (n: number, seed: number): TestFile[] => [
  { path: 'mag/a.bin', data: bytes(n, seed) },
  { path: 'mag/b.bin', data: bytes(Math.floor(n / 3), seed + 1) },
];

describe('magnet over TCP', () => {
  test.each(['v1', 'hybrid'] as const)('%s: magnet with x.pe only: metadata from the seed, then the data', async (version) => {
    const fs = files(300_000, 5);
    const ti = await makeTorrent(fs, version, 32768);
    const sw = swarmlet();
    const { node: seed } = await sw.seed(ti, fs);
    const leech = await sw.node();
    const a = seed.address();
    const magnet = `${ti.toMagnet()}&x.pe=${a.host}:${a.port}`;
    const h = await leech.session.addTorrent({ url: magnet, savePath: 'leech' });
    expect(h.status().state).toBe('downloading_metadata');
    expect(h.torrentFile()).toBeUndefined();
    await waitFor(leech.session, 'metadata_received');
    await waitFinished(h);
    const got = h.torrentFile()!;
    expect(got.id).toBe(ti.id);
    expect(got.name).toBe(ti.name);
    expect(h.name()).toBe(ti.name);
    await expectData(leech.storage, ti, fs);
    expect(h.status().state).toBe('seeding');
  });

  test('hybrid magnet: no piece layers in the info dict, so pieces are verified with v1 SHA-1; a corrupt piece still fails', async () => {
    const fs = files(200_000, 21);
    const ti = await makeTorrent(fs, 'hybrid', 16384);
    const sw = swarmlet();
    const { node: seed } = await sw.seed(ti, fs);
    const leech = await sw.node();
    const a = seed.address();
    const h = await leech.session.addTorrent({ url: `${ti.toMagnet()}&x.pe=${a.host}:${a.port}`, savePath: 'leech' });
    await waitFor(leech.session, 'metadata_received');
    const got = h.torrentFile()!;
    expect(got.metaVersion).toBe('hybrid');
    expect(got.pieceLayer(0)).toBeUndefined(); // a.bin spans many pieces: its layer is not in the info dict
    await waitFinished(h);
    await expectData(leech.storage, ti, fs);
    expect(history(leech.session).filter((x) => x.type === 'hash_failed')).toEqual([]);
    // Verification is real: a piece overwritten in storage fails the recheck.
    const s = await leech.storage.open(ti.layout());
    await s.write(1, 0, new Uint8Array(16384).fill(7));
    await s.close();
    await h.forceRecheck();
    const until = Date.now() + 10_000;
    while (h.status().state === 'checking_files' && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(h.havePiece(1)).toBe(false);
    expect(h.havePiece(0)).toBe(true);
  });

  test('v2-only magnet: the piece layers come from the seed with BEP 52 hash requests, then a verified download', async () => {
    const fs = files(200_000, 23);
    const ti = await makeTorrent(fs, 'v2', 16384);
    const sw = swarmlet();
    const { node: seed } = await sw.seed(ti, fs);
    const leech = await sw.node();
    const a = seed.address();
    const h = await leech.session.addTorrent({ url: `${ti.toMagnet()}&x.pe=${a.host}:${a.port}`, savePath: 'leech' });
    await waitFor(leech.session, 'metadata_received');
    await waitFinished(h);
    const got = h.torrentFile()!;
    expect(got.metaVersion).toBe('v2');
    expect(got.pieceLayer(0)).toEqual(ti.pieceLayer(0)); // fetched, proven against a.bin's pieces root
    await expectData(leech.storage, ti, fs);
    expect(history(leech.session).filter((x) => x.type === 'torrent_error' || x.type === 'hash_failed')).toEqual([]);
    expect(h.status().state).toBe('seeding');
  });

  test('a peer sending metadata that fails the hash is dropped; the metadata then comes from an honest peer', async () => {
    const fs = files(120_000, 9);
    const ti = await makeTorrent(fs, 'v1', 16384);
    const info = ti.infoBytes;
    // The hostile peer: a real TCP listener and PeerConnection that advertises ut_metadata with the right
    // size and answers every request with flipped bytes.
    const lies = { requests: 0 };
    const evil: PeerOwner = {
      infoHash: ti.infoHashes.v1!,
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
        lies.requests++;
        const piece = r.message.piece;
        const block = info.slice(piece * METADATA_PIECE_SIZE, piece * METADATA_PIECE_SIZE + metadataPieceLength(info.length, piece));
        block[0] = block[0]! ^ 0xff;
        peer.sendExtended('ut_metadata', encodeMetadataData(piece, info.length, block));
      },
    };
    const e = await harness.scriptedPeer(evil);

    const sw = swarmlet();
    const { node: seed } = await sw.seed(ti, fs);
    const leech = await sw.node();
    const h = await leech.session.addTorrent({ url: `${ti.toMagnet()}&x.pe=${e.host}:${e.port}`, savePath: 'leech' });
    await waitFor(leech.session, 'metadata_failed');
    expect(lies.requests).toBeGreaterThan(0);
    // The liar is disconnected by us (protocol) and never used again.
    await waitFor(leech.session, 'peer_disconnected', (a) => a.endpoint.port === e.port && a.reason === 'protocol');
    expect(history(leech.session).some((a) => a.type === 'metadata_received')).toBe(false);
    await h.connectPeer(seed.address());
    await waitFor(leech.session, 'metadata_received');
    await waitFinished(h);
    await expectData(leech.storage, ti, fs);
  });
});
