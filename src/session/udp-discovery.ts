/**
 * The UDP-only half of session discovery: the shared-socket demux (src/net/udp-demux.ts), the UDP tracker
 * client (BEP 15) and the DHT node (BEP 5). It lives apart from src/session/discovery.ts so that the core
 * session does not import it statically: browsers have no UDP, and these modules are a quarter of what the
 * browser bundle would otherwise carry. entry/node.ts passes `withUdpDiscovery(createUdpFactory())` as the
 * session's `datagram` option; a core session given a bare DatagramFactory loads this module on first bind
 * (a dynamic import, so app bundlers split it off and the browser bundle replaces it: vite.lib.config.ts).
 */
import type { DatagramFactory, DatagramSocket } from '../interfaces/datagram.js';
import { UdpDemux } from '../net/udp-demux.js';
import { DhtNode } from '../dht/node.js';
import { dhtSocketFromDemux } from '../dht/demux-socket.js';
import { UdpTrackerClient } from '../tracker/udp.js';
import type { UdpDiscovery, UdpServices, UdpServicesOptions } from './discovery.js';

/** The UDP services over one bound socket: demultiplexed between the UDP tracker client and the DHT. */
function udpServices(sock: DatagramSocket, opts: UdpServicesOptions): UdpServices {
  const demux = new UdpDemux(sock);
  const tracker = new UdpTrackerClient(demux, opts.tracker);
  return {
    address: demux.address,
    tracker,
    createDht: (o) => new DhtNode(dhtSocketFromDemux(demux), o),
    close: async () => {
      tracker.close();
      await demux.close();
    },
  };
}

/**
 * `factory` (e.g. transports/udp `createUdpFactory()`) as the session's `datagram` option with the DHT and
 * UDP tracker client included (returned as is when it already is a {@link UdpDiscovery}).
 */
export function withUdpDiscovery(factory: DatagramFactory): UdpDiscovery {
  if (typeof (factory as Partial<UdpDiscovery>).services === 'function') return factory as UdpDiscovery;
  return { bind: (o) => factory.bind(o), services: udpServices };
}
