/**
 * HOSTILE-INPUTS case 28 against our server and our client: malformed JSON, oversized frames, huge SDP,
 * floods of offers, answers for unknown offers. Everything is capped or dropped; the server keeps
 * serving; the client keeps its RTCPeerConnections within the caps.
 */
import WebSocket from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTrackerServer } from '../../../tracker-server/index.js';
import type { TrackerServer } from '../../../tracker-server/index.js';
import { toBinaryString } from '../../../src/tracker/websocket-messages.js';
import { waitFor } from '../../suites/transport.suite.js';
import { expectNoLeaks, handleCounts, makeSide, randomId } from './helpers.js';
import type { Side } from './helpers.js';

let server: TrackerServer;
let url: string;
let sides: Side[] = [];
let raws: WebSocket[] = [];
let before: Map<string, number>;

async function raw(): Promise<{ ws: WebSocket; frames: Array<Record<string, unknown>>; closed: Promise<number> }> {
  const ws = new WebSocket(url);
  raws.push(ws);
  const frames: Array<Record<string, unknown>> = [];
  ws.on('message', (d) => frames.push(JSON.parse(d.toString()) as Record<string, unknown>));
  const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
  await new Promise((r) => ws.once('open', r));
  return { ws, frames, closed };
}

const sdp = (n: number): string => `v=0\r\n${'a'.repeat(n)}`;
const offerFrame = (ih: string, pid: string, count: number, sdpLen = 200): string => JSON.stringify({
  action: 'announce', info_hash: ih, peer_id: pid, numwant: count, left: 1, event: 'started',
  offers: Array.from({ length: count }, () => ({ offer: { type: 'offer', sdp: sdp(sdpLen) }, offer_id: toBinaryString(randomId()) })),
});

beforeEach(async () => {
  before = handleCounts();
  server = createTrackerServer({ http: false, udp: false, ws: true, messagesPerSecond: 1000 });
  url = `ws://127.0.0.1:${(await server.listen(0, '127.0.0.1')).tcp}`;
  sides = [];
  raws = [];
});

afterEach(async () => {
  for (const s of sides) await s.close();
  for (const w of raws) w.terminate();
  await server.close();
  expect(await expectNoLeaks(before)).toEqual([]);
});

describe('hostile signalling (case 28)', () => {
  it('server: malformed JSON and bad ids get a failure reason; oversized frames close that socket only', async () => {
    const a = await raw();
    a.ws.send('{not json');
    a.ws.send(JSON.stringify({ action: 'announce', info_hash: 'short', peer_id: 'x' }));
    a.ws.send(JSON.stringify({ action: 'announce', info_hash: 'é'.repeat(10) + '\u4e00'.repeat(10), peer_id: toBinaryString(randomId()) }));
    a.ws.send(JSON.stringify([1, 2, 3]));
    expect(await waitFor(() => a.frames.length === 4)).toBe(true);
    expect(a.frames.every((f) => typeof f['failure reason'] === 'string')).toBe(true);
    const b = await raw();
    b.ws.send('x'.repeat(70 * 1024));
    expect(await b.closed).toBe(1009);
    a.ws.send(JSON.stringify({ action: 'scrape', info_hash: toBinaryString(randomId()) }));
    expect(await waitFor(() => a.frames.length === 5)).toBe(true);
    expect(a.frames[4]?.action).toBe('scrape');
  });

  it('server: relays at most 10 offers per announce and never a huge SDP', async () => {
    const ih = toBinaryString(randomId());
    const listeners = await Promise.all(Array.from({ length: 14 }, () => raw()));
    for (const l of listeners) l.ws.send(offerFrame(ih, toBinaryString(randomId()), 0));
    expect(await waitFor(() => listeners.every((l) => l.frames.length === 1))).toBe(true);
    const attacker = await raw();
    attacker.ws.send(offerFrame(ih, toBinaryString(randomId()), 50));
    expect(await waitFor(() => server.stats.offersRelayed === 10)).toBe(true);
    attacker.ws.send(offerFrame(ih, toBinaryString(randomId()), 3, 20 * 1024));
    await new Promise((r) => setTimeout(r, 100));
    expect(server.stats.offersRelayed).toBe(10);
    const relayed = listeners.flatMap((l) => l.frames.filter((f) => f.offer !== undefined));
    expect(relayed.length).toBe(10);
  });

  it('client: an offer flood is rate-limited, unknown answers are dropped, connections stay capped', async () => {
    const ih = randomId();
    const peerId = randomId();
    const victim = makeSide(url, ih, { peerId, offerBurst: 4, offersPerSecond: 1 });
    sides.push(victim);
    await victim.client.announce({ event: 'started', numwant: 1, left: 5 });
    const attacker = await raw();
    const apid = toBinaryString(randomId());
    for (let i = 0; i < 10; i++) attacker.ws.send(offerFrame(toBinaryString(ih), apid, 1));
    for (let i = 0; i < 20; i++) {
      attacker.ws.send(JSON.stringify({ action: 'announce', info_hash: toBinaryString(ih), peer_id: apid, to_peer_id: toBinaryString(peerId),
        offer_id: toBinaryString(randomId()), answer: { type: 'answer', sdp: sdp(100) } }));
    }
    attacker.ws.send(JSON.stringify({ action: 'announce', info_hash: toBinaryString(ih), peer_id: apid, to_peer_id: toBinaryString(peerId),
      offer_id: toBinaryString(randomId()), answer: { type: 'answer', sdp: sdp(40 * 1024) } }));
    expect(await waitFor(() => victim.client.stats.offersReceived === 10 && victim.client.stats.answersDropped === 20, 5000)).toBe(true);
    expect(victim.client.stats.offersRejected).toBeGreaterThanOrEqual(6);
    expect(victim.rtc.connections).toBeLessThanOrEqual(1 + 4);
    expect(victim.client.stats.answersReceived).toBe(0);
    expect(victim.client.pendingOffers).toBe(1);
    // The victim still works: a scrape round-trips.
    expect(await victim.client.scrape()).toMatchObject({ incomplete: 2 });
  });
});
