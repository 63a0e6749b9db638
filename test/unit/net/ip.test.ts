import { isIPv4, isIPv6 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compactPeerSize, decodeCompactPeer, decodeCompactPeerList, encodeCompactPeer, readCompactPeer, writeCompactPeer,
} from '../../../src/net/compact.js';
import type { CompactPeerList } from '../../../src/net/compact.js';
import {
  canonicalIP, formatIP, formatIPv4, formatIPv6, isIPv4Mapped, isLocalNetworkIP, isPrivateIP, isReservedIPv4,
  isUnusableIP, isUnusablePeerAddress, parseIP, parseIPv4, parseIPv6, parseIPv6Host, unmapIPv4,
} from '../../../src/net/ip.js';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
/** IPv6 bytes biased towards zero groups, so `::` compression gets exercised. */
const v6Bytes = fc.array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 })
  .map((ws) => Uint8Array.from(ws.flatMap((w) => [w >> 8, w & 0xff])));
/** WHATWG URL serialises IPv6 hosts with the same compression rule (RFC 5952 §4.2.3): an independent oracle. */
const urlFormat = (b: Uint8Array): string => new URL(`http://[${formatIPv6(b)}]/`).hostname.slice(1, -1);
const ip = (s: string): Uint8Array => {
  const b = parseIP(s);
  if (!b) throw new Error(`not an IP: ${s}`);
  return b;
};

describe('IPv4 text', () => {
  it('round-trips every address', () => {
    fc.assert(fc.property(bytes(4), (b) => {
      const s = formatIPv4(b);
      expect(isIPv4(s)).toBe(true);
      expect(parseIPv4(s)).toEqual(b);
    }));
  });
  it('refuses other spellings', () => {
    for (const bad of ['1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.00', '256.0.0.1', '1.2.3.-1', ' 1.2.3.4', '1.2.3.4 ', '1..3.4', '0x1.2.3.4', '', '1.2.3.4.']) {
      expect(parseIPv4(bad), bad).toBeUndefined();
    }
    expect(parseIPv4('0.0.0.0')).toEqual(new Uint8Array(4));
    expect(parseIPv4('255.255.255.255')).toEqual(new Uint8Array(4).fill(255));
  });
  it('agrees with node:net on dotted strings', () => {
    const part = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.constantFrom('00', '01', '007', '', 'a', '1e1'));
    fc.assert(fc.property(fc.array(part, { minLength: 3, maxLength: 5 }), (ps) => {
      const s = ps.join('.');
      expect(parseIPv4(s) !== undefined, s).toBe(isIPv4(s));
    }));
  });
});

describe('IPv6 text', () => {
  it('formats like RFC 5952 / WHATWG URL and round-trips', () => {
    fc.assert(fc.property(v6Bytes, (b) => {
      const s = formatIPv6(b);
      expect(s).toBe(urlFormat(b));
      expect(parseIPv6(s)).toEqual(b);
      expect(parseIPv6Host(`[${s}%eth0]`)).toEqual(b);
    }));
  });
  it('formats at an offset', () => {
    fc.assert(fc.property(bytes(3), v6Bytes, bytes(4), (pre, b, v4) => {
      const buf = Uint8Array.from([...pre, ...b, ...v4]);
      expect(formatIPv6(buf, 3)).toBe(formatIPv6(b));
      expect(formatIPv4(buf, 19)).toBe(formatIPv4(v4));
    }));
  });
  it('accepts the edge spellings', () => {
    const cases: [string, string][] = [
      ['::', '::'], ['::1', '::1'], ['1::', '1::'], ['2001:0DB8:0000::0001', '2001:db8::1'],
      ['1:0:0:2:0:0:0:3', '1:0:0:2::3'], ['1:0:0:2:0:0:3:4', '1::2:0:0:3:4'], ['1:2:3:4:5:6:7:0', '1:2:3:4:5:6:7:0'],
      ['::ffff:1.2.3.4', '::ffff:102:304'], ['::1.2.3.4', '::102:304'], ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
      ['ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
    ];
    for (const [text, norm] of cases) expect(formatIPv6(parseIPv6(text) ?? new Uint8Array(1)), text).toBe(norm);
  });
  it('refuses malformed literals', () => {
    for (const bad of [
      '', ':', ':::', '1:::2', '1::2::3', ':1:2:3:4:5:6:7', '1:2:3:4:5:6:7:', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::8',
      '12345::', 'g::1', '::1.2.3', '::01.2.3.4', '1.2.3.4::', '1:1.2.3.4::', '::1.2.3.4:5', '1:2:3:4:5:6:7:1.2.3.4', '1.2.3.4',
      '[::1]', 'fe80::1%eth0', ' ::1',
    ]) expect(parseIPv6(bad), bad).toBeUndefined();
    expect(parseIPv6Host('[::1')).toBeUndefined();
    expect(parseIPv6Host('[[::1]]')).toBeUndefined();
    expect(parseIPv6Host('[fe80::1%25eth0]')).toEqual(parseIPv6('fe80::1'));
  });
  it('agrees with node:net on generated literals', () => {
    const tok = fc.constantFrom('0', '1', 'ffff', 'FfFf', '12345', 'g', '', '::', ':', '1.2.3.4', '01.2.3.4');
    fc.assert(fc.property(fc.array(tok, { minLength: 1, maxLength: 12 }), (ts) => {
      const s = ts.join(':').replace(/:{3,}/g, '::');
      expect(parseIPv6(s) !== undefined, s).toBe(isIPv6(s));
    }), { numRuns: 2000 });
  });
});

describe('parseIP / canonical forms', () => {
  it('parses both families and keeps mapped addresses 16 bytes unless asked', () => {
    expect(parseIP('10.0.0.1')).toEqual(Uint8Array.of(10, 0, 0, 1));
    expect(parseIP('[2001:db8::1]')?.length).toBe(16);
    expect(parseIP('[1.2.3.4]')).toBeUndefined();
    expect(parseIP('example.com')).toBeUndefined();
    const m = ip('::ffff:10.0.0.1');
    expect(m.length).toBe(16);
    expect(isIPv4Mapped(m)).toBe(true);
    expect(unmapIPv4(m)).toEqual(Uint8Array.of(10, 0, 0, 1));
    expect(isIPv4Mapped(ip('::10.0.0.1'))).toBe(false);
    expect(isIPv4Mapped(ip('1::ffff:10.0.0.1'))).toBe(false);
    const v6 = ip('::1');
    expect(unmapIPv4(v6)).toBe(v6);
    expect(canonicalIP('::FFFF:1.2.3.4')).toBe('::ffff:102:304');
    expect(canonicalIP('::ffff:1.2.3.4', { unmapIPv4: true })).toBe('1.2.3.4');
    expect(canonicalIP('[FE80::0:1%eth0]')).toBe('fe80::1');
    expect(canonicalIP('host.example')).toBeUndefined();
  });
  it('formatIP ∘ parseIP is idempotent on any IP text', () => {
    fc.assert(fc.property(fc.oneof(bytes(4), v6Bytes), (b) => {
      const s = formatIP(b);
      expect(formatIP(ip(s))).toBe(s);
      expect(canonicalIP(s)).toBe(s);
    }));
  });
});

describe('filters', () => {
  it('case 23: unusable addresses', () => {
    for (const s of ['0.0.0.0', '0.1.2.3', '224.0.0.1', '239.255.255.255', '255.255.255.255', '::', 'ff02::1', 'ff00::']) {
      expect(isUnusableIP(ip(s)), s).toBe(true);
    }
    for (const s of ['1.2.3.4', '223.255.255.255', '240.0.0.1', '255.255.255.254', '::1', '2001:db8::1', '::ffff:0.0.0.0']) {
      expect(isUnusableIP(ip(s)), s).toBe(false);
    }
    const buf = Uint8Array.from([9, 224, 0, 0, 1]);
    expect(isUnusableIP(buf, 1, 4)).toBe(true);
    expect(isUnusableIP(buf, 0, 4)).toBe(false);
    expect(isReservedIPv4(ip('240.0.0.1'))).toBe(true);
    expect(isReservedIPv4(ip('239.0.0.1'))).toBe(false);
  });
  it('case 23 on text: port, names and mapped forms', () => {
    expect(isUnusablePeerAddress('1.2.3.4', 6881)).toBe(false);
    expect(isUnusablePeerAddress('[2001:db8::1]', 1)).toBe(false);
    for (const [h, p] of [['1.2.3.4', 0], ['1.2.3.4', 65536], ['1.2.3.4', 1.5], ['1.2.3.4', -1], ['name.example', 80],
      ['::ffff:224.0.0.1', 80], ['::ffff:0.0.0.0', 80], ['0.0.0.0', 80], ['ff02::1', 80]] as const) {
      expect(isUnusablePeerAddress(h, p), `${h}:${p}`).toBe(true);
    }
  });
  it('BEP 42 private set vs the wider local-network set', () => {
    const both = ['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.0.1', '::1', 'fd00::1', 'fe80::1'];
    const wideOnly = ['0.0.0.0', '100.64.0.1', '100.127.255.255', '::', 'fec0::1', '::ffff:10.0.0.1', '::ffff:127.0.0.1'];
    const neither = ['8.8.8.8', '172.15.0.1', '172.32.0.1', '192.169.0.1', '100.63.0.1', '100.128.0.1', '2001:db8::1', '::ffff:8.8.8.8', '::2'];
    for (const s of both) expect([isPrivateIP(ip(s)), isLocalNetworkIP(ip(s))], s).toEqual([true, true]);
    for (const s of wideOnly) expect([isPrivateIP(ip(s)), isLocalNetworkIP(ip(s))], s).toEqual([false, true]);
    for (const s of neither) expect([isPrivateIP(ip(s)), isLocalNetworkIP(ip(s))], s).toEqual([false, false]);
  });
  it('the private set is contained in the local-network set', () => {
    fc.assert(fc.property(fc.oneof(bytes(4), v6Bytes, bytes(16)), (b) => {
      if (isPrivateIP(b)) expect(isLocalNetworkIP(b)).toBe(true);
    }));
  });
});

describe('compact peers', () => {
  it('encodes and decodes 6- and 18-byte entries', () => {
    expect(encodeCompactPeer('1.2.3.4', 0x1ae1)).toEqual(Uint8Array.of(1, 2, 3, 4, 0x1a, 0xe1));
    expect(encodeCompactPeer('name.example', 80)).toBeUndefined();
    expect(decodeCompactPeer(Uint8Array.of(1, 2, 3, 4, 0x1a, 0xe1))).toEqual({ host: '1.2.3.4', port: 6881 });
    expect(decodeCompactPeer(new Uint8Array(7))).toBeUndefined();
    fc.assert(fc.property(fc.oneof(bytes(4), v6Bytes), fc.integer({ min: 0, max: 0xffff }), (b, port) => {
      const host = formatIP(b);
      const c = encodeCompactPeer(host, port);
      expect(c?.length).toBe(compactPeerSize(b.length === 4 ? 4 : 6));
      expect(decodeCompactPeer(c!)).toEqual({ host, port });
      const buf = new Uint8Array(c!.length + 5);
      writeCompactPeer(buf, 5, b, port);
      expect(readCompactPeer(buf, 5, b.length === 4 ? 4 : 6)).toEqual({ host, port });
    }));
  });
  it('parses lists with a filter, a cap across calls and a drop count', () => {
    const v4 = Uint8Array.from([1, 1, 1, 1, 0, 1, /* 0.0.0.0 */ 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 0, 3, /* over the cap */ 3, 3, 3, 3, 0, 4, /* partial */ 9]);
    const out: CompactPeerList = { peers: [], dropped: 0 };
    decodeCompactPeerList(v4, 4, 2, out, (b, off) => isUnusableIP(b, off, 4));
    expect(out).toEqual({ peers: [{ host: '1.1.1.1', port: 1 }, { host: '2.2.2.2', port: 3 }], dropped: 3 });
    const v6 = new Uint8Array(18 * 2);
    v6[15] = 1;
    v6[17] = 80;
    decodeCompactPeerList(v6, 6, 3, out);
    expect(out.peers.slice(2)).toEqual([{ host: '::1', port: 80 }]);
    expect(out.dropped).toBe(4);
  });
  it('never reads past the cap and accounts for every entry', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom<4 | 6>(4, 6), fc.nat(20), (b, fam, max) => {
      const out: CompactPeerList = { peers: [], dropped: 0 };
      decodeCompactPeerList(b, fam, max, out);
      const size = compactPeerSize(fam);
      const whole = Math.floor(b.length / size);
      expect(out.peers.length).toBe(Math.min(whole, max));
      expect(out.peers.length + out.dropped).toBe(whole + (b.length % size ? 1 : 0));
    }));
  });
});
