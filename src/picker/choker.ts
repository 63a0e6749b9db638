/**
 * The choker: which interested peers we upload to. A pure function over a peer list, a clock and the
 * previous state; the layer above runs it every 10 s (and when peers come and go) and sends choke/unchoke.
 *
 * Rules (see PICKER.md):
 *  - Only interested peers take slots; peers not interested are left as they are and never counted.
 *  - `unchokeSlotsLimit` slots in total: limit − 1 regular slots plus one optimistic slot (limit ≥ 2);
 *    a negative limit unchokes every interested peer.
 *  - Downloading (tit-for-tat): regular slots go to the peers with the best download rate to us.
 *  - Seeding: 'fastest_upload' ranks by our upload rate to the peer; 'round_robin' keeps a peer unchoked
 *    until it has received `roundRobinQuota` bytes, then prefers the peers that have waited longest.
 *  - The optimistic slot goes to the interested choked peer that was optimistically unchoked longest ago
 *    (never first, random among ties) and is rotated every `optimisticUnchokeIntervalMs` (30 s = 3 rounds).
 */

/** libtorrent's seed_choking_algorithm values supported here. */
export type SeedChokingAlgorithm = 'round_robin' | 'fastest_upload';

/** A peer as the choker sees it. */
export interface ChokerPeer {
  /** Caller's peer id. */
  readonly id: number;
  /** The peer is interested in our pieces. */
  readonly interested: boolean;
  /** We currently choke this peer. */
  readonly choked: boolean;
  /** Bytes/s this peer sends us. */
  readonly downloadRate: number;
  /** Bytes/s we send this peer. */
  readonly uploadRate: number;
  /** Bytes uploaded to it since we last unchoked it (round robin). Default 0. */
  readonly uploadedSinceUnchoke?: number;
  /** When we last unchoked it (ms); undefined if never. */
  readonly lastUnchokedAt?: number;
}

/** Settings for {@link runChoker}. */
export interface ChokerOptions {
  /** Total unchoke slots including the optimistic one; negative = unlimited. */
  readonly unchokeSlotsLimit: number;
  /** True when we are seeding (no download rate to reciprocate). */
  readonly seeding: boolean;
  /** Seeding algorithm. Default 'round_robin' (libtorrent's default). */
  readonly seedChokingAlgorithm?: SeedChokingAlgorithm;
  /** How long one optimistic unchoke lasts. Default 30 000 ms. */
  readonly optimisticUnchokeIntervalMs?: number;
  /** Round robin: bytes a peer receives before its slot rotates. Default 4 MiB. */
  readonly roundRobinQuota?: number;
  /** Random source for tie-breaks. Default Math.random. */
  readonly random?: () => number;
}

/** State carried between runs; start with {@link initialChokerState}. Treat as immutable. */
export interface ChokerState {
  /** The optimistically unchoked peer, if any. */
  readonly optimistic: number | undefined;
  /** When it was chosen (ms). */
  readonly optimisticSince: number;
  /** When each peer was last chosen optimistically. */
  readonly lastOptimistic: ReadonlyMap<number, number>;
}

/** The state before the first run. */
export const initialChokerState: ChokerState = { optimistic: undefined, optimisticSince: 0, lastOptimistic: new Map() };

/** Result of {@link runChoker}. */
export interface ChokeDecision {
  /** Peers to unchoke now (currently choked). */
  readonly unchoke: number[];
  /** Interested peers to choke now (currently unchoked). */
  readonly choke: number[];
  /** Every interested peer that should be unchoked after this round. */
  readonly unchoked: number[];
  /** The optimistic peer after this round. */
  readonly optimistic: number | undefined;
  /** State for the next run. */
  readonly state: ChokerState;
}

/** One choking round. Pure: same inputs (and random source) → same decision. */
export function runChoker(peers: readonly ChokerPeer[], now: number, options: ChokerOptions, state: ChokerState = initialChokerState): ChokeDecision {
  const random = options.random ?? Math.random;
  const interval = options.optimisticUnchokeIntervalMs ?? 30_000;
  const interested = peers.filter((p) => p.interested);
  const limit = options.unchokeSlotsLimit;

  let regular: ChokerPeer[];
  let optimistic: number | undefined;
  let optimisticSince = state.optimisticSince;
  const lastOptimistic = new Map(state.lastOptimistic);
  const present = new Set(peers.map((p) => p.id));
  for (const id of lastOptimistic.keys()) if (!present.has(id)) lastOptimistic.delete(id);

  if (limit < 0) {
    regular = interested;
    optimistic = undefined;
  } else {
    const regularSlots = limit >= 2 ? limit - 1 : limit;
    const ranked = rank(interested, options, random);
    regular = ranked.slice(0, regularSlots);
    const inRegular = new Set(regular.map((p) => p.id));
    const others = interested.filter((p) => !inRegular.has(p.id));
    const current = state.optimistic;
    const keep = current !== undefined && now - state.optimisticSince < interval && others.some((p) => p.id === current);
    if (limit < 2 || others.length === 0) optimistic = undefined;
    else if (keep) optimistic = current;
    else {
      optimistic = pickOptimistic(others, lastOptimistic, random);
      optimisticSince = now;
      lastOptimistic.set(optimistic, now);
    }
  }

  const unchokedSet = new Set(regular.map((p) => p.id));
  if (optimistic !== undefined) unchokedSet.add(optimistic);
  const unchoke: number[] = [];
  const choke: number[] = [];
  for (const p of interested) {
    if (unchokedSet.has(p.id)) {
      if (p.choked) unchoke.push(p.id);
    } else if (!p.choked) choke.push(p.id);
  }
  return {
    unchoke,
    choke,
    unchoked: [...unchokedSet],
    optimistic,
    state: { optimistic, optimisticSince: optimistic === undefined ? now : optimisticSince, lastOptimistic },
  };
}

function rank(peers: readonly ChokerPeer[], options: ChokerOptions, random: () => number): ChokerPeer[] {
  const tie = new Map(peers.map((p) => [p.id, random()]));
  const stable = (a: ChokerPeer, b: ChokerPeer): number => Number(a.choked) - Number(b.choked) || tie.get(a.id)! - tie.get(b.id)!;
  const sorted = [...peers];
  if (!options.seeding) {
    sorted.sort((a, b) => b.downloadRate - a.downloadRate || stable(a, b));
  } else if ((options.seedChokingAlgorithm ?? 'round_robin') === 'fastest_upload') {
    sorted.sort((a, b) => b.uploadRate - a.uploadRate || stable(a, b));
  } else {
    const quota = options.roundRobinQuota ?? 4 * 1024 * 1024;
    const holding = (p: ChokerPeer): number => (!p.choked && (p.uploadedSinceUnchoke ?? 0) < quota ? 0 : 1);
    const since = (p: ChokerPeer): number => p.lastUnchokedAt ?? Number.NEGATIVE_INFINITY;
    sorted.sort((a, b) => holding(a) - holding(b) || cmp(since(a), since(b)) || b.uploadRate - a.uploadRate || tie.get(a.id)! - tie.get(b.id)!);
  }
  return sorted;
}

function pickOptimistic(candidates: readonly ChokerPeer[], last: ReadonlyMap<number, number>, random: () => number): number {
  let best: number[] = [];
  let bestAt = Number.POSITIVE_INFINITY;
  for (const p of candidates) {
    const at = last.get(p.id) ?? Number.NEGATIVE_INFINITY;
    if (at < bestAt) {
      bestAt = at;
      best = [p.id];
    } else if (at === bestAt) best.push(p.id);
  }
  return best[Math.floor(random() * best.length)]!;
}

function cmp(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
