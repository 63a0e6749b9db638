/**
 * Interop with a real opentracker (Debian build, whitelist mode): two announcers on different ports see
 * each other, over HTTP and over UDP (BEP 15 through the shared-socket demux), and scrape counts match.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UdpDemux } from '../../src/net/udp-demux.js';
import { Announcer } from '../../src/tracker/announcer.js';
import type { AnnouncerOwner } from '../../src/tracker/announcer-types.js';
import { createHttpTrackerClient, httpScrape } from '../../src/tracker/http.js';
import type { TrackerClient, TrackerPeer } from '../../src/tracker/types.js';
import { UdpTrackerClient } from '../../src/tracker/udp.js';
import { createUdpFactory } from '../../transports/udp/index.js';
import { OPENTRACKER_BIN, startOpentracker } from './helpers/opentracker.js';
import type { Opentracker } from './helpers/opentracker.js';

const infoHash = Uint8Array.from({ length: 20 }, (_, i) => (i * 13 + 5) & 0xff);
const hex = Buffer.from(infoHash).toString('hex');

function peerOwner(left: number): AnnouncerOwner & { peers: TrackerPeer[]; replies: number; errors: string[] } {
  const o = {
    peers: [] as TrackerPeer[],
    replies: 0,
    errors: [] as string[],
    announceStats: () => ({ uploaded: 0, downloaded: 0, left }),
    onAnnounceReply: (e: { response: { peers: TrackerPeer[] } }) => {
      o.replies++;
      o.peers.push(...e.response.peers);
    },
    onTrackerWarning: () => undefined,
    onTrackerError: (e: { error: Error }) => o.errors.push(e.error.message),
    onScrapeReply: () => undefined,
    onScrapeError: (e: { error: Error }) => o.errors.push(e.error.message),
  };
  return o;
}

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(OPENTRACKER_BIN === undefined)('opentracker interop', () => {
  let tracker: Opentracker | undefined;
  let port: number;

  beforeAll(async () => {
    tracker = await startOpentracker([hex]);
    port = tracker.port;
  });

  afterAll(async () => {
    await tracker?.stop();
  });

  async function pair(client: TrackerClient, url: string): Promise<void> {
    const seedOwner = peerOwner(0);
    const leechOwner = peerOwner(1000);
    const common = { infoHash, trackers: [[url]], clients: [client] };
    const seed = new Announcer({ ...common, peerId: new TextEncoder().encode('-SK0001-seed00000000'), port: 40001, owner: seedOwner });
    const leech = new Announcer({ ...common, peerId: new TextEncoder().encode('-SK0001-leech0000000'), port: 40002, owner: leechOwner });
    try {
      seed.start({ seeding: true });
      await waitFor(() => seedOwner.replies === 1, `seed announce (${seedOwner.errors.join('; ')})`);
      leech.start();
      await waitFor(() => leechOwner.replies === 1, `leech announce (${leechOwner.errors.join('; ')})`);
      expect(leechOwner.peers).toContainEqual({ host: '127.0.0.1', port: 40001 });
      seed.forceReannounce({ ignoreMinInterval: true });
      await waitFor(() => seedOwner.replies === 2, 'seed reannounce');
      expect(seedOwner.peers).toContainEqual({ host: '127.0.0.1', port: 40002 });
      const status = leech.trackers()[0];
      expect(status).toMatchObject({ verified: true, fails: 0, scrapeComplete: 1, scrapeIncomplete: 1 });
      await leech.scrape();
      expect(leechOwner.errors).toEqual([]);
      expect(leech.trackers()[0]).toMatchObject({ scrapeComplete: 1, scrapeIncomplete: 1 });
      await Promise.all([seed.stop(), leech.stop()]);
      const after = await client.scrape(url, [infoHash]);
      expect(after.files.get(hex)).toMatchObject({ complete: 0, incomplete: 0 });
    } finally {
      seed.close();
      leech.close();
    }
  }

  it('HTTP: two announcers see each other; scrape counts', async () => {
    const url = `http://127.0.0.1:${port}/announce`;
    await pair(createHttpTrackerClient({ timeoutMs: 5000 }), url);
    // a torrent that is not whitelisted scrapes as empty (opentracker lists no counts for it)
    const other = new Uint8Array(20).fill(9);
    const scrape = await httpScrape(url, [other]);
    expect(scrape.files.get(Buffer.from(other).toString('hex'))?.complete ?? 0).toBe(0);
  });

  it('UDP: two announcers see each other over the shared socket; scrape counts', async () => {
    const demux = new UdpDemux(await createUdpFactory().bind({ host: '127.0.0.1' }));
    const client = new UdpTrackerClient(demux, { retransmitBaseMs: 1000, maxRetransmits: 2 });
    try {
      await pair(client, `udp://127.0.0.1:${port}/announce`);
    } finally {
      client.close();
      await demux.close();
    }
  });
});
