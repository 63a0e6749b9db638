/**
 * IPFilter: libtorrent's ip_filter. Maps every IPv4 and IPv6 address to a flags word; an address whose flags
 * have {@link IPFilter.BLOCKED} set is refused (no outgoing connections, incoming ones dropped).
 *
 * Semantics (as libtorrent's):
 * - The filter starts as one range per family covering everything with flags 0 (allowed).
 * - `addRule(first, last, flags)` sets the inclusive range [first, last] to `flags`, overriding whatever
 *   earlier rules said about those addresses and leaving the rest alone. Order matters: later rules win.
 * - `exportFilter()` returns the resulting non-overlapping ranges, covering the whole address space,
 *   flag-0 ranges included, coalesced so that neighbours always differ.
 *
 * Our additions:
 * - `removeRule(first, last)` (libtorrent has none) is defined as `addRule(first, last, 0)`: the range goes
 *   back to allowed. It does not "undo" one earlier rule; it overrides every earlier rule on that range.
 * - IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are looked up in the IPv4 table, so a peer seen over a
 *   dual-stack socket is filtered like the same peer over IPv4. A rule whose two ends are both IPv4 or
 *   IPv4-mapped is an IPv4 rule. (libtorrent looks mapped addresses up in the IPv6 table instead.) An IPv6
 *   rule's part inside ::ffff:0:0/96 is kept and exported but never consulted by lookups.
 * - Blocklist imports (P2P text, eMule ipfilter.dat) report bad lines with their line numbers.
 *
 * Cost: rules are folded in lazily on the next lookup with one sort-and-sweep (see ip-range-table.ts), so
 * any mix of n adds costs O(m + n log n) per batch; lookups are a binary search, O(log m).
 */
import { TorrentError } from '../errors.js';
import type { IPAddress } from './ip-address.js';
import { formatIPv4, formatIPv6, parseIP, toLookupAddress } from './ip-address.js';
import type { BlocklistFormat, BlocklistOptions, BlocklistResult } from './ip-blocklist.js';
import { parseBlocklist } from './ip-blocklist.js';
import { RangeTable, ipv4Ops, ipv6Ops } from './ip-range-table.js';
import { provideIPFilter } from './ip-filter-default.js';
import type { IPFilterExport, IPFilterLookup } from './ip-filter-types.js';

export type { IPAddress } from './ip-address.js';
export type { BlocklistFormat, BlocklistLineError, BlocklistOptions, BlocklistResult } from './ip-blocklist.js';
export type { IPFilterExport, IPRange } from './ip-filter-types.js';

/** Options for {@link IPFilter.importBlocklist}. */
export interface ImportBlocklistOptions extends BlocklistOptions {
  /** The list's format; default `auto` (detected line by line). */
  format?: BlocklistFormat;
}

/** An IP access filter over IPv4 and IPv6 ranges (libtorrent's `ip_filter`). */
export class IPFilter implements IPFilterLookup {
  /** The flag bit that blocks an address. */
  static readonly BLOCKED = 1;

  private v4 = new RangeTable<number>(ipv4Ops);
  private v6 = new RangeTable<bigint>(ipv6Ops);

  /**
   * Sets every address in [first, last] (inclusive) to `flags`, overriding earlier rules there.
   * @throws TorrentError `ip_invalid_address` for malformed addresses, `ip_invalid_range` when first > last or
   *   the ends are of different families, `invalid_argument` when flags is not a uint32.
   */
  addRule(first: string, last: string, flags: number): void {
    if (!Number.isInteger(flags) || flags < 0 || flags > 0xffff_ffff) {
      throw new TorrentError('invalid_argument', `ip filter flags must be a uint32, got ${String(flags)}`);
    }
    const a = parseIP(first);
    const b = parseIP(last);
    let lo: IPAddress = toLookupAddress(a);
    let hi: IPAddress = toLookupAddress(b);
    if (lo.family !== hi.family) {
      if (a.family !== 6 || b.family !== 6) {
        throw new TorrentError('ip_invalid_range', `range ${first} - ${last} mixes IPv4 and IPv6`, {
          details: { first, last },
        });
      }
      lo = a; // an IPv6 range that merely touches the mapped block stays an IPv6 range
      hi = b;
    }
    if (lo.value > hi.value) {
      throw new TorrentError('ip_invalid_range', `range ${first} - ${last}: first address is greater than last`, {
        details: { first, last },
      });
    }
    if (lo.family === 4 && hi.family === 4) this.v4.add(lo.value, hi.value, flags);
    else if (lo.family === 6 && hi.family === 6) this.v6.add(lo.value, hi.value, flags);
  }

  /**
   * Resets [first, last] to flags 0 (allowed). libtorrent has no remove_rule; ours is `addRule(first, last, 0)`
   * and, like any rule, overrides every earlier rule on that range. Same errors as {@link addRule}.
   */
  removeRule(first: string, last: string): void {
    this.addRule(first, last, 0);
  }

  /**
   * The flags for one address (0 when no rule covers it). Accepts text or a parsed {@link IPAddress};
   * IPv4-mapped IPv6 addresses are answered from the IPv4 table.
   * @throws TorrentError `ip_invalid_address` for malformed text.
   */
  access(ip: string | IPAddress): number {
    const addr = toLookupAddress(typeof ip === 'string' ? parseIP(ip) : ip);
    return addr.family === 4 ? this.v4.lookup(addr.value) : this.v6.lookup(addr.value);
  }

  /** True when the address's flags do not include {@link IPFilter.BLOCKED}. */
  isAllowed(ip: string | IPAddress): boolean {
    return (this.access(ip) & IPFilter.BLOCKED) === 0;
  }

  /** All ranges, both families, covering the whole address space (see {@link IPFilterExport}). */
  exportFilter(): IPFilterExport {
    return {
      v4: this.v4.export().map((r) => ({ first: formatIPv4(r.first), last: formatIPv4(r.last), flags: r.flags })),
      v6: this.v6.export().map((r) => ({ first: formatIPv6(r.first), last: formatIPv6(r.last), flags: r.flags })),
    };
  }

  /** Number of ranges in each table (what {@link exportFilter} would return, without formatting them). */
  rangeCount(): { v4: number; v6: number } {
    return { v4: this.v4.size, v6: this.v6.size };
  }

  /** Removes every rule: everything is allowed again. */
  clear(): void {
    this.v4.clear();
    this.v6.clear();
  }

  /** An independent copy of this filter. */
  clone(): IPFilter {
    const copy = new IPFilter();
    copy.v4 = this.v4.clone();
    copy.v6 = this.v6.clone();
    return copy;
  }

  /**
   * Imports a P2P plain-text list (`description:first-last`); every range is blocked.
   * @throws TorrentError `ipfilter_parse_error` in strict mode (nothing is applied then).
   */
  importP2P(text: string | Uint8Array, opts: BlocklistOptions = {}): BlocklistResult {
    return this.importBlocklist(text, { ...opts, format: 'p2p' });
  }

  /**
   * Imports an eMule ipfilter.dat (`first - last , level , description`); level < 128 blocks, ≥ 128 allows.
   * @throws TorrentError `ipfilter_parse_error` in strict mode (nothing is applied then).
   */
  importDat(text: string | Uint8Array, opts: BlocklistOptions = {}): BlocklistResult {
    return this.importBlocklist(text, { ...opts, format: 'dat' });
  }

  /**
   * Imports a blocklist in either format (default: detected line by line). Lines are applied in order as
   * rules, after the whole text has been read. Bad lines are listed in the result with their line numbers.
   * @throws TorrentError `ipfilter_parse_error` in strict mode (nothing is applied then).
   */
  importBlocklist(text: string | Uint8Array, opts: ImportBlocklistOptions = {}): BlocklistResult {
    const parsed = parseBlocklist(text, opts.format ?? 'auto', opts);
    const { v4, v6 } = parsed;
    for (let i = 0; i < v4.flags.length; i++) this.v4.add(v4.first[i] as number, v4.last[i] as number, v4.flags[i] as number);
    for (let i = 0; i < v6.flags.length; i++) this.v6.add(v6.first[i] as bigint, v6.last[i] as bigint, v6.flags[i] as number);
    return parsed.result;
  }
}

// Session.getIpFilter() returns a new IPFilter when this module is loaded (see ip-filter-default.ts).
provideIPFilter(() => new IPFilter());
