// Helpers for swarm e2e tests: sessions on the in-memory network or TCP loopback, seeds with their data
// in place, and waiting for downloads to complete with byte-equal checks.
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { Session } from '../../../src/session/session.js';
import type { SessionOptions } from '../../../src/session/session.js';
import type { SettingsPack } from '../../../src/session/settings.js';
import type { TorrentHandle } from '../../../src/session/torrent-handle.js';
import type { TorrentInfo } from '../../../src/metainfo/torrent-info.js';
import type { StorageAdapter } from '../../../src/interfaces/storage.js';
import { createHashPool } from '../../../src/platform/hash-pool.node.js';
import type { HashPool } from '../../../src/platform/hash-pool.node.js';
import { createMemoryTransport, MemoryNetwork } from '../../../transports/memory/index.js';
import type { MemoryLinkOptions } from '../../../transports/memory/index.js';
import { createTcpTransport } from '../../../transports/tcp/index.js';
import { PeerConnection } from '../../../src/peer/index.js';
import type { PeerOwner } from '../../../src/peer/index.js';
import type { PeerAddress } from '../../../src/interfaces/transport.js';
import { createMemoryStorage } from '../../../storage-adapters/memory/index.js';
import { alertCategory } from '../../../src/session/alert-category.js';
import { fillStorage, torrentBytes, waitFor } from '../../unit/session/helpers.js';
import type { TestFile } from '../../unit/session/helpers.js';

/** Alerts every swarm test wants queued. */
export const SWARM_ALERTS = alertCategory.error | alertCategory.status | alertCategory.connect | alertCategory.peer | alertCategory.pieceProgress | alertCategory.ipBlock;

/** Settings for fast tests on loopback. */
export const TEST_SETTINGS: Partial<SettingsPack> = {
  listenInterfaces: '127.0.0.1:0',
  alertMask: SWARM_ALERTS,
  allowMultipleConnectionsPerIp: true,
  tickInterval: 100,
  minReconnectTime: 1,
};

/** One session under test with its address. */
export interface Node {
  readonly session: Session;
  readonly storage: StorageAdapter;
  /** Where other sessions dial it. */
  address(): { host: string; port: number };
}

/** A factory of sessions on one network (memory or TCP loopback); `close()` closes them all. */
export class Swarmlet {
  readonly nodes: Node[] = [];
  readonly net = new MemoryNetwork();

  constructor(readonly kind: 'memory' | 'tcp', readonly pool: HashPool, readonly link: MemoryLinkOptions = {}) {}

  async node(opts: { settings?: Partial<SettingsPack>; storage?: StorageAdapter; link?: MemoryLinkOptions } = {}): Promise<Node> {
    const storage = opts.storage ?? createMemoryStorage();
    const settings = { ...TEST_SETTINGS, ...(opts.settings ?? {}) };
    let address: () => { host: string; port: number };
    let sopts: SessionOptions;
    if (this.kind === 'memory') {
      const t = createMemoryTransport(this.net, { link: { ...this.link, ...(opts.link ?? {}) } });
      sopts = { settings, storage, hashPool: this.pool, transports: [t] };
      const session = new Session(sopts);
      address = () => ({ host: t.host, port: session.listenPort() });
      await session.ready();
      const n = { session, storage, address };
      this.nodes.push(n);
      return n;
    }
    const t = createTcpTransport({ listenHost: '127.0.0.1', port: 0, highWaterMark: 256 * 1024 });
    const session = new Session({ settings, storage, hashPool: this.pool, transports: [t] });
    await session.ready();
    address = () => ({ host: '127.0.0.1', port: session.listenPort() });
    const n = { session, storage, address };
    this.nodes.push(n);
    return n;
  }

  /** A session seeding `ti` (its storage filled with `files` beforehand). */
  async seed(ti: TorrentInfo, files: readonly TestFile[], opts: { settings?: Partial<SettingsPack>; storage?: StorageAdapter } = {}): Promise<{ node: Node; handle: TorrentHandle }> {
    const storage = opts.storage ?? createMemoryStorage();
    await fillStorage(storage, ti, files);
    const node = await this.node({ ...opts, storage });
    const handle = await node.session.addTorrent({ ti, savePath: 'seed' });
    await waitFor(node.session, 'torrent_finished');
    return { node, handle };
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.session.close()));
    this.nodes.length = 0;
  }
}

/** Waits until `h` reports every wanted piece (polling status; alerts may be consumed elsewhere). */
export async function waitFinished(h: TorrentHandle, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!h.isFinished()) {
    if (Date.now() > deadline) {
      const s = h.status();
      throw new Error(`not finished after ${timeoutMs} ms: state ${s.state}, progress ${s.progress}, peers ${s.numPeers}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Asserts the storage holds exactly the torrent's bytes in every wanted piece (all pieces by default). */
export async function expectData(storage: StorageAdapter, ti: TorrentInfo, files: readonly TestFile[], pieces?: readonly number[]): Promise<void> {
  const want = torrentBytes(ti, files);
  const s = await storage.open(ti.layout());
  try {
    for (const i of pieces ?? [...Array(ti.pieceCount).keys()]) {
      const got = await s.read(i, 0, ti.pieceSize(i));
      const off = i * ti.pieceLength;
      const exp = want.subarray(off, off + ti.pieceSize(i));
      if (Buffer.compare(Buffer.from(got), Buffer.from(exp)) !== 0) expect.fail(`piece ${i} differs`);
    }
  } finally {
    await s.close();
  }
}

/** Active handles/timers now, for leak checks. */
export const resources = (): string[] => process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').sort();

/**
 * Asserts nothing was left running: no resource kind (socket, timer, fs request, ...) is more numerous
 * now than in `before` (the test runner's own timers come and go, so fewer is fine).
 */
export function expectNoLeaks(before: readonly string[]): void {
  const count = (list: readonly string[]): Map<string, number> => {
    const m = new Map<string, number>();
    for (const r of list) m.set(r, (m.get(r) ?? 0) + 1);
    return m;
  };
  const was = count(before);
  const extra = [...count(resources())].filter(([k, n]) => n > (was.get(k) ?? 0));
  expect(extra).toEqual([]);
}

/** What {@link useSwarmHarness} hands a test file: a shared hash pool and things closed after each test. */
export interface SwarmHarness {
  /** The file's hash pool (two threads), created in `beforeAll`. */
  readonly pool: HashPool;
  /** A new Swarmlet on the pool, closed after the test. */
  swarmlet(kind: 'memory' | 'tcp'): Swarmlet;
  /** Sessions a test made itself; closed after the test. */
  readonly sessions: Session[];
  /** Run after the test, in order, once swarmlets and sessions are closed. */
  readonly cleanups: Array<() => Promise<void>>;
  /**
   * A scripted (typically hostile) peer on TCP 127.0.0.1: every inbound connection becomes a raw
   * PeerConnection (peer id all 0xee) routed to `owner`. Resolves with its address; closed after the test.
   */
  scriptedPeer(owner: PeerOwner): Promise<PeerAddress>;
}

/**
 * Registers the hooks every swarm e2e file shares: a hash pool per file, and after each test: close the
 * swarmlets and sessions, run the cleanups, wait `settleMs` for sockets to go, then assert no resource leaked.
 * Call once at the top level of a test file.
 */
export function useSwarmHarness(opts: { settleMs?: number } = {}): SwarmHarness {
  let pool: HashPool | undefined;
  let before: string[] = [];
  const swarms: Swarmlet[] = [];
  const sessions: Session[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  beforeAll(() => {
    pool = createHashPool({ threads: 2 });
  });
  afterAll(async () => {
    await pool?.close();
  });
  beforeEach(() => {
    before = resources();
  });
  afterEach(async () => {
    await Promise.all(swarms.map((s) => s.close()));
    swarms.length = 0;
    await Promise.all(sessions.splice(0).map((s) => s.close()));
    for (const c of cleanups.splice(0)) await c();
    await new Promise((r) => setTimeout(r, opts.settleMs ?? 20));
    expectNoLeaks(before);
  });
  const poolNow = (): HashPool => {
    if (!pool) throw new Error('hash pool used outside a test');
    return pool;
  };
  return {
    get pool(): HashPool {
      return poolNow();
    },
    // an arrow, not a method: test files destructure it
    swarmlet: (kind: 'memory' | 'tcp'): Swarmlet => {
      const s = new Swarmlet(kind, poolNow());
      swarms.push(s);
      return s;
    },
    sessions,
    cleanups,
    scriptedPeer: async (owner: PeerOwner): Promise<PeerAddress> => {
      const conns: PeerConnection[] = [];
      const transport = createTcpTransport({ listenHost: '127.0.0.1', port: 0 });
      const listener = await transport.listen((stream) => {
        conns.push(new PeerConnection(stream, { peerId: new Uint8Array(20).fill(0xee), router: () => owner }));
      });
      cleanups.push(async () => {
        for (const c of conns) c.close();
        await Promise.all(conns.map((c) => c.closed));
        await listener.close();
        await transport.close();
      });
      return listener.address;
    },
  };
}
