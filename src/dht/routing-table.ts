/**
 * Kademlia routing table shaped like libtorrent's: a list of up to 160 buckets of K nodes. Bucket i
 * (for i below the last) holds nodes sharing exactly i leading bits with our id; the last bucket holds
 * everything closer. Only the last bucket — the one containing our own id — is ever split.
 *
 * Invariants:
 * - Only nodes that answered one of our queries are inserted (`add`); a node that merely queries us
 *   is pinged first by the DHT node, so spoofed sources never enter the table.
 * - At most one entry per IP across live nodes and replacements when `restrictIps` (case 26).
 * - A known id seen from a different address is ignored (no hijacking of a slot).
 * - Node state (BEP 5): good = heard from within 15 minutes and no failures; questionable = silent for
 *   15 minutes; bad = `maxFailCount` failures in a row, then removed and replaced from the bucket's
 *   replacement cache. A full bucket gives a failing node's slot to a fresh one.
 */
import { ipKey } from './addr.js';
import { commonPrefixBits, compareDistance, ID_LENGTH } from './node-id.js';
import { bytesEqual } from '../bytes.js';

/** A node in the table. */
export interface RoutingNode {
  readonly id: Uint8Array;
  readonly host: string;
  readonly port: number;
  /** Last time it answered us or queried us (ms). */
  lastSeen: number;
  /** Consecutive query failures. */
  failCount: number;
}

/** Options for {@link RoutingTable}. */
export interface RoutingTableOptions {
  /** Bucket size (default 8). */
  k?: number;
  /** Replacement cache size per bucket (default 8). */
  replacements?: number;
  /** At most one entry per IP (libtorrent's dht_restrict_routing_ips; default true). */
  restrictIps?: boolean;
  /** Failures after which a node is dropped (default 3). */
  maxFailCount?: number;
  /** Silence after which a node is questionable (default 15 min). */
  questionableMs?: number;
}

interface Bucket {
  live: RoutingNode[];
  replacements: RoutingNode[];
  /** Last time a node in this bucket answered or a lookup touched it. */
  lastActive: number;
}

const MAX_BUCKETS = ID_LENGTH * 8;

/** The routing table. */
export class RoutingTable {
  readonly k: number;
  private readonly nRepl: number;
  private readonly restrictIps: boolean;
  private readonly maxFail: number;
  private readonly questionableMs: number;
  private buckets: Bucket[];

  constructor(
    readonly ownId: Uint8Array,
    now: number,
    opts: RoutingTableOptions = {},
  ) {
    this.k = opts.k ?? 8;
    this.nRepl = opts.replacements ?? 8;
    this.restrictIps = opts.restrictIps ?? true;
    this.maxFail = opts.maxFailCount ?? 3;
    this.questionableMs = opts.questionableMs ?? 15 * 60_000;
    this.buckets = [{ live: [], replacements: [], lastActive: now }];
  }

  /** Index of the bucket `id` belongs to. */
  bucketIndex(id: Uint8Array): number {
    return Math.min(commonPrefixBits(id, this.ownId), this.buckets.length - 1);
  }

  /** Number of buckets. */
  get bucketCount(): number {
    return this.buckets.length;
  }

  /**
   * Inserts or refreshes a node that answered us. Returns 'live', 'replacement' or why it was refused.
   */
  add(id: Uint8Array, host: string, port: number, now: number): 'live' | 'replacement' | 'own-id' | 'ip-taken' | 'id-moved' {
    if (bytesEqual(id, this.ownId)) return 'own-id';
    const found = this.locate(id);
    if (found) {
      if (found.node.host !== host || found.node.port !== port) return 'id-moved';
      found.node.lastSeen = now;
      found.node.failCount = 0;
      const b = this.buckets[found.bucket];
      if (b) {
        b.lastActive = now;
        if (!found.live && b.live.length < this.k) this.promote(b, found.node);
      }
      return found.live ? 'live' : 'replacement';
    }
    if (this.restrictIps && this.hasIp(ipKey(host))) return 'ip-taken';
    const node: RoutingNode = { id: id.slice(), host, port, lastSeen: now, failCount: 0 };
    for (;;) {
      const idx = this.bucketIndex(id);
      const b = this.buckets[idx] as Bucket;
      if (b.live.length < this.k) {
        b.live.push(node);
        b.lastActive = now;
        return 'live';
      }
      if (idx === this.buckets.length - 1 && this.buckets.length < MAX_BUCKETS) {
        this.split();
        continue;
      }
      // a full bucket: a failing node gives up its slot
      let worst = -1;
      for (let i = 0; i < b.live.length; i++) {
        const f = b.live[i]?.failCount ?? 0;
        if (f > 0 && (worst < 0 || f > (b.live[worst]?.failCount ?? 0))) worst = i;
      }
      if (worst >= 0) {
        b.live[worst] = node;
        b.lastActive = now;
        return 'live';
      }
      b.replacements.push(node);
      if (b.replacements.length > this.nRepl) b.replacements.shift();
      return 'replacement';
    }
  }

  /** A query from a node already in the table refreshes it (BEP 5 "good" rule). */
  heardFrom(id: Uint8Array, host: string, port: number, now: number): boolean {
    const f = this.locate(id);
    if (!f || f.node.host !== host || f.node.port !== port) return false;
    f.node.lastSeen = now;
    return true;
  }

  /** Records a failed query; a node failing `maxFailCount` times is removed and replaced. */
  failed(id: Uint8Array, host: string, port: number): void {
    const f = this.locate(id);
    if (!f || f.node.host !== host || f.node.port !== port) return;
    f.node.failCount++;
    const b = this.buckets[f.bucket] as Bucket;
    if (!f.live) {
      if (f.node.failCount >= 1) b.replacements = b.replacements.filter((n) => n !== f.node);
      return;
    }
    if (f.node.failCount >= this.maxFail) {
      b.live = b.live.filter((n) => n !== f.node);
      const repl = b.replacements.pop();
      if (repl) b.live.push(repl);
    }
  }

  /** The `n` live nodes closest to `target` (failing nodes last). */
  closest(target: Uint8Array, n: number): RoutingNode[] {
    const all: RoutingNode[] = [];
    for (const b of this.buckets) all.push(...b.live);
    all.sort((a, b) => (a.failCount > 0 ? 1 : 0) - (b.failCount > 0 ? 1 : 0) || compareDistance(target, a.id, b.id));
    return all.slice(0, n);
  }

  /** Every live node. */
  nodes(): RoutingNode[] {
    return this.buckets.flatMap((b) => b.live);
  }

  /** Live nodes silent for the questionable period (to be pinged). */
  questionable(now: number): RoutingNode[] {
    return this.nodes().filter((n) => now - n.lastSeen >= this.questionableMs || n.failCount > 0);
  }

  /** Indexes of buckets not active for `staleMs` (to be refreshed with a lookup). */
  staleBuckets(now: number, staleMs: number): number[] {
    const out: number[] = [];
    this.buckets.forEach((b, i) => {
      if (now - b.lastActive >= staleMs) out.push(i);
    });
    return out;
  }

  /** Marks a bucket active (a refresh lookup was started for it). */
  touchBucket(i: number, now: number): void {
    const b = this.buckets[i];
    if (b) b.lastActive = now;
  }

  /** Counts for stats. */
  counts(): { nodes: number; replacements: number; buckets: number } {
    let nodes = 0;
    let replacements = 0;
    for (const b of this.buckets) {
      nodes += b.live.length;
      replacements += b.replacements.length;
    }
    return { nodes, replacements, buckets: this.buckets.length };
  }

  /** Whether a node with this id is in the table (live or replacement). */
  has(id: Uint8Array): boolean {
    return this.locate(id) !== undefined;
  }

  private promote(b: Bucket, node: RoutingNode): void {
    b.replacements = b.replacements.filter((n) => n !== node);
    b.live.push(node);
  }

  private split(): void {
    const idx = this.buckets.length - 1;
    const old = this.buckets[idx] as Bucket;
    const near: Bucket = { live: [], replacements: [], lastActive: old.lastActive };
    const far: Bucket = { live: [], replacements: [], lastActive: old.lastActive };
    for (const n of old.live) (commonPrefixBits(n.id, this.ownId) > idx ? near : far).live.push(n);
    for (const n of old.replacements) (commonPrefixBits(n.id, this.ownId) > idx ? near : far).replacements.push(n);
    for (const b of [far, near]) {
      while (b.live.length < this.k && b.replacements.length > 0) b.live.push(b.replacements.pop() as RoutingNode);
    }
    this.buckets[idx] = far;
    this.buckets.push(near);
  }

  private hasIp(ip: string): boolean {
    for (const b of this.buckets) {
      for (const n of b.live) if (ipKey(n.host) === ip) return true;
      for (const n of b.replacements) if (ipKey(n.host) === ip) return true;
    }
    return false;
  }

  private locate(id: Uint8Array): { node: RoutingNode; bucket: number; live: boolean } | undefined {
    const i = this.bucketIndex(id);
    const b = this.buckets[i];
    if (!b) return undefined;
    for (const n of b.live) if (bytesEqual(n.id, id)) return { node: n, bucket: i, live: true };
    for (const n of b.replacements) if (bytesEqual(n.id, id)) return { node: n, bucket: i, live: false };
    return undefined;
  }
}
