/**
 * The IP filter's shapes, types only: the session consults a filter through {@link IPFilterLookup} and never
 * imports the IPFilter class, so the class, its range tables and the blocklist parsers are bundled only when
 * an application imports IPFilter (see ./ip-filter-default.ts for what `Session.getIpFilter()` returns when
 * it has not).
 */

/** One range of an exported filter, both ends inclusive, as address text. */
export interface IPRange {
  /** First address of the range (dotted quad, or RFC 5952 IPv6). */
  readonly first: string;
  /** Last address of the range, inclusive. */
  readonly last: string;
  /** The access flags of every address in the range. */
  readonly flags: number;
}

/** The whole filter as ranges, like libtorrent's `export_filter()` (which returns a v4 and a v6 list). */
export interface IPFilterExport {
  /** Ranges covering 0.0.0.0 - 255.255.255.255 in order. */
  readonly v4: readonly IPRange[];
  /** Ranges covering :: - ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff in order. */
  readonly v6: readonly IPRange[];
}

/** What the session's connection layer asks of a filter, per connection (IPFilter implements it). */
export interface IPFilterLookup {
  /**
   * True when the address's flags do not include the blocked bit.
   * @throws TorrentError `ip_invalid_address` when `ip` is not an IP literal (the caller then allows it).
   */
  isAllowed(ip: string): boolean;
}
