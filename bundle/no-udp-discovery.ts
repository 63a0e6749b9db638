/**
 * What src/session/udp-discovery.ts resolves to in the browser bundle (vite.lib.config.ts): browsers have
 * no UDP socket, so the DHT, the UDP tracker client and the demux are left out. A session is only led here
 * by a bare DatagramFactory in its `datagram` option, which no browser can supply; the session then posts
 * listen_failed for UDP and runs without it.
 */
import { TorrentError } from '../src/errors.js';
import type { DatagramFactory } from '../src/interfaces/datagram.js';
import type { UdpDiscovery } from '../src/session/discovery.js';

/** Always throws `not_supported`: the browser bundle has no DHT or UDP tracker client. */
export function withUdpDiscovery(_factory: DatagramFactory): UdpDiscovery {
  throw new TorrentError('not_supported', 'the browser bundle has no DHT or UDP tracker client (no UDP in browsers)');
}
