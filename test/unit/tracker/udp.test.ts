import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTorrentError } from '../../../src/errors.js';
import { UdpDemux } from '../../../src/net/udp-demux.js';
import { UdpTrackerClient } from '../../../src/tracker/udp.js';
import type { AnnounceRequest } from '../../../src/tracker/types.js';
import { createUdpFactory } from '../../../transports/udp/index.js';
import { startScriptedUdpTracker, u32 } from './scripted-udp-tracker.js';
import type { ScriptedUdpTracker } from './scripted-udp-tracker.js';

const infoHash = Uint8Array.from({ length: 20 }, (_, i) => i + 1);
const peerId = Uint8Array.from({ length: 20 }, (_, i) => 0x41 + i);
const req: AnnounceRequest = { infoHash, peerId, port: 6881, uploaded: 10, downloaded: 20, left: 30, key: 0x01020304, event: 'started', numWant: 25 };
const udpSockets = (): number => process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap' || r === 'UDPWRAP').length;

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (isTorrentError(err)) return err.code;
    throw err;
  }
  return 'resolved';
}

describe('UDP tracker client (BEP 15) against a scripted tracker', () => {
  let tracker: ScriptedUdpTracker;
  let demux: UdpDemux;
  let client: UdpTrackerClient;
  let now = 1_000_000;
  const baseline = udpSockets();

  beforeEach(async () => {
    tracker = await startScriptedUdpTracker();
    demux = new UdpDemux(await createUdpFactory().bind({ host: '127.0.0.1' }));
    client = new UdpTrackerClient(demux, { retransmitBaseMs: 40, maxRetransmits: 2, now: () => now });
  });
  afterEach(async () => {
    client.close();
    await demux.close();
    await tracker.close();
    expect(client.pendingCount).toBe(0);
    expect(udpSockets()).toBe(baseline);
  });
  const url = (): string => `udp://127.0.0.1:${tracker.port}/announce?passkey=abc`;

  it('connects, announces with the exact packet layout and BEP 41 URL data, and parses peers', async () => {
    tracker.peers = Buffer.from([9, 9, 9, 9, 0x1a, 0xe1, 0, 0, 0, 0, 1, 1, 239, 1, 1, 1, 1, 1, 8, 8, 8, 8, 0, 0, 7]);
    const res = await client.announce(url(), req);
    expect(res).toMatchObject({ interval: 1800, incomplete: 7, complete: 5, peers: [{ host: '9.9.9.9', port: 6881 }], droppedPeers: 4 });
    const [connect, announce] = tracker.seen;
    expect(connect?.action).toBe(0);
    expect(connect?.data.length).toBe(16);
    const a = announce!.data;
    expect(a.subarray(16, 36)).toEqual(Buffer.from(infoHash));
    expect(a.subarray(36, 56)).toEqual(Buffer.from(peerId));
    expect([a.readBigUInt64BE(56), a.readBigUInt64BE(64), a.readBigUInt64BE(72)]).toEqual([20n, 30n, 10n]);
    expect([a.readUInt32BE(80), a.readUInt32BE(84), a.readUInt32BE(88), a.readInt32BE(92), a.readUInt16BE(96)]).toEqual([2, 0, 0x01020304, 25, 6881]);
    const path = '/announce?passkey=abc';
    expect(a.subarray(98)).toEqual(Buffer.concat([Buffer.from([2, path.length]), Buffer.from(path), Buffer.from([0])]));
  });

  it('splits long URL data into 255-byte options', async () => {
    const long = `udp://127.0.0.1:${tracker.port}/${'x'.repeat(300)}`;
    await client.announce(long, req);
    const opts = tracker.seen[1]!.data.subarray(98);
    expect([opts[0], opts[1], opts[257], opts[258], opts.at(-1)]).toEqual([2, 255, 2, 46, 0]);
    expect(opts.length).toBe(2 + 255 + 2 + 46 + 1);
  });

  it('caches the connection id for a minute', async () => {
    await client.announce(url(), req);
    await client.announce(url(), { ...req, event: undefined });
    expect(tracker.seen.map((p) => p.action)).toEqual([0, 1, 1]);
    expect(tracker.seen[2]!.data.readUInt32BE(80)).toBe(0);
    now += 60_001;
    await client.scrape(url(), [infoHash]);
    expect(tracker.seen.map((p) => p.action)).toEqual([0, 1, 1, 0, 2]);
  });

  it('scrapes several torrents', async () => {
    const other = Uint8Array.from({ length: 20 }, () => 0xaa);
    const res = await client.scrape(url(), [infoHash, other]);
    expect(res.files.get(Buffer.from(infoHash).toString('hex'))).toEqual({ complete: 10, downloaded: 20, incomplete: 30 });
    expect(res.files.get(Buffer.from(other).toString('hex'))).toEqual({ complete: 11, downloaded: 21, incomplete: 31 });
  });

  it('ignores replies with a wrong transaction id and short packets (case 24)', async () => {
    tracker.script = (seen, reply) => {
      const wrong = Buffer.from(reply);
      wrong.writeUInt32BE((seen.txid + 1) >>> 0, 4);
      return [wrong, reply.subarray(0, 6), reply.subarray(0, seen.action === 1 ? 12 : 10), reply];
    };
    const res = await client.announce(url(), req);
    expect(res.peers).toEqual([{ host: '1.2.3.4', port: 6881 }]);
    expect(tracker.seen.map((p) => p.action)).toEqual([0, 1]); // no retransmission was needed
    expect(demux.stats.dropped).toBe(4); // wrong ids and the 6-byte packets were never claimed
  });

  it('reports the error action as tracker_error', async () => {
    tracker.script = (seen, reply) => (seen.action === 1 ? [Buffer.concat([u32(3), u32(seen.txid), Buffer.from('torrent not registered')])] : [reply]);
    await expect(client.announce(url(), req)).rejects.toMatchObject({ code: 'tracker_error', details: { failureReason: 'torrent not registered' } });
  });

  it('retransmits on the 2^n schedule and gives up after maxRetransmits', async () => {
    tracker.script = () => [];
    const t0 = Date.now();
    expect(await codeOf(client.announce(url(), req))).toBe('timeout');
    const elapsed = Date.now() - t0;
    expect(tracker.seen.map((p) => p.action)).toEqual([0, 0, 0]);
    const times = tracker.seen.map((p) => p.data); // three connects, 40 + 80 + 160 ms
    expect(times).toHaveLength(3);
    expect(elapsed).toBeGreaterThanOrEqual(270);
    expect(elapsed).toBeLessThan(3000);
  });

  it('recovers when the first requests are lost', async () => {
    let dropped = 0;
    tracker.script = (seen, reply) => (seen.action === 1 && dropped++ < 1 ? [] : [reply]);
    const res = await client.announce(url(), req);
    expect(res.peers).toHaveLength(1);
    const announces = tracker.seen.filter((p) => p.action === 1);
    expect(announces).toHaveLength(2);
    expect(announces[0]!.txid).toBe(announces[1]!.txid);
  });

  it('aborts on signal and on close', async () => {
    tracker.script = () => [];
    const ctl = new AbortController();
    const p = client.announce(url(), req, { signal: ctl.signal });
    setTimeout(() => ctl.abort(), 10);
    expect(await codeOf(p)).toBe('aborted');
    const q = client.announce(url(), req);
    setTimeout(() => client.close(), 10);
    expect(await codeOf(q)).toBe('aborted');
    expect(await codeOf(client.announce(url(), req))).toBe('aborted');
  });

  it('rejects malformed URLs', async () => {
    expect(await codeOf(client.announce('udp://127.0.0.1/announce', req))).toBe('invalid_argument');
    expect(client.canHandle('udp://x:1')).toBe(true);
    expect(client.canHandle('http://x/announce')).toBe(false);
  });
});

describe('UDP tracker over IPv6', () => {
  it('parses 18-byte peers when the tracker answers over IPv6', async (ctx) => {
    let tracker: ScriptedUdpTracker;
    try {
      tracker = await startScriptedUdpTracker('::1');
    } catch {
      ctx.skip();
      return;
    }
    const demux = new UdpDemux(await createUdpFactory().bind({ host: '::1' }));
    const client = new UdpTrackerClient(demux, { retransmitBaseMs: 200, maxRetransmits: 1 });
    try {
      const p = Buffer.alloc(36);
      p[0] = 0x24; p[1] = 0x02; p[15] = 5; p.writeUInt16BE(6881, 16);
      p[18] = 0xff; p[19] = 0x02; p.writeUInt16BE(6881, 34); // multicast: dropped
      tracker.peers = p;
      const res = await client.announce(`udp://[::1]:${tracker.port}/announce`, req);
      expect(res.peers).toEqual([{ host: '2402::5', port: 6881 }]);
      expect(res.droppedPeers).toBe(1);
    } finally {
      client.close();
      await demux.close();
      await tracker.close();
    }
  });
});
