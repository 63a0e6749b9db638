import { describe, expect, it } from 'vitest';
import { formatIPv6, parseIPv4, parseIPv6 } from '../../../src/net/ip.js';
import { checkPeer, isLocalHost, parseCompactPeers } from '../../../src/tracker/address.js';
import type { PeerListResult } from '../../../src/tracker/address.js';
import { clampInterval } from '../../../src/tracker/types.js';

describe('tracker address helpers', () => {
  it('parses and formats IPv6 like inet_pton / RFC 5952', () => {
    for (const [text, norm] of [['::', '::'], ['::1', '::1'], ['2001:db8::1', '2001:db8::1'], ['2001:0db8:0:0:0:0:0:1', '2001:db8::1'],
      ['fe80::1:0:0:1', 'fe80::1:0:0:1'], ['::ffff:1.2.3.4', '::ffff:102:304'], ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8']]) {
      const b = parseIPv6(text!);
      expect(b, text).toBeDefined();
      expect(formatIPv6(b!)).toBe(norm);
    }
    for (const bad of ['1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'g::1', '1:2:3:4:5:6:7::8', '::1.2.3', '']) expect(parseIPv6(bad), bad).toBeUndefined();
    for (const bad of ['1.2.3', '01.2.3.4', '256.1.1.1', '1.2.3.4.5', ' 1.2.3.4']) expect(parseIPv4(bad), bad).toBeUndefined();
  });

  it('classifies loopback and LAN hosts', () => {
    for (const h of ['127.0.0.1', 'localhost', 'LOCALHOST.', 'x.localhost', '[::1]', '10.1.2.3', '192.168.0.1', '172.31.255.255', '169.254.1.1', 'fd12::1', '[::ffff:10.0.0.1]', '0.0.0.0']) {
      expect(isLocalHost(h), h).toBe(true);
    }
    for (const h of ['8.8.8.8', '172.15.0.1', '192.169.0.1', 'tracker.example', '2001:db8::1', '[::ffff:8.8.8.8]', 'localhost.example']) {
      expect(isLocalHost(h), h).toBe(false);
    }
  });

  it('filters compact peer lists (case 23) and caps them', () => {
    const out: PeerListResult = { peers: [], dropped: 0 };
    const bytes = Uint8Array.from([
      5, 6, 7, 8, 0, 80, // ok
      0, 0, 0, 0, 0, 80, // 0.0.0.0
      0, 1, 2, 3, 0, 80, // 0/8
      230, 1, 1, 1, 0, 80, // multicast
      255, 255, 255, 255, 0, 80, // broadcast
      5, 6, 7, 9, 0, 0, // port 0
      9, 9, 9, 9, 1, 0, // ok, over the cap of 1
      1, 2, // partial
    ]);
    parseCompactPeers(bytes, 4, 1, out);
    expect(out).toEqual({ peers: [{ host: '5.6.7.8', port: 80 }], dropped: 7 });
    expect(checkPeer('1.2.3.4', 65536)).toBeUndefined();
    expect(checkPeer('ff02::1', 80)).toBeUndefined();
    expect(checkPeer('2001:DB8::0:1', 80)).toEqual({ host: '2001:db8::1', port: 80 });
    expect(checkPeer('evil.example', 80)).toBeUndefined();
  });

  it('clamps intervals', () => {
    expect(clampInterval(undefined, 1800)).toBe(1800);
    expect(clampInterval(5, 1800)).toBe(60);
    expect(clampInterval(1e9, 1800)).toBe(3600);
    expect(clampInterval(Number.NaN, 900)).toBe(900);
    expect(clampInterval(100, 1800, { minInterval: 120, maxInterval: 600 })).toBe(120);
  });
});
