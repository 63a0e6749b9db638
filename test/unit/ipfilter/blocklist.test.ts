import { describe, expect, it } from 'vitest';
import { isTorrentError } from '../../../src/errors.js';
import { formatIPv4 } from '../../../src/session/ip-address.js';
import { IPFilter } from '../../../src/session/ip-filter.js';

describe('P2P plain-text blocklists', () => {
  it('imports ranges, skips comments and blank lines, reports bad lines with numbers', () => {
    const text = [
      '# PeerGuardian list',           // 1
      '',                              // 2
      'Some Org:1.2.3.0-1.2.3.255',    // 3
      'Org: with: colons:5.6.7.8-5.6.7.9', // 4
      '  // another comment',          // 5
      'Bad line without range',        // 6
      'x:1.2.3-1.2.3.4',               // 7
      'y:9.9.9.9-9.9.9.1',             // 8
      'Padded:010.000.000.001 - 010.000.000.002\r', // 9
      'Mixed:1.2.3.4-::1',             // 10
      ':11.0.0.0-11.0.0.0',            // 11 (empty description is fine)
    ].join('\n');
    const f = new IPFilter();
    const res = f.importP2P(text);
    expect(res.added).toBe(4);
    expect(res.lines).toBe(11);
    expect(res.errorCount).toBe(4);
    expect(res.errors.map((e) => e.line)).toEqual([6, 7, 8, 10]);
    expect(res.errors[2]!.reason).toMatch(/greater than last/);
    expect(f.isAllowed('1.2.3.0')).toBe(false);
    expect(f.isAllowed('1.2.3.255')).toBe(false);
    expect(f.isAllowed('1.2.4.0')).toBe(true);
    expect(f.isAllowed('5.6.7.9')).toBe(false);
    expect(f.isAllowed('10.0.0.1')).toBe(false); // zero-padded octets are decimal
    expect(f.isAllowed('8.0.0.1')).toBe(true);
    expect(f.isAllowed('11.0.0.0')).toBe(false);
  });

  it('strict mode throws ipfilter_parse_error with the line number and applies nothing', () => {
    const f = new IPFilter();
    let caught: unknown;
    try {
      f.importP2P('a:1.1.1.1-1.1.1.2\nb:1.1.1.300-1.1.1.301\n', { strict: true });
    } catch (err) {
      caught = err;
    }
    expect(isTorrentError(caught, 'ipfilter_parse_error')).toBe(true);
    if (isTorrentError(caught)) {
      expect(caught.details.line).toBe(2);
      expect(caught.message).toMatch(/line 2/);
    }
    expect(f.isAllowed('1.1.1.1')).toBe(true);
  });

  it('accepts bytes with a UTF-8 BOM and caps the error list but counts every error', () => {
    const f = new IPFilter();
    const body = '\ufeffOK:2.2.2.2-2.2.2.3\n' + 'junk\n'.repeat(50);
    const res = f.importP2P(new TextEncoder().encode(body), { maxErrors: 10 });
    expect(res.added).toBe(1);
    expect(res.errors).toHaveLength(10);
    expect(res.errorCount).toBe(50);
    expect(res.errors[0]!.line).toBe(2);
    expect(f.isAllowed('2.2.2.3')).toBe(false);
  });
});

describe('eMule ipfilter.dat', () => {
  it('blocks level < 128, allows level >= 128 (later lines override), reports bad lines', () => {
    const text = [
      '# eMule list',
      '001.002.003.000 - 001.002.003.255 , 000 , Some ISP, Inc.', // 2 blocked (description with comma)
      '001.002.003.010 - 001.002.003.020 , 200 , whitelist',      // 3 allowed inside
      '004.004.004.004 - 004.004.004.004 , 127',                  // 4 blocked, no description
      '005.005.005.005 - 005.005.005.005 , 128 , allowed',        // 5 allowed (no-op)
      '006.006.006.006 - 006.006.006.006 , abc , bad level',      // 6
      '007.007.007.007 - 007.007.007.007',                        // 7 no level
      '2001:db8:: - 2001:db8::ffff , 10 , v6 range',              // 8 blocked v6
      '008.008.008.008 - 008.008.008.008 , 999 , level too high', // 9
    ].join('\r\n');
    const f = new IPFilter();
    const res = f.importDat(text);
    expect(res.added).toBe(5);
    expect(res.errors.map((e) => e.line)).toEqual([6, 7, 9]);
    expect(f.isAllowed('1.2.3.9')).toBe(false);
    expect(f.isAllowed('1.2.3.10')).toBe(true);
    expect(f.isAllowed('1.2.3.20')).toBe(true);
    expect(f.isAllowed('1.2.3.21')).toBe(false);
    expect(f.isAllowed('4.4.4.4')).toBe(false);
    expect(f.isAllowed('5.5.5.5')).toBe(true);
    expect(f.isAllowed('2001:db8::42')).toBe(false);
    expect(f.isAllowed('2001:db8::1:0')).toBe(true);
  });

  it('auto-detects the format line by line', () => {
    const f = new IPFilter();
    const res = f.importBlocklist([
      'Some-Corp, Inc:3.3.3.0-3.3.3.255',
      '004.000.000.000 - 004.000.000.255 , 100 , dat line',
      'abc',
    ].join('\n'));
    expect(res.added).toBe(2);
    expect(res.errors).toEqual([{ line: 3, reason: expect.any(String) }]);
    expect(f.isAllowed('3.3.3.3')).toBe(false);
    expect(f.isAllowed('4.0.0.9')).toBe(false);
  });
});

describe('large lists', () => {
  it('imports 200,000 P2P lines and answers like the rules say (speed: test/bench/metainfo.bench.ts)', () => {
    // Deterministic pseudo-random ranges (xorshift), some overlapping.
    let s = 0x9e3779b9;
    const rnd = (): number => {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      return s >>> 0;
    };
    const lines: string[] = ['# generated'];
    const ranges: [number, number][] = [];
    for (let i = 0; i < 200_000; i++) {
      const a = rnd();
      const len = rnd() % 4096;
      const b = Math.min(0xffffffff, a + len);
      ranges.push([a, b]);
      lines.push(`Range number ${i}:${formatIPv4(a)}-${formatIPv4(b)}`);
    }
    const text = lines.join('\n');
    const f = new IPFilter();
    // Import speed is measured in test/bench/metainfo.bench.ts, not here.
    const res = f.importP2P(text);
    const count = f.rangeCount().v4;
    expect(res.added).toBe(200_000);
    expect(res.errorCount).toBe(0);
    expect(count).toBeGreaterThan(1000);
    // Check a sample of addresses against the ranges (all blocking, so "inside any range").
    // Reference: ranges by start with a running maximum of ends; x is inside some range iff the ranges
    // starting at or before x reach x.
    const sorted = ranges.slice().sort((x, y) => x[0] - y[0]);
    const maxEnd: number[] = [];
    for (const [, b] of sorted) maxEnd.push(Math.max(b, maxEnd[maxEnd.length - 1] ?? -1));
    const inside = (x: number): boolean => {
      let lo = -1;
      let hi = sorted.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (sorted[mid]![0] <= x) lo = mid;
        else hi = mid - 1;
      }
      return lo >= 0 && maxEnd[lo]! >= x;
    };
    for (let k = 0; k < 3000; k++) {
      const [a, b] = ranges[rnd() % ranges.length]!;
      for (const x of [a - 1, a, b, b + 1, rnd()]) {
        if (x < 0 || x > 0xffffffff) continue;
        expect(f.isAllowed(formatIPv4(x))).toBe(!inside(x));
      }
    }
  });
});
