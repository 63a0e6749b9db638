// libtorrent sizes its selective-ACK bitmask to its reorder buffer, (span + 7) / 8 bytes, not to BEP 29's
// multiple of 4. We used to refuse such packets as malformed, which dropped the cumulative ACK they carry:
// after two losses in one window every ACK from a libtorrent receiver was thrown away, the sender resent
// the same packet with a doubling RTO and the connection died ("a uTP-only libtorrent leech stalls at
// ~89%" in test/interop/utp.test.ts). Here the in-memory double loses two DATA packets and rewrites every
// selective ACK the receiver sends into libtorrent's shape; the transfer must complete.
import { afterEach, describe, expect, it } from 'vitest';
import { UdpDemux } from '../../../src/net/udp-demux.js';
import type { PeerStream } from '../../../src/interfaces/transport.js';
import { createUtpTransport } from '../../../transports/utp/index.js';
import type { UtpTransport } from '../../../transports/utp/index.js';
import { ST_DATA, ST_STATE, decodePacket, encodePacket } from '../../../transports/utp/packet.js';
import { MemoryDatagramNetwork } from '../../helpers/memory-datagram.js';
import { Pattern, Probe, waitFor } from '../../suites/transport.suite.js';

const transports: UtpTransport[] = [];
afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
});

/** The bitmask trimmed to the bytes that hold its last set bit, as libtorrent writes it. */
function libtorrentSack(sack: Uint8Array): Uint8Array {
  let end = sack.length;
  while (end > 1 && sack[end - 1] === 0) end--;
  return sack.slice(0, end);
}

describe('uTP selective ACKs shaped like libtorrent', () => {
  it('decodes a 9-byte (not word-sized) selective ACK and its bits', () => {
    const sack = new Uint8Array(9);
    sack[0] = 0b101;
    sack[8] = 0x80;
    const p = decodePacket(encodePacket({ type: ST_STATE, connectionId: 7, timestamp: 1, timestampDiff: 2, wndSize: 3, seqNr: 10, ackNr: 20, sack }));
    expect(p).toBeDefined();
    expect(Array.from(p?.sack ?? [])).toEqual(Array.from(sack));
    // 255 bytes is the most the u8 length field can say; libtorrent caps its mask only by the MTU.
    const wide = decodePacket(encodePacket({ type: ST_STATE, connectionId: 7, timestamp: 1, timestampDiff: 2, wndSize: 3, seqNr: 10, ackNr: 20, sack: new Uint8Array(255).fill(1) }));
    expect(wide?.sack?.length).toBe(255);
  });

  it('recovers from two losses in one window when every ACK carries a libtorrent-sized selective ACK', async () => {
    const net = new MemoryDatagramNetwork();
    // Few allowed timeouts: without the fix every ACK after the losses is dropped and the sender resends the
    // same packet with a doubling RTO (1 s, 2 s, 4 s, ...) until it gives up; the 15 s wait below fails first.
    const opts = { minRtoMs: 100, maxTimeouts: 3 };
    const a = createUtpTransport({ ...opts, demux: new UdpDemux(await net.bind({ host: '10.0.0.1' })) });
    const b = createUtpTransport({ ...opts, demux: new UdpDemux(await net.bind({ host: '10.0.0.2' })) });
    transports.push(a, b);
    let inn: PeerStream | undefined;
    await b.listen((s) => { inn = s; });
    const out = await a.dial({ host: '10.0.0.2', port: b.address.port }, { signal: new AbortController().signal });
    expect(await waitFor(() => inn !== undefined)).toBe(true);

    const rewritten = new WeakSet<Uint8Array>();
    const dataSeen = new Set<number>();
    const dropped: number[] = [];
    let oddSacks = 0;
    net.drop = (d) => {
      if (rewritten.has(d.data)) return false;
      const p = decodePacket(d.data);
      if (p === undefined) return false;
      if (d.from.host === '10.0.0.1' && p.type === ST_DATA && !dataSeen.has(p.seqNr)) {
        dataSeen.add(p.seqNr);
        // The 3rd and 8th DATA packets are lost on their first transmission: two holes in one window.
        if (dataSeen.size === 3 || dataSeen.size === 8) {
          dropped.push(p.seqNr);
          return true;
        }
      }
      if (d.from.host === '10.0.0.2' && p.type === ST_STATE && p.sack !== undefined) {
        const sack = libtorrentSack(p.sack);
        if (sack.length % 4 !== 0) oddSacks++;
        const copy = encodePacket({ ...p, sack });
        rewritten.add(copy);
        queueMicrotask(() => net.inject(copy, d.from, d.to));
        return true;
      }
      return false;
    };

    const sink = new Probe(true);
    const src = new Probe();
    (inn as PeerStream).setSink(sink);
    out.setSink(src);
    const send = new Pattern(3);
    const total = 40 * 1400; // 40 full packets: both holes sit well inside the first window
    out.write(send.next(total));
    const done = await waitFor(() => sink.received === total || src.closeCount > 0, 15_000);
    expect(done).toBe(true);
    expect(src.closeErr).toBeUndefined();
    expect(sink.received).toBe(total);
    const check = new Pattern(3);
    check.check(sink.bytes());
    expect(check.mismatch).toBe(-1);
    expect(dropped).toHaveLength(2);
    expect(oddSacks).toBeGreaterThan(0);
    net.drop = undefined;
    await out.close();
    expect(await src.closed).toBeUndefined();
  }, 30_000);
});
