import { describe, expect, it } from 'vitest';
import { commonPrefixBits, compareDistance, crc32c, generateNodeId, idHex, randomIdWithPrefix, verifyNodeId } from '../../../src/dht/node-id.js';
import { isLocalIP, isUnusableAddr } from '../../../src/dht/addr.js';
import { formatIP, parseIP } from '../../../src/net/ip.js';

const hexBytes = (h: string) => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));

describe('crc32c', () => {
  it('matches the standard check value', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
  });
});

describe('BEP 42 node ids', () => {
  // The test vectors of BEP 42: IP, rand (last byte), expected first 3 bytes (21 bits significant).
  const vectors: [string, number, string][] = [
    ['124.31.75.21', 1, '5fbfbf'],
    ['21.75.31.124', 86, '5a3ce9'],
    ['65.23.51.170', 22, 'a5d432'],
    ['84.124.73.14', 65, '1b0321'],
    ['43.213.53.83', 90, 'e56f6c'],
  ];
  for (const [ip, rand, prefix] of vectors) {
    it(`generates the BEP 42 prefix for ${ip}`, () => {
      const r = new Uint8Array(20);
      r[19] = rand;
      const id = generateNodeId(ip, r);
      expect(idHex(id.subarray(0, 2))).toBe(prefix.slice(0, 4));
      expect((id[2] ?? 0) & 0xf8).toBe(parseInt(prefix.slice(4), 16) & 0xf8);
      expect(id[19]).toBe(rand);
      expect(verifyNodeId(id, ip)).toBe(true);
    });
  }

  it('accepts the full example ids from the BEP', () => {
    expect(verifyNodeId(hexBytes('5fbfbff10c5d6a4ec8a88e4c6ab4c28b95eee401'), '124.31.75.21')).toBe(true);
    expect(verifyNodeId(hexBytes('5a3ce9c14e7a08645677bbd1cfe7d8f956d53256'), '21.75.31.124')).toBe(true);
    expect(verifyNodeId(hexBytes('5a3ce9c14e7a08645677bbd1cfe7d8f956d53256'), '17.75.31.124')).toBe(true); // masked-out bits do not matter
    expect(verifyNodeId(hexBytes('5a3ce9c14e7a08645677bbd1cfe7d8f956d53256'), '124.31.75.21')).toBe(false);
  });

  it('rejects ids that do not match the IP, exempts local addresses', () => {
    const id = generateNodeId('8.8.8.8');
    expect(verifyNodeId(id, '8.8.8.8')).toBe(true);
    expect(verifyNodeId(id, '9.9.9.9')).toBe(false);
    const bad = id.slice();
    bad[0] = (bad[0] ?? 0) ^ 0x80;
    expect(verifyNodeId(bad, '8.8.8.8')).toBe(false);
    expect(verifyNodeId(bad, '127.0.0.1')).toBe(true);
    expect(verifyNodeId(bad, '192.168.1.9')).toBe(true);
    expect(verifyNodeId(bad.subarray(0, 19), '127.0.0.1')).toBe(false);
  });

  it('generates valid IPv6 ids', () => {
    const id = generateNodeId('2001:db8::1');
    expect(verifyNodeId(id, '2001:db8::1')).toBe(true);
    expect(verifyNodeId(id, '2001:db9::1')).toBe(false);
  });
});

describe('id math', () => {
  it('common prefix and distance', () => {
    const a = new Uint8Array(20);
    const b = new Uint8Array(20);
    expect(commonPrefixBits(a, b)).toBe(160);
    b[2] = 0x10;
    expect(commonPrefixBits(a, b)).toBe(19);
    const c = new Uint8Array(20);
    c[0] = 1;
    expect(compareDistance(a, b, c)).toBeLessThan(0);
  });

  it('randomIdWithPrefix shares exactly the asked number of bits', () => {
    const base = generateNodeId();
    for (const bits of [0, 1, 7, 8, 13, 100, 159]) {
      for (let i = 0; i < 20; i++) expect(commonPrefixBits(randomIdWithPrefix(base, bits), base)).toBe(bits);
    }
  });
});

describe('addresses', () => {
  it('parses and formats IPv4 and IPv6', () => {
    expect(formatIP(parseIP('10.1.2.3') ?? new Uint8Array())).toBe('10.1.2.3');
    expect(formatIP(parseIP('2001:db8:0:0:0:0:0:1') ?? new Uint8Array())).toBe('2001:db8::1');
    expect(formatIP(parseIP('::ffff:1.2.3.4') ?? new Uint8Array())).toBe('::ffff:102:304');
    expect(parseIP('1.2.3')).toBeUndefined();
    expect(parseIP('1.2.3.256')).toBeUndefined();
    expect(parseIP('1::2::3')).toBeUndefined();
  });
  it('filters unusable addresses (case 23)', () => {
    expect(isUnusableAddr('0.0.0.0', 6881)).toBe(true);
    expect(isUnusableAddr('1.2.3.4', 0)).toBe(true);
    expect(isUnusableAddr('224.0.0.1', 6881)).toBe(true);
    expect(isUnusableAddr('255.255.255.255', 6881)).toBe(true);
    expect(isUnusableAddr('ff02::1', 6881)).toBe(true);
    expect(isUnusableAddr('1.2.3.4', 6881)).toBe(false);
    expect(isLocalIP('127.0.0.1')).toBe(true);
    expect(isLocalIP('172.20.0.1')).toBe(true);
    expect(isLocalIP('172.32.0.1')).toBe(false);
  });
});
