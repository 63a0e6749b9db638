// TorrentDiscovery loads the announcer (src/torrent/discovery/torrent-announcer.ts: tiers, events, back-off,
// with the HTTP client) on first use: when a torrent has an http(s) or udp tracker, or one is added. Until it
// is in, trackers() lists them as unannounced, additions keep their tier order, and a start waits; ws://
// trackers never load it. Each test imports a fresh copy of the module (vi.resetModules).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Announcer } from '../../../src/tracker/announcer.js';
import { unannouncedTrackerStatus } from '../../../src/tracker/announcer-types.js';
import type { AnnounceEvent, AnnounceResponse, TrackerClient } from '../../../src/tracker/types.js';
import type { DiscoveryServices, DiscoveryTorrent, TorrentDiscovery } from '../../../src/torrent/discovery/torrent-discovery.js';
import type { PeerAddress } from '../../../src/interfaces/transport.js';
import { defaultSettings } from '../../../src/session/settings.js';
import { toHex } from '../../../src/metainfo/info-hash.js';

const ANNOUNCER = '../../../src/torrent/discovery/torrent-announcer.js';
const IH = new Uint8Array(20).fill(7);

function fakes() {
  const posts: { type: string; fields: unknown }[] = [];
  const peers: PeerAddress[] = [];
  const announces: { url: string; event: AnnounceEvent | undefined }[] = [];
  const scrapes: string[] = [];
  const t: DiscoveryTorrent = {
    infoHash: IH,
    infoHashHex: toHex(IH),
    isPrivate: () => false,
    announceStats: () => ({ uploaded: 0, downloaded: 0, left: 100 }),
    addPeer: (a) => peers.push(a),
    post: (type, fields) => posts.push({ type, fields }),
  };
  const http: TrackerClient = {
    canHandle: (url) => url.startsWith('http://'),
    announce: async (url, req): Promise<AnnounceResponse> => {
      announces.push({ url, event: req.event });
      return { interval: 1800, peers: [{ host: '10.0.0.9', port: 6881 }], droppedPeers: 0 };
    },
    scrape: async (url) => {
      scrapes.push(url);
      return { files: new Map([[toHex(IH), { complete: 3, incomplete: 4, downloaded: 5 }]]) };
    },
  };
  const svc: DiscoveryServices = {
    peerId: new Uint8Array(20).fill(1),
    settings: () => defaultSettings,
    ready: Promise.resolve(),
    listenPort: () => 6881,
    trackerClients: () => [http],
    dht: () => undefined,
    lsd: () => undefined,
  };
  return { t, svc, posts, peers, announces, scrapes };
}

async function discovery(trackers: string[][]) {
  vi.resetModules();
  const { TorrentDiscovery: TD } = await import('../../../src/torrent/discovery/torrent-discovery.js');
  const f = fakes();
  const d: TorrentDiscovery = new TD(f.t, f.svc, trackers);
  return { d, ...f };
}

const types = (posts: { type: string }[]): string[] => posts.map((p) => p.type);

afterEach(() => {
  vi.doUnmock(ANNOUNCER);
  vi.resetModules();
});

describe('TorrentDiscovery: the announcer loaded on first use', () => {
  it('lists a fresh tracker as an announcer just made does', () => {
    const a = new Announcer({ infoHash: IH, peerId: IH, port: 1, trackers: [[], ['http://x/a']], clients: [], owner: fakesOwner() });
    expect(a.trackers()).toEqual([unannouncedTrackerStatus('http://x/a', 1)]);
  });

  it('a start before the load announces once it is in; trackers added meanwhile keep their tier order', async () => {
    const { d, posts, peers, announces } = await discovery([['http://a/announce', 'ws://w/announce'], ['udp://b/announce']]);
    expect(d.trackers().map((s) => [s.url, s.tier, s.startSent])).toEqual([
      ['http://a/announce', 0, false], ['udp://b/announce', 1, false], ['ws://w/announce', 0, false],
    ]);
    expect(d.addTracker('http://c/announce', 0)).toBe(true);
    expect(d.addTracker('http://a/announce', 3)).toBe(false);
    d.sync(true, false);
    expect(d.trackers().slice(0, 3).map((s) => s.url)).toEqual(['http://a/announce', 'http://c/announce', 'udp://b/announce']);
    await vi.waitFor(() => expect(types(posts)).toContain('tracker_reply'));
    expect(announces).toEqual([{ url: 'http://a/announce', event: 'started' }]);
    // (tracker_warning: the ws:// tracker has no WebSocket services here)
    expect(types(posts).filter((x) => x !== 'tracker_warning')).toEqual(['tracker_announce', 'tracker_reply']);
    expect(peers).toEqual([{ host: '10.0.0.9', port: 6881 }]);
    expect(d.trackers().slice(0, 3).map((s) => [s.url, s.tier, s.startSent])).toEqual([
      ['http://a/announce', 0, true], ['http://c/announce', 0, false], ['udp://b/announce', 1, false],
    ]);
    await d.close();
  });

  it('a stop before the load sends nothing; the next start announces `started`', async () => {
    const { d, announces } = await discovery([['http://a/announce']]);
    d.sync(true, false);
    d.sync(false, false);
    await new Promise((r) => setTimeout(r, 50));
    expect(announces).toEqual([]);
    d.sync(true, false);
    await vi.waitFor(() => expect(announces).toEqual([{ url: 'http://a/announce', event: 'started' }]));
    await d.close();
  });

  it('completing before the load announces as a seed (`started`, never `completed`)', async () => {
    const { d, announces } = await discovery([['http://a/announce']]);
    d.sync(true, false);
    d.completed();
    await vi.waitFor(() => expect(announces).toHaveLength(1));
    await new Promise((r) => setTimeout(r, 20));
    expect(announces).toEqual([{ url: 'http://a/announce', event: 'started' }]);
    expect(d.trackers()[0]!.completeSent).toBe(true);
    await d.close();
  });

  it('a scrape before the load waits for it', async () => {
    const { d, posts, scrapes } = await discovery([['http://a/announce']]);
    await d.scrape();
    expect(scrapes).toEqual(['http://a/announce']);
    expect(types(posts)).toContain('scrape_reply');
    await d.close();
  });

  it('ws:// trackers alone never load it; a failed load posts session_error and the next start tries again', async () => {
    vi.doMock(ANNOUNCER, () => {
      throw new Error('chunk could not be fetched');
    });
    const ws = await discovery([['ws://w/announce']]);
    ws.d.sync(true, false);
    await new Promise((r) => setTimeout(r, 50));
    expect(types(ws.posts)).not.toContain('session_error');
    await ws.d.close();

    const { d, posts, announces } = await discovery([['http://a/announce']]);
    d.sync(true, false);
    await vi.waitFor(() => expect(types(posts)).toContain('session_error'));
    expect(d.trackers().map((s) => s.url)).toEqual(['http://a/announce']);
    vi.doUnmock(ANNOUNCER);
    d.sync(false, false);
    d.sync(true, false);
    await vi.waitFor(() => expect(announces).toEqual([{ url: 'http://a/announce', event: 'started' }]));
    await d.close();
  });
});

function fakesOwner() {
  return {
    announceStats: () => ({ uploaded: 0, downloaded: 0, left: 0 }),
    onAnnounceReply: () => {},
    onTrackerWarning: () => {},
    onTrackerError: () => {},
    onScrapeReply: () => {},
    onScrapeError: () => {},
  };
}
