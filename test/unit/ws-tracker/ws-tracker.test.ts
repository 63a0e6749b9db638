/**
 * WebSocket tracker client ↔ our tracker server: two clients in one swarm exchange offer/answer through
 * the relay and end with a connected WebRTC PeerStream pair (Node, @roamhq/wrtc) moving bytes both ways;
 * scrape; reconnect; and nothing left open afterwards.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTrackerServer } from '../../../tracker-server/index.js';
import type { TrackerServer } from '../../../tracker-server/index.js';
import { waitFor } from '../../suites/transport.suite.js';
import { exchangeBytes, expectNoLeaks, handleCounts, makeSide, randomId } from './helpers.js';
import type { Side } from './helpers.js';

let server: TrackerServer;
let url: string;
let sides: Side[] = [];
let before: Map<string, number>;

beforeEach(async () => {
  before = handleCounts();
  server = createTrackerServer({ http: false, udp: false, ws: true });
  const addr = await server.listen(0, '127.0.0.1');
  url = `ws://127.0.0.1:${addr.tcp}`;
  sides = [];
});

afterEach(async () => {
  for (const s of sides) await s.close();
  await server.close();
  expect(await expectNoLeaks(before)).toEqual([]);
});

describe('websocket tracker client ↔ our server', () => {
  it('two clients in one swarm connect over WebRTC and move bytes both ways', async () => {
    const ih = randomId();
    const a = makeSide(url, ih);
    const b = makeSide(url, ih);
    sides.push(a, b);
    const ra = await a.client.announce({ event: 'started', left: 100, numwant: 3 });
    expect(ra.incomplete).toBe(1);
    expect(a.client.pendingOffers).toBe(3);
    const rb = await b.client.announce({ event: 'started', left: 0, numwant: 3 });
    expect(rb.complete).toBe(1);
    expect(rb.incomplete).toBe(1);
    // b's offers are relayed to a (the only other peer): a answers one, b connects.
    expect(await waitFor(() => a.streams.length === 1 && b.streams.length === 1, 15_000)).toBe(true);
    const sa = a.streams[0];
    const sb = b.streams[0];
    if (sa === undefined || sb === undefined) throw new Error('no streams');
    expect(sa.direction).toBe('in');
    expect(sb.direction).toBe('out');
    expect(server.stats.offersRelayed).toBe(1);
    expect(server.stats.answersRelayed).toBe(1);
    await exchangeBytes(sa, sb, 65_536);
    expect(a.pool.size).toBe(1);
    const counts = await a.client.scrape();
    expect(counts).toEqual({ complete: 1, incomplete: 1, downloaded: 0 });
    await b.client.announce({ event: 'stopped' });
    expect(await a.client.scrape()).toEqual({ complete: 0, incomplete: 1, downloaded: 0 });
  });

  it('shares one socket per tracker URL between torrents', async () => {
    const a = makeSide(url, randomId());
    sides.push(a);
    const { WebSocketTrackerClient } = await import('../../../src/tracker/websocket.js');
    const other = new WebSocketTrackerClient({ url, infoHash: randomId(), peerId: randomId(), pool: a.pool, connector: a.rtc, onPeer: () => {} });
    await a.client.announce({ event: 'started', numwant: 0 });
    await other.announce({ event: 'started', numwant: 0 });
    expect(a.pool.size).toBe(1);
    expect(server.store.swarms.size).toBe(2);
    other.destroy();
    expect(a.pool.size).toBe(1);
  });

  it('offers expire and their peer connections are destroyed', async () => {
    const a = makeSide(url, randomId(), { offerTimeoutMs: 300 });
    sides.push(a);
    await a.client.announce({ event: 'started', numwant: 4 });
    expect(a.rtc.connections).toBe(4);
    expect(await waitFor(() => a.client.pendingOffers === 0 && a.rtc.connections === 0, 3000)).toBe(true);
  });

  it('reconnects after the server drops the socket and asks for a re-announce', async () => {
    let reconnects = 0;
    const a = makeSide(url, randomId(), { onReconnect: () => reconnects++ });
    sides.push(a);
    await a.client.announce({ event: 'started', numwant: 0 });
    // Kill the server side of the socket, keep the server listening.
    const port = Number(new URL(url).port);
    await server.close();
    server = createTrackerServer({ http: false, udp: false, ws: true });
    await server.listen(port, '127.0.0.1');
    expect(await waitFor(() => reconnects === 1, 5000)).toBe(true);
    expect(a.warnings.some((w) => /closed/.test(w.message))).toBe(true);
    const r = await a.client.announce({ event: 'started', numwant: 0, left: 10 });
    expect(r.incomplete).toBe(1);
  });
});
