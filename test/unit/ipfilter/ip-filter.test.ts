import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTorrentError } from '../../../src/errors.js';
import { formatIPv4, formatIPv6, IPV6_MAX, parseIP } from '../../../src/session/ip-address.js';
import { IPFilter } from '../../../src/session/ip-filter.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isTorrentError(err) ? err.code : `not a TorrentError: ${String(err)}`;
  }
  return undefined;
}

describe('IPFilter basics (libtorrent semantics)', () => {
  it('starts empty: everything allowed, one range per family', () => {
    const f = new IPFilter();
    expect(f.isAllowed('1.2.3.4')).toBe(true);
    expect(f.access('::1')).toBe(0);
    expect(f.exportFilter()).toEqual({
      v4: [{ first: '0.0.0.0', last: '255.255.255.255', flags: 0 }],
      v6: [{ first: '::', last: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', flags: 0 }],
    });
  });

  it('matches the export python3-libtorrent gives for the same rules', () => {
    // Ranges printed by libtorrent 2.0 (ip_filter.export_filter) for these three add_rule calls.
    const f = new IPFilter();
    f.addRule('1.2.3.0', '1.2.3.255', IPFilter.BLOCKED);
    f.addRule('1.2.3.10', '1.2.3.20', 0);
    f.addRule('::1', '::5', IPFilter.BLOCKED);
    const e = f.exportFilter();
    expect(e.v4.map((r) => [r.first, r.last])).toEqual([
      ['0.0.0.0', '1.2.2.255'], ['1.2.3.0', '1.2.3.9'], ['1.2.3.10', '1.2.3.20'], ['1.2.3.21', '1.2.3.255'],
      ['1.2.4.0', '255.255.255.255'],
    ]);
    expect(e.v4.map((r) => r.flags)).toEqual([0, 1, 0, 1, 0]);
    expect(e.v6.map((r) => [r.first, r.last, r.flags])).toEqual([
      ['::', '::', 0], ['::1', '::5', 1], ['::6', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 0],
    ]);
    expect(f.access('1.2.3.5')).toBe(1);
    expect(f.access('1.2.3.15')).toBe(0);
    expect(f.isAllowed('1.2.3.21')).toBe(false);
    expect(f.isAllowed('1.2.4.0')).toBe(true);
  });

  it('inclusive edges, whole-space rules and adjacent ranges coalescing', () => {
    const f = new IPFilter();
    f.addRule('0.0.0.0', '255.255.255.255', IPFilter.BLOCKED);
    expect(f.isAllowed('0.0.0.0')).toBe(false);
    expect(f.isAllowed('255.255.255.255')).toBe(false);
    f.addRule('10.0.0.0', '10.255.255.255', 0);
    expect(f.isAllowed('9.255.255.255')).toBe(false);
    expect(f.isAllowed('10.0.0.0')).toBe(true);
    expect(f.isAllowed('10.255.255.255')).toBe(true);
    expect(f.isAllowed('11.0.0.0')).toBe(false);
    f.addRule('10.0.0.0', '10.255.255.255', IPFilter.BLOCKED); // same flags as neighbours: merges back
    expect(f.exportFilter().v4).toEqual([{ first: '0.0.0.0', last: '255.255.255.255', flags: 1 }]);
    f.addRule('::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 6);
    expect(f.access('1234::')).toBe(6);
    expect(f.rangeCount()).toEqual({ v4: 1, v6: 1 });
  });

  it('keeps flags other than BLOCKED and reports them from access()', () => {
    const f = new IPFilter();
    f.addRule('5.5.5.5', '5.5.5.5', 4);
    expect(f.access('5.5.5.5')).toBe(4);
    expect(f.isAllowed('5.5.5.5')).toBe(true);
    f.addRule('5.5.5.5', '5.5.5.5', 5);
    expect(f.isAllowed('5.5.5.5')).toBe(false);
    f.addRule('5.5.5.5', '5.5.5.5', 0xffffffff);
    expect(f.access('5.5.5.5')).toBe(0xffffffff);
  });

  it('removeRule resets a range to allowed, overriding all earlier rules there', () => {
    const f = new IPFilter();
    f.addRule('1.0.0.0', '1.0.0.255', IPFilter.BLOCKED);
    f.addRule('1.0.0.100', '1.0.1.50', IPFilter.BLOCKED);
    f.removeRule('1.0.0.50', '1.0.0.200');
    expect(f.isAllowed('1.0.0.49')).toBe(false);
    expect(f.isAllowed('1.0.0.50')).toBe(true);
    expect(f.isAllowed('1.0.0.200')).toBe(true);
    expect(f.isAllowed('1.0.0.201')).toBe(false);
    expect(f.isAllowed('1.0.1.50')).toBe(false);
    f.addRule('1.0.0.60', '1.0.0.60', IPFilter.BLOCKED); // later add beats earlier remove
    expect(f.isAllowed('1.0.0.60')).toBe(false);
  });

  it('looks IPv4-mapped IPv6 addresses up in the IPv4 table', () => {
    const f = new IPFilter();
    f.addRule('8.8.8.0', '8.8.8.255', IPFilter.BLOCKED);
    expect(f.isAllowed('::ffff:8.8.8.8')).toBe(false);
    expect(f.isAllowed('::ffff:808:808')).toBe(false);
    expect(f.isAllowed('::8.8.8.8')).toBe(true); // IPv4-compatible (deprecated) is not mapped
    f.addRule('::ffff:9.9.9.0', '::ffff:9.9.9.9', IPFilter.BLOCKED); // both ends mapped: an IPv4 rule
    expect(f.isAllowed('9.9.9.5')).toBe(false);
    expect(f.exportFilter().v6).toHaveLength(1);
    f.addRule('9.9.9.20', '::ffff:9.9.9.30', IPFilter.BLOCKED); // one plain, one mapped: still IPv4
    expect(f.isAllowed('9.9.9.25')).toBe(false);
    expect(f.access(parseIP('::ffff:9.9.9.25'))).toBe(1);
    f.addRule('::fffe:0:0', '::ffff:0.0.0.5', IPFilter.BLOCKED); // straddles the mapped block: an IPv6 rule
    expect(f.access('::fffe:0:1')).toBe(1);
  });

  it('rejects malformed input with typed errors', () => {
    const f = new IPFilter();
    expect(codeOf(() => f.addRule('1.2.3.4', '1.2.3', 1))).toBe('ip_invalid_address');
    expect(codeOf(() => f.addRule('fe80::1%eth0', 'fe80::2', 1))).toBe('ip_invalid_address');
    expect(codeOf(() => f.addRule('1.2.3.5', '1.2.3.4', 1))).toBe('ip_invalid_range');
    expect(codeOf(() => f.addRule('::2', '::1', 1))).toBe('ip_invalid_range');
    expect(codeOf(() => f.addRule('1.2.3.4', '::1', 1))).toBe('ip_invalid_range');
    expect(codeOf(() => f.addRule('1.2.3.4', '1.2.3.5', -1))).toBe('invalid_argument');
    expect(codeOf(() => f.addRule('1.2.3.4', '1.2.3.5', 1.5))).toBe('invalid_argument');
    expect(codeOf(() => f.addRule('1.2.3.4', '1.2.3.5', 2 ** 32))).toBe('invalid_argument');
    expect(codeOf(() => f.access('localhost'))).toBe('ip_invalid_address');
    expect(codeOf(() => f.isAllowed(''))).toBe('ip_invalid_address');
    // Nothing was applied by the failed calls.
    expect(f.rangeCount()).toEqual({ v4: 1, v6: 1 });
  });

  it('clone() is independent and clear() empties', () => {
    const f = new IPFilter();
    f.addRule('1.1.1.1', '1.1.1.1', 1);
    const g = f.clone();
    g.addRule('2.2.2.2', '2.2.2.2', 1);
    expect(f.isAllowed('2.2.2.2')).toBe(true);
    expect(g.isAllowed('1.1.1.1')).toBe(false);
    g.clear();
    expect(g.isAllowed('1.1.1.1')).toBe(true);
    expect(f.isAllowed('1.1.1.1')).toBe(false);
  });
});

// ---- property tests against a naive reference: "the newest rule containing the address wins, else 0" ----

interface Rule<T> { first: T; last: T; flags: number }

function naiveAccess<T extends number | bigint>(rules: readonly Rule<T>[], x: T): number {
  for (let i = rules.length - 1; i >= 0; i--) {
    const r = rules[i]!;
    if (r.first <= x && x <= r.last) return r.flags;
  }
  return 0;
}

const v4Rule = (lo: number, hi: number): fc.Arbitrary<Rule<number>> =>
  fc.tuple(fc.integer({ min: lo, max: hi }), fc.integer({ min: lo, max: hi }), fc.integer({ min: 0, max: 3 }))
    .map(([a, b, flags]) => ({ first: Math.min(a, b), last: Math.max(a, b), flags }));

/** Export invariants: ranges cover [0, max] contiguously and neighbours have different flags. */
function checkExport(ranges: readonly { first: string; last: string; flags: number }[], family: 4 | 6): void {
  const parse = (s: string): bigint => {
    const a = parseIP(s);
    expect(a.family).toBe(family);
    return BigInt(a.value);
  };
  expect(parse(ranges[0]!.first)).toBe(0n);
  expect(parse(ranges[ranges.length - 1]!.last)).toBe(family === 4 ? 0xffffffffn : IPV6_MAX);
  for (let i = 1; i < ranges.length; i++) {
    expect(parse(ranges[i]!.first)).toBe(parse(ranges[i - 1]!.last) + 1n);
    expect(ranges[i]!.flags).not.toBe(ranges[i - 1]!.flags);
  }
}

describe('IPFilter against a naive reference (fast-check)', () => {
  it('IPv4, dense: every address of a small window, lookups interleaved with adds', () => {
    const base = 0x0a000000; // 10.0.0.0 .. 10.0.0.63, plus the addresses just outside
    fc.assert(
      fc.property(fc.array(fc.tuple(v4Rule(base, base + 63), fc.boolean()), { maxLength: 30 }), (steps) => {
        const f = new IPFilter();
        const rules: Rule<number>[] = [];
        for (const [r, isRemove] of steps) {
          if (isRemove) {
            f.removeRule(formatIPv4(r.first), formatIPv4(r.last));
            rules.push({ ...r, flags: 0 });
          } else {
            f.addRule(formatIPv4(r.first), formatIPv4(r.last), r.flags);
            rules.push(r);
          }
          const probe = r.first; // lookups between adds exercise repeated flushes
          expect(f.access(formatIPv4(probe))).toBe(naiveAccess(rules, probe));
        }
        for (let x = base - 1; x <= base + 64; x++) expect(f.access(formatIPv4(x))).toBe(naiveAccess(rules, x));
        const exp = f.exportFilter().v4;
        checkExport(exp, 4);
        for (const r of exp) {
          const lo = parseIP(r.first).value as number;
          const hi = parseIP(r.last).value as number;
          for (let x = Math.max(lo, base - 1); x <= Math.min(hi, base + 64); x++) expect(naiveAccess(rules, x)).toBe(r.flags);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('IPv4, whole space: probes at every rule edge and its neighbours, mapped spellings too', () => {
    fc.assert(
      fc.property(fc.array(v4Rule(0, 0xffffffff), { maxLength: 60 }), fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 20 }),
        (rules, extra) => {
          const f = new IPFilter();
          for (const r of rules) f.addRule(formatIPv4(r.first), formatIPv4(r.last), r.flags);
          const probes = new Set<number>([0, 0xffffffff, ...extra]);
          for (const r of rules) for (const p of [r.first - 1, r.first, r.last, r.last + 1]) if (p >= 0 && p <= 0xffffffff) probes.add(p);
          for (const p of probes) {
            expect(f.access(formatIPv4(p))).toBe(naiveAccess(rules, p));
            expect(f.access(`::ffff:${formatIPv4(p)}`)).toBe(naiveAccess(rules, p));
          }
          checkExport(f.exportFilter().v4, 4);
        }),
      { numRuns: 200 },
    );
  });

  it('IPv6: probes at every rule edge and its neighbours', () => {
    const edgeish = fc.oneof(
      fc.bigInt({ min: 0n, max: IPV6_MAX }),
      fc.bigInt({ min: 0n, max: 40n }),
      fc.bigInt({ min: IPV6_MAX - 40n, max: IPV6_MAX }),
    );
    const rule = fc.tuple(edgeish, edgeish, fc.integer({ min: 0, max: 3 }))
      .map(([a, b, flags]) => ({ first: a < b ? a : b, last: a < b ? b : a, flags }))
      .filter((r) => r.first >> 32n !== 0xffffn || r.last >> 32n !== 0xffffn); // not both ends IPv4-mapped
    fc.assert(
      fc.property(fc.array(rule, { maxLength: 40 }), (rules) => {
        const f = new IPFilter();
        for (const r of rules) f.addRule(formatIPv6(r.first), formatIPv6(r.last), r.flags);
        const probes = new Set<bigint>([0n, IPV6_MAX]);
        for (const r of rules) for (const p of [r.first - 1n, r.first, r.last, r.last + 1n]) if (p >= 0n && p <= IPV6_MAX) probes.add(p);
        for (const p of probes) {
          if (p >> 32n === 0xffffn) continue; // mapped addresses are answered by the IPv4 table
          expect(f.access(formatIPv6(p))).toBe(naiveAccess(rules, p));
        }
        checkExport(f.exportFilter().v6, 6);
      }),
      { numRuns: 200 },
    );
  });

  it('order of rules matters exactly as in the reference (same rules, shuffled)', () => {
    fc.assert(
      fc.property(fc.array(v4Rule(0, 255), { minLength: 2, maxLength: 20 }).chain((rs) => fc.tuple(fc.constant(rs), fc.shuffledSubarray(rs, { minLength: rs.length }))),
        ([a, b]) => {
          const fa = new IPFilter();
          const fb = new IPFilter();
          for (const r of a) fa.addRule(formatIPv4(r.first), formatIPv4(r.last), r.flags);
          for (const r of b) fb.addRule(formatIPv4(r.first), formatIPv4(r.last), r.flags);
          for (let x = 0; x <= 256; x++) {
            expect(fa.access(formatIPv4(x))).toBe(naiveAccess(a, x));
            expect(fb.access(formatIPv4(x))).toBe(naiveAccess(b, x));
          }
        }),
      { numRuns: 100 },
    );
  });
});
