/**
 * Our WebSocket tracker client against bittorrent-tracker's reference Server (WebTorrent's tracker):
 * two clients in one swarm exchange offer/answer through it and end with a connected WebRTC PeerStream
 * pair (Node, @roamhq/wrtc) moving bytes both ways. Loopback only.
 */
import Server from 'bittorrent-tracker/server'; // the server only: the package index pulls in node-datachannel
import { afterEach, beforeEach, expect, it } from 'vitest';
import { waitFor } from '../suites/transport.suite.js';
import { exchangeBytes, expectNoLeaks, handleCounts, makeSide, randomId } from '../unit/ws-tracker/helpers.js';
import type { Side } from '../unit/ws-tracker/helpers.js';

interface RefServer {
  listen(port: number, host: string, cb: () => void): void;
  close(cb: () => void): void;
  http: { address(): { port: number } };
  on(ev: string, fn: (e: unknown) => void): void;
}

let server: RefServer;
let url: string;
let sides: Side[] = [];
let before: Map<string, number>;

beforeEach(async () => {
  before = handleCounts();
  server = new (Server as unknown as new (o: object) => RefServer)({ http: false, udp: false, ws: true, stats: false });
  server.on('warning', () => {});
  server.on('error', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `ws://127.0.0.1:${server.http.address().port}`;
  sides = [];
});

afterEach(async () => {
  for (const s of sides) await s.close();
  await new Promise<void>((r) => server.close(() => r()));
  expect(await expectNoLeaks(before)).toEqual([]);
});

it('two of our clients connect through bittorrent-tracker and move bytes both ways', async () => {
  const ih = randomId();
  const a = makeSide(url, ih);
  const b = makeSide(url, ih);
  sides.push(a, b);
  const ra = await a.client.announce({ event: 'started', left: 10, numwant: 2 });
  expect(ra.incomplete).toBe(1);
  expect(ra.interval).toBeGreaterThan(0);
  await b.client.announce({ event: 'started', left: 0, numwant: 2 });
  expect(await waitFor(() => a.streams.length >= 1 && b.streams.length >= 1, 15_000)).toBe(true);
  const sa = a.streams[0];
  const sb = b.streams[0];
  if (sa === undefined || sb === undefined) throw new Error('no streams');
  await exchangeBytes(sa, sb, 65_536);
  expect(await a.client.scrape()).toMatchObject({ complete: 1, incomplete: 1 });
  // An answer for an offer we never made (relayed by the reference server) is dropped.
  expect(b.client.stats.answersDropped).toBe(0);
});
