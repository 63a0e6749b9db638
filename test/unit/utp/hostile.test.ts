// HOSTILE-INPUTS 27 for uTP: spoofed SYNs get at most one reply no larger than the request and allocate
// only capped, buffer-less half-open records; RESETs with a wrong ack number are ignored; malformed
// datagrams are counted and ignored without a reply.
import { afterEach, describe, expect, it } from 'vitest';
import { UdpDemux } from '../../../src/net/udp-demux.js';
import type { PeerAddress, PeerStream } from '../../../src/interfaces/transport.js';
import { ST_RESET, ST_STATE, ST_SYN, createUtpTransport, decodePacket, encodePacket, seqAdd } from '../../../transports/utp/index.js';
import type { UtpTransport } from '../../../transports/utp/index.js';
import { isTorrentError } from '../../../src/errors.js';
import { MemoryDatagramNetwork } from '../../helpers/memory-datagram.js';
import { Probe, waitFor } from '../../suites/transport.suite.js';

const transports: UtpTransport[] = [];
afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
});

async function utpOn(net: MemoryDatagramNetwork, host: string, opts: Parameters<typeof createUtpTransport>[0] = {}): Promise<UtpTransport> {
  const t = createUtpTransport({ ...opts, demux: new UdpDemux(await net.bind({ host })) });
  transports.push(t);
  return t;
}

const syn = (connectionId: number, seqNr: number): Uint8Array =>
  encodePacket({ type: ST_SYN, connectionId, timestamp: 1, timestampDiff: 0, wndSize: 65536, seqNr, ackNr: 0 });
const flush = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

describe('uTP hostile inputs (HOSTILE-INPUTS 27)', () => {
  it('answers a spoofed SYN with one STATE no larger than the request, and accepts nothing', async () => {
    const net = new MemoryDatagramNetwork();
    const b = await utpOn(net, '10.0.0.2');
    const accepted: PeerStream[] = [];
    await b.listen((s) => accepted.push(s));
    const victim: PeerAddress = { host: '192.0.2.7', port: 6881 };
    const request = syn(1000, 1);
    net.inject(request, victim, b.address);
    net.inject(request, victim, b.address); // a retransmitted SYN: again one reply
    await flush();
    const replies = net.sent.filter((d) => d.to.host === victim.host);
    expect(replies.length).toBe(2);
    for (const r of replies) {
      expect(r.data.length).toBeLessThanOrEqual(request.length);
      const p = decodePacket(r.data);
      expect(p?.type).toBe(ST_STATE);
      expect(p?.ackNr).toBe(1);
      expect(p?.connectionId).toBe(1000);
    }
    expect(accepted).toHaveLength(0);
    expect(b.connectionCount).toBe(1); // one half-open record, no stream
  });

  it('caps half-open state per source IP and in total under a SYN flood', async () => {
    const net = new MemoryDatagramNetwork();
    const b = await utpOn(net, '10.0.0.2', { maxHalfOpen: 50, maxHalfOpenPerIp: 5 });
    await b.listen(() => undefined);
    let requestBytes = 0;
    for (let i = 0; i < 2000; i++) {
      const data = syn(i, i);
      requestBytes += data.length;
      net.inject(data, { host: `198.51.100.${i % 40}`, port: 1000 + i }, b.address);
    }
    await flush();
    expect(b.connectionCount).toBe(50);
    const replies = net.sent.filter((d) => d.from.host === '10.0.0.2');
    expect(replies.length).toBeLessThanOrEqual(2000); // at most one reply per SYN ...
    expect(replies.reduce((n, d) => n + d.data.length, 0)).toBeLessThanOrEqual(requestBytes); // ... never larger
    expect(b.stats.refusedSyns).toBe(2000 - 50);
    const perIp = new Map<string, number>();
    for (const d of replies) if (decodePacket(d.data)?.type === ST_STATE) perIp.set(d.to.host, (perIp.get(d.to.host) ?? 0) + 1);
    for (const n of perIp.values()) expect(n).toBeLessThanOrEqual(5);
  });

  it('ignores a RESET with a wrong ack number; honours one that acks our packet', async () => {
    const net = new MemoryDatagramNetwork();
    const a = await utpOn(net, '10.0.0.1');
    const b = await utpOn(net, '10.0.0.2');
    let inn: PeerStream | undefined;
    await b.listen((s) => { inn = s; });
    const out = await a.dial({ host: '10.0.0.2', port: b.address.port }, { signal: new AbortController().signal });
    expect(await waitFor(() => inn !== undefined)).toBe(true);
    const po = new Probe();
    const pi = new Probe();
    out.setSink(po);
    (inn as PeerStream).setSink(pi);
    out.write(new Uint8Array(10));
    expect(await waitFor(() => pi.received === 10)).toBe(true);
    // What a's packets look like: their seq numbers; b's packets to a carry a's receive id.
    const toA = net.sent.filter((d) => d.to.port === a.address.port).map((d) => decodePacket(d.data)).filter((p) => p !== undefined);
    const fromA = net.sent.filter((d) => d.from.port === a.address.port).map((d) => decodePacket(d.data)).filter((p) => p !== undefined);
    const recvId = toA.at(-1)?.connectionId as number;
    const lastSeq = fromA.filter((p) => p.type !== ST_STATE).at(-1)?.seqNr as number;
    const reset = (ackNr: number): Uint8Array => encodePacket({ type: ST_RESET, connectionId: recvId, timestamp: 0, timestampDiff: 0, wndSize: 0, seqNr: 5, ackNr });
    net.inject(reset(seqAdd(lastSeq, 5000)), { host: '10.0.0.2', port: b.address.port }, a.address);
    net.inject(reset(seqAdd(lastSeq, -3000)), { host: '10.0.0.2', port: b.address.port }, a.address);
    net.inject(reset(lastSeq), { host: '10.0.0.66', port: b.address.port }, a.address); // right ack, wrong source
    await flush();
    expect(po.closeCount).toBe(0);
    out.write(new Uint8Array(5));
    expect(await waitFor(() => pi.received === 15)).toBe(true);
    net.inject(reset(lastSeq), { host: '10.0.0.2', port: b.address.port }, a.address);
    const err = await po.closed;
    expect(isTorrentError(err, 'connection_failed')).toBe(true);
  });

  it('counts and ignores malformed datagrams without replying', async () => {
    const net = new MemoryDatagramNetwork();
    const b = await utpOn(net, '10.0.0.2');
    await b.listen(() => undefined);
    const good = syn(7, 1);
    const badExt = good.slice(); badExt[1] = 1; // claims a selective ACK that is not there
    const withPayload = new Uint8Array(30); withPayload.set(good); // payload on a SYN
    const from = { host: '10.0.0.9', port: 9 };
    net.inject(badExt, from, b.address);
    net.inject(withPayload, from, b.address);
    await flush();
    expect(b.stats.malformed).toBe(2);
    expect(net.sent.filter((d) => d.to.host === from.host)).toHaveLength(0);
    expect(b.connectionCount).toBe(0);
  });
});
