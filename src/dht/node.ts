/**
 * DhtNode: a BitTorrent DHT node (BEP 5, BEP 42 ids, BEP 43 read-only flag) over a
 * {@link DatagramSocket}. It wires the codec (krpc.ts), routing table, RPC manager, lookups,
 * responder, token manager, peer store and rate limits together; see DHT.md for the design.
 *
 * Lifetime: `start()` installs the socket sink, schedules maintenance and bootstraps; `close()`
 * fails outstanding queries, clears every timer and detaches from the socket (the socket itself
 * belongs to the caller, who may share it with uTP and UDP trackers).
 */
import { TorrentError } from '../errors.js';
import type { DatagramSocket } from '../interfaces/datagram.js';
import type { Logger } from '../interfaces/logger.js';
import { silentLogger } from '../interfaces/logger.js';
import type { PeerAddress } from '../interfaces/transport.js';
import { parseIP } from '../net/ip.js';
import { ipKey } from './addr.js';
import { ExternalIpVoter, parseHostPort } from './external-ip.js';
import { systemClock, TimerSet } from './clock.js';
import type { DhtClock } from './clock.js';
import { decodeCompactNodes, decodeCompactPeers, decodeKrpc, encodeCompactNodes, KrpcErrorCode } from './krpc.js';
import type { CompactNode, KrpcMessage, KrpcResponse } from './krpc.js';
import { runLookup } from './lookup.js';
import type { LookupHit } from './lookup.js';
import { generateNodeId, idHex, randomBytes, randomIdWithPrefix, verifyNodeId } from './node-id.js';
import { PeerStore } from './peer-store.js';
import { ByteBucket, PerIpLimiter } from './rate-limit.js';
import { answerQuery, sendError } from './responder.js';
import type { ResponderContext } from './responder.js';
import { RoutingTable } from './routing-table.js';
import { RpcManager } from './rpc.js';
import type { RpcReply } from './rpc.js';
import { defaultDhtSettings } from './settings.js';
import type { DhtEvent, DhtSettings, DhtState, DhtStats } from './settings.js';
import { TokenManager } from './tokens.js';
import { mayBeTrimmed, PingWaiters } from './verify-wait.js';
import { bytesEqual } from '../bytes.js';

/** Options for {@link DhtNode}. */
export interface DhtNodeOptions {
  /** Overrides of {@link defaultDhtSettings}. */
  settings?: Partial<DhtSettings>;
  /** Our node id; default: BEP 42 id from `externalIP` (random when unknown). */
  nodeId?: Uint8Array;
  /** Our external IP when known (node id per BEP 42). */
  externalIP?: string;
  /** Injected clock (tests). */
  clock?: DhtClock;
  /** Receives dht_* events. */
  onEvent?: (e: DhtEvent) => void;
  logger?: Logger;
  /** Resolves bootstrap host names (src/ has no DNS); IP literals need none. */
  resolve?: (host: string) => Promise<string[]>;
}

/** Result of a get_peers lookup. */
export interface GetPeersResult {
  /** Unique peers found. */
  readonly peers: PeerAddress[];
  /** The closest nodes that answered, with their tokens. */
  readonly nodes: readonly LookupHit[];
}

/** Options for {@link DhtNode.announce}. */
export interface AnnounceOptions {
  /** Port to announce (ignored when `impliedPort`). */
  port?: number;
  /** Ask nodes to use our UDP source port (BEP 5 implied_port, for uTP / NAT). */
  impliedPort?: boolean;
}

const VERIFIED_MAX = 4096;

/** A DHT node. */
export class DhtNode {
  /** Effective settings. */
  readonly settings: DhtSettings;
  private readonly clock: DhtClock;
  private readonly timers: TimerSet;
  private readonly rpc: RpcManager;
  private readonly store: PeerStore;
  private readonly tokens = new TokenManager();
  private readonly limiter: PerIpLimiter;
  private readonly upload: ByteBucket;
  private readonly log: Logger;
  private readonly family: 4 | 6;
  private table: RoutingTable;
  private readonly voter: ExternalIpVoter;
  private readonly verified = new Map<string, number>();
  private readonly pinging = new Set<string>();
  private readonly pings: PingWaiters;
  private readonly pendingSeeds: CompactNode[] = [];
  private started = false;
  private closed = false;
  private readonly c = {
    queriesIn: 0, queriesOut: 0, responsesIn: 0, timeouts: 0,
    droppedRateLimited: 0, droppedMalformed: 0, droppedOutgoing: 0, bytesIn: 0, bytesOut: 0,
  };
  private readonly responder: ResponderContext;

  constructor(
    private readonly socket: DatagramSocket,
    private readonly opts: DhtNodeOptions = {},
  ) {
    this.settings = { ...defaultDhtSettings, ...opts.settings };
    this.clock = opts.clock ?? systemClock;
    this.timers = new TimerSet(this.clock);
    this.pings = new PingWaiters(this.timers, () => this.clock.now());
    this.log = opts.logger ?? silentLogger;
    this.family = socket.address.host.includes(':') ? 6 : 4;
    this.voter = new ExternalIpVoter(opts.externalIP);
    const s = this.settings;
    const now = this.clock.now();
    this.table = this.newTable(opts.nodeId ?? generateNodeId(opts.externalIP));
    this.rpc = new RpcManager((d, to) => this.send(d, to), this.timers, { timeoutMs: s.queryTimeoutMs, readOnly: s.readOnly });
    this.store = new PeerStore({ maxTorrents: s.maxTorrents, maxPeers: s.maxPeers, expiryMs: s.peerExpiryMs });
    this.limiter = new PerIpLimiter(s.blockRateLimit, s.blockTimeoutMs);
    this.upload = new ByteBucket(s.uploadRateLimit, now);
    this.responder = {
      settings: s,
      family: this.family,
      ownId: () => this.table.ownId,
      closest: (t, n) => this.table.closest(t, n),
      store: this.store,
      tokens: this.tokens,
      now: () => this.clock.now(),
      isVerified: (a) => this.verified.has(addrKey(a)),
      send: (d, to) => this.send(d, to),
      emit: (e) => this.emit(e),
      isClosed: () => this.closed,
    };
  }

  /** Our node id. */
  get id(): Uint8Array {
    return this.table.ownId;
  }

  /** The socket's bound address. */
  get address(): PeerAddress {
    return this.socket.address;
  }

  /** Pending timers (0 after close). */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /**
   * Attaches to the socket, schedules maintenance and bootstraps from the configured routers, saved
   * nodes and nodes added so far. Resolves when the bootstrap lookup is over (it never rejects).
   */
  async start(): Promise<void> {
    if (this.closed) throw new TorrentError('session_closed', 'DHT node closed');
    if (this.started) return;
    this.started = true;
    this.socket.setSink({ message: (d, from) => this.onMessage(d, from), close: () => void this.close() });
    this.schedule('tick', this.settings.tickMs, () => this.tick());
    this.schedule('tokens', this.settings.tokenRotationMs, () => this.tokens.rotate());
    await this.bootstrap();
  }

  /** Stops the node: outstanding queries fail with `aborted`, timers are cleared. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.rpc.close();
    this.pings.close();
    this.timers.clear();
    if (this.started) this.socket.setSink({ message: () => {}, close: () => {} });
  }

  /** Pings `addr` (libtorrent's add_dht_node); resolves true when it answered and was added. */
  async addNode(addr: { host: string; port: number }): Promise<boolean> {
    try {
      await this.queryNode(addr, 'ping', {});
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Looks up peers for `infoHash` (20 bytes). `onPeers` receives each batch of new peers as replies
   * arrive; the promise resolves when the lookup converged.
   */
  async getPeers(infoHash: Uint8Array, onPeers?: (peers: PeerAddress[]) => void): Promise<GetPeersResult> {
    checkHash(infoHash);
    const seen = new Set<string>();
    const peers: PeerAddress[] = [];
    // Peers announced to this node itself come first: with few nodes (a LAN, two peers that bootstrap from
    // each other) the node holding the announce may be the asker, which the lookup never queries.
    const local = this.store.get(idHex(infoHash), 2 * this.settings.maxPeersReply, this.clock.now()).map((p) => ({ host: p.host, port: p.port }));
    for (const p of local) seen.add(addrKey(p));
    if (local.length > 0) {
      peers.push(...local);
      onPeers?.(local);
    }
    const nodes = await this.lookup(infoHash, 'get_peers', (node, r) => {
      const batch = decodeCompactPeers(r.r.get('values'), 2 * this.settings.maxPeersReply).filter((p) => {
        const k = addrKey(p);
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
      if (batch.length === 0) return;
      peers.push(...batch);
      this.emit({ type: 'dht_reply', infoHash: infoHash.slice(), numPeers: batch.length, from: { host: node.host, port: node.port } });
      onPeers?.(batch);
    });
    return { peers, nodes };
  }

  /** The peers of {@link getPeers} as an async iterator of batches. */
  async *peers(infoHash: Uint8Array): AsyncGenerator<PeerAddress[], void, undefined> {
    const queue: PeerAddress[][] = [];
    let wake: (() => void) | undefined;
    let done = false;
    const run = this.getPeers(infoHash, (b) => {
      queue.push(b);
      wake?.();
    }).finally(() => {
      done = true;
      wake?.();
    });
    while (true) {
      const b = queue.shift();
      if (b) {
        yield b;
        continue;
      }
      if (done) break;
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
    }
    await run;
  }

  /**
   * Announces that we have `infoHash`: a get_peers lookup, then announce_peer with each of the K
   * closest nodes' tokens. Resolves with the peers found and how many nodes accepted.
   */
  async announce(infoHash: Uint8Array, opts: AnnounceOptions = {}): Promise<{ peers: PeerAddress[]; announcedTo: number }> {
    checkHash(infoHash);
    const implied = opts.impliedPort ?? false;
    const port = opts.port ?? this.socket.address.port;
    if (!implied && !(Number.isInteger(port) && port > 0 && port < 65536)) throw new TorrentError('invalid_argument', 'invalid announce port');
    const { peers, nodes } = await this.getPeers(infoHash);
    const results = await Promise.allSettled(
      nodes
        .filter((h) => h.token !== undefined)
        .map((h) =>
          this.queryNode(h.node, 'announce_peer', { info_hash: infoHash, port, token: h.token as Uint8Array, implied_port: implied ? 1 : 0 }, h.node.id),
        ),
    );
    return { peers, announcedTo: results.filter((r) => r.status === 'fulfilled').length };
  }

  /** Counters and sizes. */
  stats(): DhtStats {
    const t = this.table.counts();
    const st = this.store.counts();
    const s = { ...this.c, ...t, torrents: st.torrents, peersStored: st.peers, outstanding: this.rpc.outstanding };
    return this.voter.current === undefined ? s : { ...s, externalIP: this.voter.current };
  }

  /** Our id and good nodes, ready to bencode. */
  saveState(): DhtState {
    const good = this.table.nodes().filter((n) => n.failCount === 0);
    return { id: this.table.ownId.slice(), nodes: encodeCompactNodes(good, 4), nodes6: encodeCompactNodes(good, 6) };
  }

  /** Restores a saved state (call before `start`): the id (if still valid for our IP) and nodes to bootstrap from. */
  loadState(state: { id?: unknown; nodes?: unknown; nodes6?: unknown }): void {
    if (this.started) throw new TorrentError('invalid_argument', 'loadState must be called before start');
    const id = state.id;
    if (id instanceof Uint8Array && id.length === 20) {
      const ext = this.voter.current;
      const ok = !this.settings.enforceNodeId || ext === undefined || verifyNodeId(id, ext);
      if (ok) this.table = this.newTable(id.slice());
    }
    if (state.nodes instanceof Uint8Array) this.pendingSeeds.push(...decodeCompactNodes(state.nodes, 4, 1000));
    if (state.nodes6 instanceof Uint8Array) this.pendingSeeds.push(...decodeCompactNodes(state.nodes6, 6, 1000));
  }

  // ---- internals ----

  private newTable(id: Uint8Array): RoutingTable {
    const s = this.settings;
    return new RoutingTable(id, this.clock.now(), { k: s.k, restrictIps: s.restrictRoutingIps, maxFailCount: s.maxFailCount });
  }

  private emit(e: DhtEvent): void {
    try {
      this.opts.onEvent?.(e);
    } catch (err) {
      this.log.warn('dht event handler threw', { err });
    }
  }

  private schedule(_name: string, ms: number, fn: () => void): void {
    this.timers.after(ms, () => {
      if (this.closed) return;
      fn();
      this.schedule(_name, ms, fn);
    });
  }

  private async send(data: Uint8Array, to: PeerAddress): Promise<boolean> {
    if (this.closed) return false;
    if (!this.upload.take(data.length, this.clock.now())) {
      this.c.droppedOutgoing++;
      return false;
    }
    this.c.bytesOut += data.length;
    try {
      await this.socket.send(data, to);
      return true;
    } catch (err) {
      this.log.debug('dht send failed', { err, to });
      return false;
    }
  }

  private onMessage(data: Uint8Array, from: PeerAddress): void {
    if (this.closed) return;
    this.c.bytesIn += data.length;
    const msg = decodeKrpcSafe(data, this.settings.maxPacket);
    if (msg.y === 'r' || msg.y === 'e') {
      if (this.rpc.handle(msg, from, data.length)) this.c.responsesIn++;
      return;
    }
    if (this.settings.readOnly) return;
    if (!this.limiter.allow(ipKey(from.host), this.clock.now())) {
      this.c.droppedRateLimited++;
      return;
    }
    const budget = this.settings.limitUnverifiedReplies && !this.verified.has(addrKey(from)) ? data.length : Infinity;
    if (msg.y === 'invalid') {
      this.c.droppedMalformed++;
      if (msg.query && msg.t) void sendError(this.responder, msg.t, KrpcErrorCode.protocol, msg.reason, from, budget);
      return;
    }
    this.c.queriesIn++;
    if (bytesEqual(msg.id, this.table.ownId)) return;
    this.table.heardFrom(msg.id, from.host, from.port, this.clock.now());
    // answer first, then ping an unknown querier to verify it (so our reply arrives before our ping)
    answerQuery(this.responder, msg, from, data.length)
      .catch((err: unknown) => this.log.warn('dht query handler failed', { err }))
      .finally(() => {
        if (msg.method === 'ping') this.pings.answered(from);
        if (!msg.readOnly && !this.closed) this.maybeVerify(msg.id, from);
      });
  }

  /** Pings a node that queried us and is not in the table; its answer proves its address. */
  private maybeVerify(id: Uint8Array, from: PeerAddress): void {
    if (this.table.has(id) || this.pinging.size >= 64) return;
    if (this.settings.enforceNodeId && !verifyNodeId(id, from.host)) return;
    const key = addrKey(from);
    if (this.pinging.has(key)) return;
    this.pinging.add(key);
    this.queryNode(from, 'ping', {}, id)
      .catch(() => undefined)
      .finally(() => this.pinging.delete(key));
  }

  /** Sends a query; a response verifies the source and may add it to the routing table. */
  private async queryNode(to: PeerAddress, method: string, args: Record<string, Uint8Array | number>, expectId?: Uint8Array): Promise<RpcReply> {
    this.c.queriesOut++;
    try {
      const r = await this.rpc.query({ host: to.host, port: to.port }, method, { id: this.table.ownId, ...args });
      this.responded(r, to);
      return r;
    } catch (err) {
      if (err instanceof TorrentError && err.code === 'timeout') {
        this.c.timeouts++;
        if (expectId) this.table.failed(expectId, to.host, to.port);
      }
      throw err;
    }
  }

  private responded(r: KrpcResponse, from: PeerAddress): void {
    const now = this.clock.now();
    const key = addrKey(from);
    this.verified.delete(key);
    this.verified.set(key, now);
    if (this.verified.size > VERIFIED_MAX) this.verified.delete(this.verified.keys().next().value as string);
    if (r.ip) this.vote(r.ip.host, from.host);
    if (r.r.get('ro') === 1) return;
    if (this.settings.enforceNodeId && !verifyNodeId(r.id, from.host)) return;
    this.table.add(r.id, from.host, from.port, now);
  }

  /** BEP 42: once voters agree on a new external IP, take an id valid for it (if enforcing). */
  private vote(ours: string, voter: string): void {
    const ip = this.voter.vote(ours, voter);
    if (ip === undefined) return;
    this.emit({ type: 'dht_external_ip', host: ip });
    if (this.settings.enforceNodeId && !verifyNodeId(this.table.ownId, ip)) {
      const old = this.table.nodes();
      this.table = this.newTable(generateNodeId(ip));
      for (const n of old) this.table.add(n.id, n.host, n.port, n.lastSeen);
    }
  }

  private lookup(target: Uint8Array, method: 'find_node' | 'get_peers', onResponse: (n: CompactNode, r: KrpcResponse) => void): Promise<LookupHit[]> {
    const s = this.settings;
    const seeds: CompactNode[] = this.table.closest(target, s.k * 2);
    if (seeds.length < s.k) seeds.push(...this.pendingSeeds, ...this.routers);
    const argName = method === 'find_node' ? 'target' : 'info_hash';
    return runLookup(
      target,
      seeds,
      {
        ownId: this.table.ownId,
        timers: this.timers,
        query: (n) => this.lookupQuery(n, method, { [argName]: target }),
        nodesOf: (r) => this.nodesOf(r),
        onResponse,
      },
      { alpha: s.alpha, k: s.k, softTimeoutMs: s.softTimeoutMs, restrictIps: s.restrictSearchIps },
    );
  }

  private nodesOf(r: KrpcResponse): CompactNode[] {
    return decodeCompactNodes(asBytes(r.r.get(this.family === 4 ? 'nodes' : 'nodes6')), this.family, 64);
  }

  /**
   * One lookup query. A reply the node may have trimmed because it has not verified us yet
   * (verify-wait.ts) is asked for again once we have answered that node's verification ping.
   */
  private async lookupQuery(n: CompactNode, method: string, args: Record<string, Uint8Array>): Promise<KrpcResponse> {
    const expectId = this.table.has(n.id) ? n.id : undefined;
    const sent = this.clock.now();
    const first = await this.queryNode(n, method, args, expectId);
    if (!mayBeTrimmed(first, this.nodesOf(first).length, this.settings.k)) return first;
    if (!(await this.pings.wait(n, sent, this.settings.softTimeoutMs / 2)) || this.closed) return first;
    return this.queryNode(n, method, args, expectId).catch(() => first);
  }

  private routers: CompactNode[] = [];

  private async bootstrap(): Promise<void> {
    const routers: CompactNode[] = [];
    for (const hp of this.settings.bootstrapNodes) {
      const parsed = parseHostPort(hp);
      if (!parsed) continue;
      const { host, port } = parsed;
      const ips = parseIP(host) ? [host] : await this.opts.resolve?.(host).catch(() => []) ?? [];
      for (const ip of ips) if (parseIP(ip) && ip.includes(':') === (this.family === 6)) routers.push({ id: randomBytes(20), host: ip, port });
    }
    this.routers = routers;
    for (let round = 0; round < 3 && !this.closed; round++) {
      const before = this.table.counts().nodes;
      await this.lookup(this.table.ownId, 'find_node', () => {});
      const after = this.table.counts().nodes;
      if (after >= this.settings.k * 2 || (round > 0 && after === before)) break;
    }
    this.pendingSeeds.length = 0;
    if (!this.closed) this.emit({ type: 'dht_bootstrap', nodes: this.table.counts().nodes });
  }

  /** Maintenance: prune stores and limiters, refresh one stale bucket, ping questionable nodes. */
  private tick(): void {
    const now = this.clock.now();
    this.store.prune(now);
    this.limiter.prune(now);
    const stale = this.table.staleBuckets(now, this.settings.bucketRefreshMs);
    const b = stale[0];
    if (b !== undefined) {
      this.table.touchBucket(b, now);
      void this.lookup(randomIdWithPrefix(this.table.ownId, b), 'find_node', () => {});
    }
    for (const n of this.table.questionable(now).slice(0, 4)) void this.queryNode(n, 'ping', {}, n.id).catch(() => undefined);
  }
}

function addrKey(a: { host: string; port: number }): string {
  return `${ipKey(a.host)}|${a.port}`;
}

function asBytes(v: unknown): Uint8Array {
  return v instanceof Uint8Array ? v : new Uint8Array(0);
}

function checkHash(h: Uint8Array): void {
  if (!(h instanceof Uint8Array) || h.length !== 20) throw new TorrentError('invalid_argument', 'info-hash must be 20 bytes');
}

function decodeKrpcSafe(d: Uint8Array, maxPacket: number): KrpcMessage {
  return decodeKrpc(d, { maxPacket, maxTransactionId: 16 });
}
