import { isIPv4, isIPv6 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTorrentError } from '../../../src/errors.js';
import {
  formatIPv4,
  formatIPv6,
  IPV6_MAX,
  mappedIPv4,
  parseIP,
  parseIPv4,
  parseIPv6,
  toLookupAddress,
} from '../../../src/session/ip-address.js';

function expectInvalid(fn: () => unknown): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(isTorrentError(caught, 'ip_invalid_address'), String(caught)).toBe(true);
}

describe('parseIPv4', () => {
  it('parses dotted quads to uint32', () => {
    expect(parseIPv4('0.0.0.0')).toBe(0);
    expect(parseIPv4('255.255.255.255')).toBe(0xffffffff);
    expect(parseIPv4('1.2.3.4')).toBe(0x01020304);
    expect(parseIPv4('192.168.0.1')).toBe(0xc0a80001);
  });

  it.each(['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.-1', ' 1.2.3.4', '1.2.3.4 ', '1..3.4', '1.2.3.4.', '.1.2.3.4',
    '01.2.3.4', '1.2.3.04', '1.2.3.0x4', '1.2.3.1234', 'a.b.c.d', '1.2.3.4/24', '१.2.3.4'])('rejects %j', (s) => {
    expectInvalid(() => parseIPv4(s));
  });

  it('accepts zero-padded octets only when asked', () => {
    expectInvalid(() => parseIPv4('001.002.003.000'));
    expect(parseIPv4('001.002.003.000', { allowLeadingZeros: true })).toBe(0x01020300);
    expect(parseIPv4('010.0.0.1', { allowLeadingZeros: true })).toBe(0x0a000001); // decimal, never octal
  });

  it('agrees with node:net isIPv4 and round-trips through formatIPv4', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (v) => {
        const s = formatIPv4(v);
        expect(isIPv4(s)).toBe(true);
        expect(parseIPv4(s)).toBe(v);
      }),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 16, unit: fc.constantFrom('0', '1', '2', '5', '9', '.', 'a', ' ', '-') }), (s) => {
        let ok = true;
        try {
          parseIPv4(s);
        } catch {
          ok = false;
        }
        expect(ok).toBe(isIPv4(s));
      }),
    );
  });
});

describe('parseIPv6', () => {
  const cases: [string, bigint][] = [
    ['::', 0n],
    ['::1', 1n],
    ['1::', 1n << 112n],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', IPV6_MAX],
    ['2001:db8::8:800:200c:417a', 0x20010db8000000000008080020_0c417an],
    ['FE80::1', (0xfe80n << 112n) | 1n],
    ['::ffff:1.2.3.4', (0xffffn << 32n) | 0x01020304n],
    ['::1.2.3.4', 0x01020304n],
    ['64:ff9b::192.0.2.33', (0x64ff9bn << 96n) | 0xc0000221n],
    ['1:2:3:4:5:6:7:8', 0x0001000200030004000500060007_0008n],
    ['1:2:3:4:5:6:7::', 0x0001000200030004000500060007_0000n],
    ['::2:3:4:5:6:7:8', 0x0000000200030004000500060007_0008n],
    ['1:2:3:4:5:6:1.2.3.4', 0x000100020003000400050006_01020304n],
  ];
  it.each(cases)('parses %s', (s, v) => {
    expect(parseIPv6(s)).toBe(v);
  });

  it.each(['', ':', ':::', '1:::2', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8::',
    '12345::', 'g::1', '::1%eth0', 'fe80::1%1', '[::1]', ' ::1', '::1 ', ':1::', '1::2:', '::1.2.3', '::1.2.3.256',
    '1.2.3.4::', '::1.2.3.4:5', '::ffff:01.2.3.4', '1:2:3:4:5:6:7:1.2.3.4', '::-1'])('rejects %j', (s) => {
    expectInvalid(() => parseIPv6(s));
  });

  it('round-trips through formatIPv6 and agrees with node:net', () => {
    const addr = fc.bigInt({ min: 0n, max: IPV6_MAX });
    // Bias toward zero runs so "::" placement is exercised.
    const sparse = fc.array(fc.constantFrom(0, 0, 0, 1, 0xffff, 0xabc), { minLength: 8, maxLength: 8 }).map((gs) =>
      gs.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n),
    );
    fc.assert(
      fc.property(fc.oneof(addr, sparse), (v) => {
        const s = formatIPv6(v);
        expect(isIPv6(s)).toBe(true);
        expect(parseIPv6(s)).toBe(v);
        expect(parseIP(s)).toEqual({ family: 6, value: v });
      }),
      { numRuns: 500 },
    );
  });

  it('formats canonically (RFC 5952)', () => {
    expect(formatIPv6(0n)).toBe('::');
    expect(formatIPv6(1n)).toBe('::1');
    expect(formatIPv6(parseIPv6('2001:db8:0:0:1:0:0:1'))).toBe('2001:db8::1:0:0:1');
    expect(formatIPv6(parseIPv6('2001:db8:0:1:1:1:1:1'))).toBe('2001:db8:0:1:1:1:1:1');
    expect(formatIPv6(parseIPv6('::ffff:1.2.3.4'))).toBe('::ffff:1.2.3.4');
    expect(formatIPv6(IPV6_MAX)).toBe('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
  });
});

describe('mapped addresses', () => {
  it('folds ::ffff:a.b.c.d to IPv4 and leaves other addresses alone', () => {
    expect(mappedIPv4(parseIPv6('::ffff:10.0.0.1'))).toBe(0x0a000001);
    expect(mappedIPv4(parseIPv6('::ffff:a00:1'))).toBe(0x0a000001);
    expect(mappedIPv4(parseIPv6('::10.0.0.1'))).toBe(-1);
    expect(mappedIPv4(parseIPv6('1::ffff:10.0.0.1'))).toBe(-1);
    expect(toLookupAddress(parseIP('::ffff:10.0.0.1'))).toEqual({ family: 4, value: 0x0a000001 });
    expect(toLookupAddress(parseIP('::1'))).toEqual({ family: 6, value: 1n });
    expect(toLookupAddress(parseIP('10.0.0.1'))).toEqual({ family: 4, value: 0x0a000001 });
  });
});
