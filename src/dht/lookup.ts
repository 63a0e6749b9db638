/**
 * Iterative Kademlia lookup (BEP 5) for find_node and get_peers.
 *
 * Candidates are kept sorted by XOR distance to the target and capped (`maxCandidates`), so a
 * hostile node returning huge node lists cannot grow memory. Up to `alpha` queries are in flight; a
 * query silent for `softTimeoutMs` stops counting against alpha (another branch opens) but may still
 * answer until the RPC timeout. The lookup ends when nothing is in flight and no unqueried candidate
 * is closer than the K-th closest node that answered — i.e. the last round found nothing closer.
 */
import { compareDistance, ID_LENGTH } from './node-id.js';
import { ipKey } from './addr.js';
import type { CompactNode, KrpcResponse } from './krpc.js';
import type { TimerSet } from './clock.js';
import { bytesEqual } from '../bytes.js';

/** A node that answered, with the token it gave (get_peers). */
export interface LookupHit {
  readonly node: CompactNode;
  readonly token?: Uint8Array;
}

/** What a lookup needs from its DHT node. */
export interface LookupContext {
  /** Sends the lookup's query to `node`; rejects on timeout or error. */
  query(node: CompactNode): Promise<KrpcResponse>;
  /** Extracts the next hops from a response (already filtered). */
  nodesOf(r: KrpcResponse): CompactNode[];
  /** Called for every response (get_peers: to collect values). */
  onResponse(node: CompactNode, r: KrpcResponse): void;
  /** Our id, never queried. */
  readonly ownId: Uint8Array;
  readonly timers: TimerSet;
}

/** Lookup tuning. */
export interface LookupOptions {
  alpha: number;
  k: number;
  softTimeoutMs: number;
  /** Candidate list bound (default 100). */
  maxCandidates?: number;
  /** Total queries bound (default 200). */
  maxQueries?: number;
  /** One candidate per IP (libtorrent's dht_restrict_search_ips). */
  restrictIps: boolean;
}

type State = 'new' | 'pending' | 'slow' | 'done' | 'failed';
interface Candidate {
  node: CompactNode;
  state: State;
  token?: Uint8Array;
}

const keyOf = (n: CompactNode): string => Array.from(n.id, (b) => b.toString(16).padStart(2, '0')).join('');

/** Runs one lookup; resolves with the closest K nodes that answered. */
export function runLookup(target: Uint8Array, seeds: readonly CompactNode[], ctx: LookupContext, opts: LookupOptions): Promise<LookupHit[]> {
  const cands: Candidate[] = [];
  const seen = new Set<string>();
  const ips = new Set<string>();
  const maxC = opts.maxCandidates ?? 100;
  let queries = 0;
  let finished = false;

  const addCandidate = (n: CompactNode): void => {
    if (n.id.length !== ID_LENGTH || bytesEqual(n.id, ctx.ownId)) return;
    const key = keyOf(n);
    const ip = `${ipKey(n.host)}${opts.restrictIps ? '' : `|${n.port}`}`;
    if (seen.has(key) || ips.has(ip)) return;
    seen.add(key);
    ips.add(ip);
    let i = cands.length;
    while (i > 0 && compareDistance(target, n.id, (cands[i - 1] as Candidate).node.id) < 0) i--;
    if (i >= maxC) return;
    cands.splice(i, 0, { node: n, state: 'new' });
    if (cands.length > maxC) {
      // drop the farthest candidate that is not in flight
      for (let j = cands.length - 1; j >= 0; j--) {
        const s = (cands[j] as Candidate).state;
        if (s === 'new' || s === 'failed') {
          cands.splice(j, 1);
          break;
        }
      }
    }
  };
  for (const s of seeds) addCandidate(s);

  return new Promise<LookupHit[]>((resolve) => {
    const step = (): void => {
      if (finished) return;
      let inflight = 0;
      let pendingAny = 0;
      for (const c of cands) {
        if (c.state === 'pending') inflight++;
        if (c.state === 'pending' || c.state === 'slow') pendingAny++;
      }
      let answered = 0;
      for (const c of cands) {
        if (inflight >= opts.alpha || queries >= (opts.maxQueries ?? 200)) break;
        if (c.state === 'done') {
          if (++answered >= opts.k) break; // K closer nodes already answered: the rest cannot help
          continue;
        }
        if (c.state !== 'new') continue;
        c.state = 'pending';
        inflight++;
        pendingAny++;
        queries++;
        send(c);
      }
      if (pendingAny === 0) {
        finished = true;
        const hits = cands.filter((c) => c.state === 'done').slice(0, opts.k);
        resolve(hits.map((c) => (c.token ? { node: c.node, token: c.token } : { node: c.node })));
      }
    };
    const send = (c: Candidate): void => {
      const cancelSoft = ctx.timers.after(opts.softTimeoutMs, () => {
        if (c.state === 'pending') {
          c.state = 'slow';
          step();
        }
      });
      ctx.query(c.node).then(
        (r) => {
          cancelSoft();
          if (finished) return;
          c.state = 'done';
          if (!bytesEqual(c.node.id, r.id)) {
            // a router seeded with a placeholder id: rank it by its real id from now on
            c.node = { id: r.id.slice(), host: c.node.host, port: c.node.port };
            seen.add(keyOf(c.node));
            cands.sort((x, y) => compareDistance(target, x.node.id, y.node.id));
          }
          const tok = r.r.get('token');
          if (tok instanceof Uint8Array && tok.length <= 64) c.token = tok.slice();
          ctx.onResponse(c.node, r);
          for (const n of ctx.nodesOf(r)) addCandidate(n);
          step();
        },
        () => {
          cancelSoft();
          if (finished) return;
          c.state = 'failed';
          step();
        },
      );
    };
    step();
  });
}
