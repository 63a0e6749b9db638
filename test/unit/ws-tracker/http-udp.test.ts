/**
 * Our tracker server's HTTP (through src/tracker/http.ts's client) and UDP (raw BEP 15 packets)
 * announce and scrape, on loopback; nothing left open afterwards.
 */
import dgram from 'node:dgram';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { httpAnnounce, httpScrape } from '../../../src/tracker/http.js';
import { createTrackerServer } from '../../../tracker-server/index.js';
import type { TrackerServer } from '../../../tracker-server/index.js';
import { expectNoLeaks, handleCounts, randomId } from './helpers.js';

let server: TrackerServer;
let tcp = 0;
let udp = 0;
let before: Map<string, number>;

beforeEach(async () => {
  before = handleCounts();
  server = createTrackerServer({ ws: false, intervalSec: 900 });
  const a = await server.listen(0, '127.0.0.1');
  tcp = a.tcp ?? 0;
  udp = a.udp ?? 0;
});
afterEach(async () => {
  await server.close();
  expect(await expectNoLeaks(before)).toEqual([]);
});

const req = (infoHash: Uint8Array, port: number, left: number, event?: 'started' | 'completed' | 'stopped') => ({
  infoHash, peerId: randomId(), port, uploaded: 0, downloaded: 0, left, key: 1, numWant: 50, ...(event ? { event } : {}),
});

it('HTTP announce returns compact peers of the swarm, scrape counts them', async () => {
  const ih = randomId();
  const url = `http://127.0.0.1:${tcp}/announce`;
  const r1 = await httpAnnounce(url, req(ih, 6881, 100, 'started'));
  expect(r1.peers).toEqual([]);
  expect(r1.interval).toBe(900);
  const r2 = await httpAnnounce(url, req(ih, 6882, 0, 'started'));
  expect(r2.peers).toEqual([{ host: '127.0.0.1', port: 6881 }]);
  expect([r2.complete, r2.incomplete]).toEqual([1, 1]);
  const s = await httpScrape(url, [ih]);
  expect([...s.files.values()]).toEqual([{ complete: 1, incomplete: 1, downloaded: 0 }]);
  expect([...s.files.keys()]).toEqual([Buffer.from(ih).toString('hex')]);
  const bad = await fetch(`http://127.0.0.1:${tcp}/announce?info_hash=%zz`);
  expect(await bad.text()).toMatch(/failure reason/);
});

function udpCall(sock: dgram.Socket, packet: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no udp reply')), 2000);
    sock.once('message', (m) => {
      clearTimeout(t);
      resolve(m);
    });
    sock.send(packet, udp, '127.0.0.1');
  });
}

it('UDP connect, announce and scrape (BEP 15); bad connection ids get no reply', async () => {
  const sock = dgram.createSocket('udp4');
  try {
    const c = Buffer.alloc(16);
    c.writeBigUInt64BE(0x41727101980n, 0);
    c.writeUInt32BE(0, 8);
    c.writeUInt32BE(77, 12);
    const cr = await udpCall(sock, c);
    expect([cr.readUInt32BE(0), cr.readUInt32BE(4)]).toEqual([0, 77]);
    const conn = cr.subarray(8, 16);
    const ih = Buffer.from(randomId());
    const announce = (port: number, left: bigint, tx: number, id = conn): Buffer => {
      const b = Buffer.alloc(98);
      id.copy(b, 0);
      b.writeUInt32BE(1, 8);
      b.writeUInt32BE(tx, 12);
      ih.copy(b, 16);
      Buffer.from(randomId()).copy(b, 36);
      b.writeBigUInt64BE(left, 64);
      b.writeUInt32BE(2, 80);
      b.writeInt32BE(-1, 92);
      b.writeUInt16BE(port, 96);
      return b;
    };
    const a1 = await udpCall(sock, announce(7001, 5n, 1));
    expect(a1.length).toBe(20);
    const a2 = await udpCall(sock, announce(7002, 0n, 2));
    expect([a2.readUInt32BE(0), a2.readUInt32BE(4), a2.readUInt32BE(8), a2.readUInt32BE(12), a2.readUInt32BE(16)]).toEqual([1, 2, 900, 1, 1]);
    expect(a2.length).toBe(26);
    expect([...a2.subarray(20, 24)]).toEqual([127, 0, 0, 1]);
    expect(a2.readUInt16BE(24)).toBe(7001);
    const s = Buffer.alloc(36);
    conn.copy(s, 0);
    s.writeUInt32BE(2, 8);
    s.writeUInt32BE(3, 12);
    ih.copy(s, 16);
    const sr = await udpCall(sock, s);
    expect([sr.readUInt32BE(8), sr.readUInt32BE(12), sr.readUInt32BE(16)]).toEqual([1, 0, 1]);
    await expect(udpCall(sock, announce(7003, 0n, 4, Buffer.alloc(8)))).rejects.toThrow(/no udp reply/);
  } finally {
    await new Promise<void>((r) => sock.close(() => r()));
  }
});
