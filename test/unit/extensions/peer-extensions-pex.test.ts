// PeerExtensions loads the PEX code (src/torrent/discovery/pex.ts) on first use. Each test imports a fresh
// copy of the module (vi.resetModules) so the load starts from scratch.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodePexMessage, encodePexMessage } from '../../../src/wire/extensions/ut-pex-codec.js';
import type { PeerAddress } from '../../../src/interfaces/transport.js';
import type { PeerConnection } from '../../../src/peer/index.js';
import type { DecodedExtensionHandshake } from '../../../src/wire/extensions/extension-handshake.js';
import type { PeerExtensions, PeerExtensionsHost } from '../../../src/torrent/discovery/peer-extensions.js';

interface FakeConn {
  remote: PeerAddress;
  direction: 'in' | 'out';
  isSeed: boolean;
  extensionHandshake: { p?: number } | undefined;
  sent: { name: string; payload: Uint8Array }[];
  closed: string[];
  sendExtended(name: string, payload: Uint8Array): void;
  close(reason: string): void;
  supportsExtension(name: string): boolean;
}

function conn(host: string, port: number, direction: 'in' | 'out' = 'out'): FakeConn {
  return {
    remote: { host, port },
    direction,
    isSeed: false,
    extensionHandshake: undefined,
    sent: [],
    closed: [],
    sendExtended(name, payload) { this.sent.push({ name, payload }); },
    close(reason) { this.closed.push(reason); },
    supportsExtension: () => true,
  };
}

const pexHandshake = { m: new Map([['ut_pex', 1]]) } as unknown as DecodedExtensionHandshake;
const asConn = (c: FakeConn): PeerConnection => c as unknown as PeerConnection;

async function setup(): Promise<{ ext: PeerExtensions; added: PeerAddress[]; failed: string[] }> {
  vi.resetModules();
  const { PeerExtensions } = await import('../../../src/torrent/discovery/peer-extensions.js');
  const added: PeerAddress[] = [];
  const failed: string[] = [];
  const host: PeerExtensionsHost = {
    isPrivate: () => false,
    pexIntervalMs: () => 60_000,
    maxPexPeers: () => 50,
    addPeer: (a) => added.push(a),
    isSelf: () => false,
    loadFailed: (m) => failed.push(m),
  };
  return { ext: new PeerExtensions(host, undefined, 1 << 20), added, failed };
}

afterEach(() => {
  vi.doUnmock('../../../src/torrent/discovery/pex.js');
  vi.resetModules();
});

describe('PeerExtensions: PEX loaded on first use', () => {
  it('a ut_pex message from a peer without an IP address (WebRTC) is queued, then handled once the code loads', async () => {
    const { ext, added } = await setup();
    const rtc = conn('peer-id-abc', 0);
    ext.connected(asConn(rtc));
    ext.handshake(asConn(rtc), pexHandshake);
    const payload = encodePexMessage({ added: [{ host: '1.2.3.4', port: 6881, flags: 0 }], dropped: [] });
    ext.message(asConn(rtc), 'ut_pex', payload);
    payload.fill(0); // the payload is a view valid during the call only (a reused read buffer): a copy waits
    await vi.waitFor(() => expect(added).toEqual([{ host: '1.2.3.4', port: 6881 }]));
    expect(rtc.closed).toEqual([]);
  });

  it('a tick with an IP-addressed peer to tell about loads the code and sends the waiting message', async () => {
    const { ext } = await setup();
    const rtc = conn('peer-id-abc', 0);
    const ip = conn('10.0.0.2', 6881);
    ext.connected(asConn(rtc));
    ext.handshake(asConn(rtc), pexHandshake); // no IP address: nothing loads yet
    ext.connected(asConn(ip)); // does not speak ut_pex
    ext.tick([asConn(rtc), asConn(ip)]);
    await vi.waitFor(() => expect(rtc.sent.length).toBe(1));
    const sent = rtc.sent[0]!;
    expect(sent.name).toBe('ut_pex');
    const msg = decodePexMessage(sent.payload);
    expect(msg.ok && msg.message.added.map((p) => `${p.host}:${p.port}`)).toEqual(['10.0.0.2:6881']);
  });

  it('a peer with an IP address loads the code at its handshake; later trackers are made at once', async () => {
    const { ext } = await setup();
    const a = conn('10.0.0.2', 6881);
    const b = conn('10.0.0.3', 6881);
    ext.connected(asConn(a));
    ext.handshake(asConn(a), pexHandshake);
    await vi.waitFor(() => {
      ext.tick([asConn(a), asConn(b)]);
      expect(a.sent.length).toBe(1);
    });
    ext.connected(asConn(b));
    ext.handshake(asConn(b), pexHandshake);
    ext.tick([asConn(a), asConn(b)]); // synchronous now: b's tracker exists and is due
    expect(b.sent.length).toBe(1);
  });

  it('garbage queued while loading still drops the peer', async () => {
    const { ext } = await setup();
    const rtc = conn('peer-id-abc', 0);
    ext.connected(asConn(rtc));
    ext.handshake(asConn(rtc), pexHandshake);
    ext.message(asConn(rtc), 'ut_pex', new Uint8Array([0x64]));
    await vi.waitFor(() => expect(rtc.closed.length).toBe(1));
    expect(rtc.closed[0]).toMatch(/^ut_pex: /);
  });

  it('a load that fails is reported through loadFailed, and the next message tries again', async () => {
    vi.doMock('../../../src/torrent/discovery/pex.js', () => {
      throw new Error('chunk could not be fetched');
    });
    const { ext, failed, added } = await setup();
    const rtc = conn('peer-id-abc', 0);
    ext.connected(asConn(rtc));
    ext.handshake(asConn(rtc), pexHandshake);
    const payload = encodePexMessage({ added: [{ host: '1.2.3.4', port: 6881, flags: 0 }], dropped: [] });
    ext.message(asConn(rtc), 'ut_pex', payload);
    await vi.waitFor(() => expect(failed.length).toBe(1));
    expect(failed[0]).toMatch(/ut_pex code could not be loaded/);
    expect(added).toEqual([]);
    vi.doUnmock('../../../src/torrent/discovery/pex.js');
    ext.message(asConn(rtc), 'ut_pex', payload);
    await vi.waitFor(() => expect(added).toEqual([{ host: '1.2.3.4', port: 6881 }]));
  });
});
