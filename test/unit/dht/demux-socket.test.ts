import { describe, expect, it } from 'vitest';
import { createUdpFactory } from '../../../transports/udp/index.js';
import { UdpDemux } from '../../../src/net/udp-demux.js';
import { dhtSocketFromDemux } from '../../../src/dht/demux-socket.js';
import { DhtNode } from '../../../src/dht/node.js';

describe('DHT over a shared UDP demux', () => {
  it('answers KRPC on the shared port and leaves other datagrams to other protocols', async () => {
    const udp = createUdpFactory();
    const demux = new UdpDemux(await udp.bind({ host: '127.0.0.1', port: 0 }));
    const other: Uint8Array[] = [];
    demux.register('other', (d) => d[0] === 0x01, { message: (d) => other.push(d.slice()) });
    const a = new DhtNode(dhtSocketFromDemux(demux));
    await a.start();
    const bSock = await udp.bind({ host: '127.0.0.1', port: 0 });
    const b = new DhtNode(bSock);
    await b.start();
    expect(await b.addNode(a.address)).toBe(true);
    expect(b.stats().nodes).toBe(1);
    await bSock.send(Uint8Array.from([1, 2, 3]), demux.address);
    await new Promise((r) => setTimeout(r, 50));
    expect(other).toHaveLength(1);
    expect(a.stats().queriesIn).toBeGreaterThanOrEqual(1);
    await a.close();
    await b.close();
    await bSock.close();
    await demux.close();
  });
});
