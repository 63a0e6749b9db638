/**
 * The filter `Session.getIpFilter()` returns before any `setIpFilter`, without importing the IPFilter class.
 *
 * A session consults a filter only once one is set, so a page that never filters does not need the class
 * (ip-filter.ts with its range tables, address parser and blocklist parsers, about 6.6 KB minified). The
 * class registers itself here when its module loads, which it does wherever the application imports IPFilter
 * (always in Node and in the one-file browser bundle, which re-export it), and getIpFilter() then returns a
 * new, empty IPFilter as before. In a tree-shaken build whose code never imports IPFilter, getIpFilter()
 * returns {@link AllowAllFilter} instead: it answers lookups, exports and copies exactly as an empty IPFilter
 * does, and its editing methods throw `ip_filter_unavailable` (the code to edit is not in that build; import
 * IPFilter and pass `new IPFilter()` to setIpFilter).
 */
import { TorrentError } from '../errors.js';
import { parseIPv4, parseIPv6 } from '../net/ip.js';
import type { IPAddress } from './ip-address.js';
import type { IPFilter } from './ip-filter.js';
import type { IPFilterExport } from './ip-filter-types.js';

let create: (() => IPFilter) | undefined;

/** Registers the IPFilter class (called once by ip-filter.ts as it loads). */
export function provideIPFilter(make: () => IPFilter): void {
  create = make;
}

/** A new filter allowing everything: an empty IPFilter when the class is loaded, else an {@link AllowAllFilter}. */
export function emptyIPFilter(): IPFilter {
  // The stand-in has every public member of IPFilter (checked by its `implements`); only the class's
  // private tables differ, which nothing outside the class reads.
  return create?.() ?? (new AllowAllFilter() as unknown as IPFilter);
}

function unavailable(): TorrentError {
  return new TorrentError('ip_filter_unavailable',
    "IPFilter is not in this build (nothing imports it): import { IPFilter } from 'swarmkit' and pass a new IPFilter() to Session.setIpFilter");
}

/** An empty filter without the IPFilter code: everything allowed, and no way to add rules. */
class AllowAllFilter implements Pick<IPFilter, keyof IPFilter> {
  access(ip: string | IPAddress): number {
    if (typeof ip === 'string' && (ip.includes(':') ? parseIPv6(ip) : parseIPv4(ip)) === undefined) {
      throw new TorrentError('ip_invalid_address', `invalid IP address ${JSON.stringify(ip.slice(0, 64))}`, {
        details: { address: ip.slice(0, 64) },
      });
    }
    return 0;
  }

  isAllowed(ip: string | IPAddress): boolean {
    return this.access(ip) === 0;
  }

  exportFilter(): IPFilterExport {
    return {
      v4: [{ first: '0.0.0.0', last: '255.255.255.255', flags: 0 }],
      v6: [{ first: '::', last: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', flags: 0 }],
    };
  }

  rangeCount(): { v4: number; v6: number } {
    return { v4: 1, v6: 1 };
  }

  clear(): void {
    // nothing to clear
  }

  clone(): IPFilter {
    return emptyIPFilter();
  }

  addRule(): never {
    throw unavailable();
  }

  removeRule(): never {
    throw unavailable();
  }

  importP2P(): never {
    throw unavailable();
  }

  importDat(): never {
    throw unavailable();
  }

  importBlocklist(): never {
    throw unavailable();
  }
}
