// PeerExtensions loads the ut_metadata server (in the magnet phase's chunk, src/torrent/discovery/magnet-phase.ts)
// on first use: a request arriving meanwhile is queued (a copy, bounded per peer) and answered once it is in.
// Each test imports a fresh copy of the module (vi.resetModules) so the load starts from scratch.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeMetadataMessage, encodeMetadataData, encodeMetadataRequest } from '../../../src/wire/extensions/ut-metadata-codec.js';
import type { MetadataMessage } from '../../../src/wire/extensions/ut-metadata-codec.js';
import type { MetadataFetcher } from '../../../src/wire/extensions/ut-metadata-fetcher.js';
import type { PeerConnection } from '../../../src/peer/index.js';
import type { PeerExtensions, PeerExtensionsHost } from '../../../src/torrent/discovery/peer-extensions.js';
import { makeInfo } from './metadata-swarm.js';

interface FakeConn {
  sent: MetadataMessage[];
  closed: { reason: string; kind: string | undefined }[];
  remote: { host: string; port: number };
  sendExtended(name: string, payload: Uint8Array): void;
  close(reason: string, kind?: string): void;
  supportsExtension(name: string): boolean;
}

function conn(): FakeConn {
  return {
    sent: [],
    closed: [],
    remote: { host: 'peer-id', port: 0 },
    sendExtended(name, payload) {
      expect(name).toBe('ut_metadata');
      const r = decodeMetadataMessage(payload);
      if (!r.ok) throw new Error('sent an undecodable message');
      this.sent.push(r.message);
    },
    close(reason, kind) { this.closed.push({ reason, kind }); },
    supportsExtension: () => true,
  };
}
const asConn = (c: FakeConn): PeerConnection => c as unknown as PeerConnection;
const MAGNET_PHASE = '../../../src/torrent/discovery/magnet-phase.js';

async function setup(info?: Uint8Array) {
  vi.resetModules();
  const mod = await import('../../../src/torrent/discovery/peer-extensions.js');
  const failed: string[] = [];
  const host: PeerExtensionsHost = {
    isPrivate: () => false,
    pexIntervalMs: () => 60_000,
    maxPexPeers: () => 50,
    addPeer: () => {},
    isSelf: () => false,
    loadFailed: (m) => failed.push(m),
  };
  const ext: PeerExtensions = new mod.PeerExtensions(host, info, 1 << 20);
  return { ext, failed, maxQueued: mod.MAX_QUEUED_METADATA_BYTES };
}

afterEach(() => {
  vi.doUnmock(MAGNET_PHASE);
  vi.resetModules();
});

describe('PeerExtensions: the ut_metadata server loaded on first use', () => {
  it('a request arriving before the server is loaded is answered with the block once it is', async () => {
    const info = makeInfo(40_000);
    const { ext } = await setup(info);
    expect(ext.metadataSize()).toBe(info.length); // the extension handshake needs no server
    const c = conn();
    ext.connected(asConn(c));
    const req = encodeMetadataRequest(1);
    ext.message(asConn(c), 'ut_metadata', req);
    req.fill(0x65); // a view valid during the call only: the queued copy must not see this
    ext.message(asConn(c), 'ut_metadata', encodeMetadataRequest(5)); // beyond the 3 pieces: rejected
    expect(c.sent).toEqual([]);
    await vi.waitFor(() => expect(c.sent).toHaveLength(2));
    const data = c.sent[0]!;
    expect(data.type === 'data' && [data.piece, data.totalSize, data.block]).toEqual([1, info.length, info.subarray(16384, 32768)]);
    expect(c.sent[1]).toEqual({ type: 'reject', piece: 5 });
    expect(c.closed).toEqual([]);
    ext.message(asConn(c), 'ut_metadata', encodeMetadataRequest(0)); // loaded: answered at once
    expect(c.sent).toHaveLength(3);
  });

  it('without metadata a waiting request is rejected; garbage that waited drops its peer; a peer gone is not answered', async () => {
    const { ext } = await setup();
    const a = conn();
    const b = conn();
    const gone = conn();
    for (const c of [a, b, gone]) ext.connected(asConn(c));
    ext.message(asConn(a), 'ut_metadata', encodeMetadataRequest(0));
    ext.message(asConn(b), 'ut_metadata', new Uint8Array([0x64, 0x31])); // not bencode
    ext.message(asConn(gone), 'ut_metadata', encodeMetadataRequest(0));
    ext.closed(asConn(gone));
    await vi.waitFor(() => expect(a.sent).toEqual([{ type: 'reject', piece: 0 }]));
    expect(b.closed).toEqual([{ reason: 'ut_metadata: not_bencode', kind: 'protocol' }]);
    expect(gone.sent).toEqual([]);
  });

  it('a peer queueing more than the bound while the server loads is closed as a flood', async () => {
    const { ext, maxQueued } = await setup(makeInfo(40_000));
    const c = conn();
    ext.connected(asConn(c));
    const block = encodeMetadataData(0, 40_000, new Uint8Array(16384));
    const n = Math.floor(maxQueued / block.length);
    for (let i = 0; i < n; i++) ext.message(asConn(c), 'ut_metadata', block);
    expect(c.closed).toEqual([]);
    ext.message(asConn(c), 'ut_metadata', block);
    expect(c.closed).toEqual([{ reason: 'ut_metadata: request_flood', kind: 'protocol' }]);
  });

  it("a magnet's fetcher loads the server; replies that waited reach the fetcher", async () => {
    const { ext } = await setup();
    const c = conn();
    ext.connected(asConn(c));
    const seen: string[] = [];
    const fetcher = {
      addPeer: () => {},
      removePeer: () => {},
      tick: () => {},
      onMessage: (key: string, payload: Uint8Array) => {
        const r = decodeMetadataMessage(payload);
        seen.push(`${key} ${r.ok ? r.message.type : 'bad'}`);
        return { action: 'accept' } as const;
      },
    } as unknown as MetadataFetcher;
    ext.setFetcher(fetcher);
    ext.message(asConn(c), 'ut_metadata', encodeMetadataData(0, 10, new Uint8Array(10)));
    await vi.waitFor(() => expect(seen).toEqual(['p0 data']));
  });

  it('a failed load posts through loadFailed and closes the peers that waited; the next message tries again', async () => {
    vi.doMock(MAGNET_PHASE, () => {
      throw new Error('chunk could not be fetched');
    });
    const info = makeInfo(1000);
    const { ext, failed } = await setup(info);
    const a = conn();
    ext.connected(asConn(a));
    ext.message(asConn(a), 'ut_metadata', encodeMetadataRequest(0));
    await vi.waitFor(() => expect(failed).toHaveLength(1));
    expect(failed[0]).toMatch(/ut_metadata server could not be loaded/);
    expect(a.closed).toHaveLength(1);
    expect(a.closed[0]!.kind).toBe('local');
    vi.doUnmock(MAGNET_PHASE);
    const b = conn();
    ext.connected(asConn(b));
    ext.message(asConn(b), 'ut_metadata', encodeMetadataRequest(0));
    await vi.waitFor(() => expect(b.sent).toHaveLength(1));
    expect(b.sent[0]!.type).toBe('data');
  });
});
