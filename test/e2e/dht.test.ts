/**
 * A DHT of 51 of our nodes over real UDP on 127.0.0.1 (J's transports/udp), each on its own port,
 * bootstrapping from one seed node. One node announces an info-hash, another finds it.
 *
 * Loopback settings (all nodes share one IP, like libtorrent's loopback tests): BEP 42 enforcement
 * off (local addresses are exempt anyway), one-entry-per-IP off for routing and searches
 * (dht_restrict_routing_ips / dht_restrict_search_ips = false), the per-IP query limit raised from
 * 5/s to 2000/s and the outgoing cap from 8 kB/s to 64 kB/s (51 nodes behind one IP).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createUdpFactory } from '../../transports/udp/index.js';
import { DhtNode } from '../../src/dht/node.js';
import type { DhtEvent } from '../../src/dht/settings.js';
import type { DatagramSocket } from '../../src/interfaces/datagram.js';
import type { PeerAddress } from '../../src/interfaces/transport.js';
import { randomBytes } from '../../src/dht/node-id.js';

const loopback = {
  enforceNodeId: false,
  restrictRoutingIps: false,
  restrictSearchIps: false,
  blockRateLimit: 2000,
  uploadRateLimit: 64_000,
};

describe('DHT e2e: 51 nodes on 127.0.0.1 over UDP', () => {
  const sockets: DatagramSocket[] = [];
  const nodes: DhtNode[] = [];

  afterAll(async () => {
    for (const n of nodes) await n.close();
    for (const s of sockets) await s.close();
  });

  it('bootstraps from a seed, announces from one node and finds the peer from another', async () => {
    const factory = createUdpFactory();
    const bind = async () => {
      const s = await factory.bind({ host: '127.0.0.1', port: 0 });
      sockets.push(s);
      return s;
    };
    const seed = new DhtNode(await bind(), { settings: loopback });
    nodes.push(seed);
    await seed.start();
    const bootstrapNodes = [`127.0.0.1:${seed.address.port}`];
    const bootEvents: DhtEvent[] = [];
    const t0 = Date.now();
    // start in batches of 10 so each batch bootstraps concurrently
    for (let batch = 0; batch < 5; batch++) {
      const starting: Promise<void>[] = [];
      for (let i = 0; i < 10; i++) {
        const n = new DhtNode(await bind(), { settings: { ...loopback, bootstrapNodes }, onEvent: (e) => e.type === 'dht_bootstrap' && bootEvents.push(e) });
        nodes.push(n);
        starting.push(n.start());
      }
      await Promise.all(starting);
    }
    expect(bootEvents).toHaveLength(50);
    const bootMs = Date.now() - t0;
    expect(bootMs).toBeLessThan(20_000);
    const sizes = nodes.map((n) => n.stats().nodes);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(8);

    // five announcer → finder pairs, each with its own info-hash
    for (const [ai, fi, port] of [[17, 42, 51413], [3, 30, 51414], [49, 1, 51415], [25, 26, 51416], [8, 50, 51417]] as const) {
      const infoHash = randomBytes(20);
      const announcer = nodes[ai] as DhtNode;
      const finder = nodes[fi] as DhtNode;
      const t1 = Date.now();
      const ann = await announcer.announce(infoHash, { port });
      expect(ann.announcedTo).toBeGreaterThanOrEqual(3);
      const found: PeerAddress[] = [];
      const res = await finder.getPeers(infoHash, (batch) => found.push(...batch));
      expect(found).toContainEqual({ host: '127.0.0.1', port });
      expect(res.peers).toEqual(found);
      expect(Date.now() - t1).toBeLessThan(10_000);
    }

    // the peers are stored on the nodes closest to the info-hash
    const storing = nodes.filter((n) => n.stats().peersStored > 0).length;
    expect(storing).toBeGreaterThanOrEqual(3);

    for (const n of nodes) await n.close();
    for (const n of nodes) {
      expect(n.pendingTimers).toBe(0);
      expect(n.stats().outstanding).toBe(0);
    }
  }, 60_000);
});

describe('DHT e2e: two nodes that only know each other', () => {
  it('finds a peer that was announced to the asking node itself', async () => {
    const factory = createUdpFactory();
    const sa = await factory.bind({ host: '127.0.0.1', port: 0 });
    const sb = await factory.bind({ host: '127.0.0.1', port: 0 });
    const seed = new DhtNode(sa, { settings: loopback });
    const leech = new DhtNode(sb, { settings: { ...loopback, bootstrapNodes: [`127.0.0.1:${sa.address.port}`] } });
    try {
      await seed.start();
      await leech.start();
      const infoHash = randomBytes(20);
      // The seed's only contact is the leech, so the announce is stored there; the leech's own lookup
      // queries only the seed, which has nothing: the answer must come from the leech's own store.
      const ann = await seed.announce(infoHash, { port: 6881 });
      expect(ann.announcedTo).toBe(1);
      const res = await leech.getPeers(infoHash);
      expect(res.peers).toContainEqual({ host: '127.0.0.1', port: 6881 });
    } finally {
      await leech.close();
      await seed.close();
      await sb.close();
      await sa.close();
    }
  });
});
