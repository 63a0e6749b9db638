import { describe, expect, it } from 'vitest';
import { isDhtPacket, isUtpPacket, UdpDemux } from '../../../src/net/udp-demux.js';
import type { PeerAddress } from '../../../src/interfaces/transport.js';
import { UdpTrackerClient } from '../../../src/tracker/udp.js';
import { createUdpFactory } from '../../../transports/udp/index.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
function utp(type: number, len = 20): Uint8Array {
  const b = new Uint8Array(len);
  b[0] = (type << 4) | 1;
  return b;
}

describe('classifiers', () => {
  it('recognise DHT and uTP packets and nothing else', () => {
    expect(isDhtPacket(enc('d1:ad2:id20:aaaaaaaaaaaaaaaaaaaae1:q4:ping1:t2:aa1:y1:qe'))).toBe(true);
    expect(isDhtPacket(enc('l1:ae'))).toBe(false);
    expect(isDhtPacket(enc('d'))).toBe(false);
    for (let t = 0; t <= 4; t++) expect(isUtpPacket(utp(t))).toBe(true);
    expect(isUtpPacket(utp(5))).toBe(false);
    expect(isUtpPacket(utp(1, 19))).toBe(false);
    const v2 = utp(0);
    v2[0] = 0x02;
    expect(isUtpPacket(v2)).toBe(false);
    const tracker = Uint8Array.from([0, 0, 0, 1, 1, 2, 3, 4, ...new Array<number>(16).fill(0)]);
    expect(isUtpPacket(tracker) || isDhtPacket(tracker)).toBe(false);
  });
});

describe('UdpDemux on a real socket', () => {
  it('routes DHT, uTP and UDP-tracker replies sharing one port; drops and counts the rest', async () => {
    const factory = createUdpFactory();
    const demux = new UdpDemux(await factory.bind({ host: '127.0.0.1' }));
    const peer = await factory.bind({ host: '127.0.0.1' });
    peer.setSink({ message: () => undefined, close: () => undefined });
    const seen: string[] = [];
    let delivered = 0;
    let wake: () => void = () => undefined;
    const sink = (name: string) => ({
      message: (d: Uint8Array, from: PeerAddress) => {
        seen.push(`${name}:${d.length}:${from.port === peer.address.port}`);
        delivered++;
        wake();
      },
    });
    const client = new UdpTrackerClient(demux);
    demux.register('dht', isDhtPacket, sink('dht'));
    const offUtp = demux.register('utp', isUtpPacket, sink('utp'));
    demux.register('boom', (d) => d[0] === 0x99 && (() => { throw new Error('classifier bug'); })(), sink('boom'));
    expect(() => demux.register('dht', isDhtPacket, sink('dht'))).toThrow();

    const send = (b: Uint8Array): Promise<void> => peer.send(b, demux.address);
    const settle = async (n: number): Promise<void> => {
      const deadline = Date.now() + 2000;
      while (delivered + demux.stats.dropped + demux.stats.errors < n && Date.now() < deadline) {
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 20);
        });
      }
    };
    await send(enc('d1:y1:qe'));
    await send(utp(4, 20));
    await send(Uint8Array.from([0, 0, 0, 1, 0, 0, 0, 7, 0, 0, 0, 0])); // tracker reply with an unknown txid
    await send(Uint8Array.of(0x99, 1, 2));
    await send(Uint8Array.of(1, 2, 3));
    await settle(6);
    expect(seen).toEqual(['dht:8:true', 'utp:20:true']);
    expect(demux.stats).toMatchObject({ dropped: 3, errors: 1, delivered: { dht: 1, utp: 1, 'udp-tracker': 0 } });

    offUtp();
    await send(utp(1, 30));
    await settle(7);
    expect(demux.stats.dropped).toBe(4); // the 0x99 packet: classifier error counted, then unclaimed

    client.close();
    await Promise.all([demux.close(), peer.close()]);
  });
});
