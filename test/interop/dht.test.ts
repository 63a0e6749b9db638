/**
 * Our DHT node and a python3-libtorrent 2.0 DHT node on loopback, each bootstrapped from the other:
 * we announce and libtorrent's dht_get_peers finds us; libtorrent announces and our getPeers finds
 * it. (libtorrent announces through a metadata-less torrent, its normal DHT announce path: Debian's
 * 2.0.8 Python bindings cannot call session.dht_announce, whose flags type is not exported.) The libtorrent side is test/interop/py/dht_libtorrent.py, driven over JSON lines.
 * libtorrent gets the loopback settings of REFERENCE-PEERS.md; our node runs with its defaults
 * (127.0.0.1 is exempt from BEP 42; libtorrent stays within 5 queries/s).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUdpFactory } from '../../transports/udp/index.js';
import { DhtNode } from '../../src/dht/node.js';
import type { DhtEvent } from '../../src/dht/settings.js';
import type { DatagramSocket } from '../../src/interfaces/datagram.js';
import { idHex, randomBytes } from '../../src/dht/node-id.js';

type Reply = { ok: boolean; error?: string; port?: number; nodes?: number; peers?: [string, number][] };

/** The libtorrent DHT node process. */
class LtDht {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly waiting: ((r: Reply) => void)[] = [];
  stderr = '';
  constructor() {
    this.proc = spawn('/usr/bin/python3', [fileURLToPath(new URL('./py/dht_libtorrent.py', import.meta.url))]);
    this.proc.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    createInterface({ input: this.proc.stdout }).on('line', (line) => this.waiting.shift()?.(JSON.parse(line) as Reply));
  }
  async call(cmd: Record<string, unknown>): Promise<Reply> {
    const r = await new Promise<Reply>((resolve) => {
      this.waiting.push(resolve);
      this.proc.stdin.write(JSON.stringify(cmd) + '\n');
    });
    if (!r.ok) throw new Error(`libtorrent ${String(cmd.cmd)} failed: ${r.error}\n${this.stderr}`);
    return r;
  }
  async quit(): Promise<void> {
    const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
    await this.call({ cmd: 'quit' }).catch(() => undefined);
    this.proc.stdin.end();
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    this.proc.kill();
  }
}

describe('DHT interop with libtorrent', () => {
  let lt: LtDht;
  let sock: DatagramSocket;
  let ours: DhtNode;
  let ltPort = 0;
  const events: DhtEvent[] = [];

  beforeAll(async () => {
    lt = new LtDht();
    ltPort = (await lt.call({ cmd: 'start' })).port ?? 0;
    expect(ltPort).toBeGreaterThan(0);
    sock = await createUdpFactory().bind({ host: '127.0.0.1', port: 0 });
    ours = new DhtNode(sock, { settings: { bootstrapNodes: [`127.0.0.1:${ltPort}`] }, onEvent: (e) => events.push(e) });
    await ours.start();
    await lt.call({ cmd: 'add_node', host: '127.0.0.1', port: sock.address.port });
    // each side must have the other in its routing table
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (ours.stats().nodes === 0) await ours.addNode({ host: '127.0.0.1', port: ltPort });
      const ltNodes = (await lt.call({ cmd: 'status' })).nodes ?? 0;
      if (ours.stats().nodes > 0 && ltNodes > 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
  });

  afterAll(async () => {
    await ours?.close();
    await sock?.close();
    await lt?.quit();
  });

  it('each node has the other in its routing table', async () => {
    expect(ours.stats().nodes).toBe(1);
    expect((await lt.call({ cmd: 'status' })).nodes).toBeGreaterThanOrEqual(1);
  });

  it('we announce, libtorrent dht_get_peers finds us', async () => {
    const ih = randomBytes(20);
    const res = await ours.announce(ih, { port: 6881 });
    expect(res.announcedTo).toBe(1);
    const r = await lt.call({ cmd: 'get_peers', ih: idHex(ih), timeout: 20 });
    expect(r.peers).toContainEqual(['127.0.0.1', 6881]);
  });

  it('libtorrent announces, our getPeers finds it', async () => {
    const ih = randomBytes(20);
    const dir = await mkdtemp(join(tmpdir(), 'dht-interop-'));
    const ltListen = (await lt.call({ cmd: 'announce', ih: idHex(ih), dir })).port ?? 0;
    expect(ltListen).toBeGreaterThan(0);
    const deadline = Date.now() + 30_000;
    let found = false;
    while (!found && Date.now() < deadline) {
      const r = await ours.getPeers(ih);
      found = r.peers.some((p) => p.host === '127.0.0.1' && p.port === ltListen);
      if (!found) await new Promise((res) => setTimeout(res, 500));
    }
    expect(found).toBe(true);
    expect(events.filter((e) => e.type === 'dht_announce' && idHex(e.infoHash) === idHex(ih))).toHaveLength(1);
    expect(events.some((e) => e.type === 'dht_get_peers')).toBe(true);
    await rm(dir, { recursive: true, force: true });
  });
});
