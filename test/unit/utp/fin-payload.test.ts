// A FIN may carry the stream's last bytes. We send empty FINs, but a peer's FIN with a payload used to be
// refused as malformed: its bytes were lost and the stream never saw the remote end, so the connection hung
// until its timeout. Here the in-memory double rewrites the dialer's (empty) FIN into one that carries a tail;
// the receiver must deliver data + tail once, in order, then end cleanly, also when the FIN arrives ahead of
// the last DATA packet.
import { afterEach, describe, expect, it } from 'vitest';
import { UdpDemux } from '../../../src/net/udp-demux.js';
import type { PeerStream } from '../../../src/interfaces/transport.js';
import { createUtpTransport } from '../../../transports/utp/index.js';
import type { UtpTransport } from '../../../transports/utp/index.js';
import { ST_DATA, ST_FIN, decodePacket, encodePacket } from '../../../transports/utp/packet.js';
import { MemoryDatagramNetwork } from '../../helpers/memory-datagram.js';
import type { SentDatagram } from '../../helpers/memory-datagram.js';
import { Pattern, Probe, waitFor } from '../../suites/transport.suite.js';

const transports: UtpTransport[] = [];
afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
});

const TAIL = new TextEncoder().encode('the last bytes, carried by the FIN');

async function run(opts: { finAheadOfData: boolean }): Promise<{ sink: Probe; total: number; finsRewritten: number }> {
  const net = new MemoryDatagramNetwork();
  const a = createUtpTransport({ minRtoMs: 100, demux: new UdpDemux(await net.bind({ host: '10.0.0.1' })) });
  const b = createUtpTransport({ minRtoMs: 100, demux: new UdpDemux(await net.bind({ host: '10.0.0.2' })) });
  transports.push(a, b);
  let inn: PeerStream | undefined;
  await b.listen((s) => { inn = s; });
  const out = await a.dial({ host: '10.0.0.2', port: b.address.port }, { signal: new AbortController().signal });
  expect(await waitFor(() => inn !== undefined)).toBe(true);

  const total = 10 * 1000;
  let lastData: SentDatagram | undefined;
  let finsRewritten = 0;
  const rewritten = new WeakSet<Uint8Array>();
  net.drop = (d) => {
    if (rewritten.has(d.data) || d.from.host !== '10.0.0.1') return false;
    const p = decodePacket(d.data);
    if (p === undefined) return false;
    if (opts.finAheadOfData && p.type === ST_DATA && lastData === undefined && p.payload.length > 0) {
      // Hold the first DATA packet back until the FIN has been delivered: the FIN then arrives ahead of it.
      lastData = d;
      return true;
    }
    if (p.type === ST_FIN) {
      finsRewritten++;
      const fin = encodePacket({ ...p, payload: TAIL });
      rewritten.add(fin);
      queueMicrotask(() => {
        net.inject(fin, d.from, d.to);
        if (lastData !== undefined) {
          const held = lastData;
          rewritten.add(held.data);
          setTimeout(() => net.inject(held.data, held.from, held.to), 5);
        }
      });
      return true;
    }
    return false;
  };

  const sink = new Probe(true);
  (inn as PeerStream).setSink(sink);
  out.setSink(new Probe());
  out.write(new Pattern(5).next(total));
  void out.close(); // queues the FIN after the data
  expect(await waitFor(() => sink.closeCount > 0, 10_000)).toBe(true);
  return { sink, total, finsRewritten };
}

function expectDataThenTail(sink: Probe, total: number): void {
  const got = sink.bytes();
  expect(got.length).toBe(total + TAIL.length);
  const check = new Pattern(5);
  check.check(got.subarray(0, total));
  expect(check.mismatch).toBe(-1);
  expect(Array.from(got.subarray(total))).toEqual(Array.from(TAIL));
  expect(sink.closeErr).toBeUndefined();
  expect(sink.dataAfterClose).toBe(false);
}

describe('uTP FIN carrying a payload', () => {
  it('delivers the FIN payload after the data, once, then ends cleanly', async () => {
    const { sink, total, finsRewritten } = await run({ finAheadOfData: false });
    expect(finsRewritten).toBeGreaterThan(0);
    expectDataThenTail(sink, total);
  }, 20_000);

  it('holds a FIN with payload that arrives ahead of earlier data until the gap fills', async () => {
    const { sink, total } = await run({ finAheadOfData: true });
    expectDataThenTail(sink, total);
  }, 20_000);
});
