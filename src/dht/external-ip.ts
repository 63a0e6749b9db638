/**
 * BEP 42 external-IP voting: nodes that answer us report our address in their reply's `ip` field.
 * When three distinct voter IPs agree on an address different from the current one, it becomes our
 * external IP. The vote table is bounded (cleared beyond 50 candidates).
 */
import { parseIP } from '../net/ip.js';
import { ipKey, isLocalIP } from './addr.js';

/** Collects votes. */
export class ExternalIpVoter {
  private readonly votes = new Map<string, Set<string>>();

  constructor(
    /** The current external IP, if known. */
    public current?: string,
    private readonly quorum = 3,
  ) {}

  /** Records `voter`'s view of our IP; returns the new external IP when the vote changes it. */
  vote(ours: string, voter: string): string | undefined {
    if (!parseIP(ours) || isLocalIP(ours)) return undefined;
    const k = ipKey(ours);
    if (k === this.current) return undefined;
    if (this.votes.size > 50) this.votes.clear();
    const set = this.votes.get(k) ?? new Set<string>();
    set.add(ipKey(voter));
    this.votes.set(k, set);
    if (set.size < this.quorum) return undefined;
    this.votes.clear();
    this.current = k;
    return k;
  }
}

/** Parses "host:port" / "[v6]:port" bootstrap entries; hosts may be names (resolved by the caller). */
export function parseHostPort(hp: string): { host: string; port: number } | undefined {
  const i = hp.lastIndexOf(':');
  if (i <= 0) return undefined;
  const host = hp.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(hp.slice(i + 1));
  if (host === '' || !Number.isInteger(port) || port <= 0 || port > 65535) return undefined;
  return { host, port };
}
