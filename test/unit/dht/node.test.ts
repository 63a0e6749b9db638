import { afterEach, describe, expect, it } from 'vitest';
import { DhtNode } from '../../../src/dht/node.js';
import type { DhtNodeOptions } from '../../../src/dht/node.js';
import type { DhtClock } from '../../../src/dht/clock.js';
import type { DhtEvent } from '../../../src/dht/settings.js';
import { decodeCompactNodes, decodeKrpc, encodeCompactNodes, encodeQuery, encodeResponse } from '../../../src/dht/krpc.js';
import type { KrpcMessage } from '../../../src/dht/krpc.js';
import { generateNodeId, randomIdWithPrefix } from '../../../src/dht/node-id.js';
import { bdecode, bencode } from '../../../src/metainfo/bencode.js';
import type { PeerAddress } from '../../../src/interfaces/transport.js';
import { MemoryDatagramNetwork } from '../../helpers/memory-datagram.js';

/** Manual clock: time moves only through advance(). */
class FakeClock implements DhtClock {
  t = 1_000_000;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private seq = 0;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = ++this.seq;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  };
  clearTimeout = (h: unknown) => {
    this.timers = this.timers.filter((x) => x.id !== h);
  };
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
      await flush();
    }
    this.t = end;
    await flush();
  }
  get pending(): number {
    return this.timers.length;
  }
}

const flush = async () => {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
};
const enc = (s: string) => new TextEncoder().encode(s);
const loose = { enforceNodeId: false, restrictRoutingIps: false, restrictSearchIps: false, blockRateLimit: 0, uploadRateLimit: 0 };

let nodes: DhtNode[] = [];
afterEach(async () => {
  for (const n of nodes) await n.close();
  for (const n of nodes) expect(n.pendingTimers).toBe(0);
  nodes = [];
});

async function makeNode(net: MemoryDatagramNetwork, host: string, opts: DhtNodeOptions = {}): Promise<DhtNode> {
  const sock = await net.bind({ host });
  const n = new DhtNode(sock, opts);
  nodes.push(n);
  await n.start();
  return n;
}

/** Sends a raw datagram from `from` to `node` and returns the decoded replies. */
async function ask(net: MemoryDatagramNetwork, node: DhtNode, from: PeerAddress, data: Uint8Array): Promise<KrpcMessage[]> {
  const mark = net.sent.length;
  net.inject(data, from, node.address);
  await flush();
  return net.sent
    .slice(mark)
    .filter((d) => d.to.host === from.host && d.to.port === from.port)
    .map((d) => decodeKrpc(d.data))
    .filter((m) => m.y !== 'q'); // the node also pings unknown queriers to verify them
}

describe('DhtNode answering queries', () => {
  const me = { host: '127.0.0.9', port: 999 };
  const myId = new Uint8Array(20).fill(9);

  it('answers ping, find_node, get_peers, announce_peer; stores and returns announced peers', async () => {
    const net = new MemoryDatagramNetwork();
    const events: DhtEvent[] = [];
    const n = await makeNode(net, '127.0.0.1', { settings: { ...loose, limitUnverifiedReplies: false }, onEvent: (e) => events.push(e) });
    const [pong] = await ask(net, n, me, encodeQuery(enc('p1'), 'ping', { id: myId }));
    expect(pong).toMatchObject({ y: 'r', id: n.id, ip: me });
    const ih = new Uint8Array(20).fill(0xab);
    const [gp] = await ask(net, n, me, encodeQuery(enc('g1'), 'get_peers', { id: myId, info_hash: ih }));
    expect(gp?.y).toBe('r');
    if (gp?.y !== 'r') return;
    const token = gp.r.get('token') as Uint8Array;
    expect(token).toBeInstanceOf(Uint8Array);
    expect(gp.r.get('values')).toBeUndefined();
    const [ann] = await ask(net, n, me, encodeQuery(enc('a1'), 'announce_peer', { id: myId, info_hash: ih, port: 6881, token }));
    expect(ann?.y).toBe('r');
    const other = { host: '127.0.0.10', port: 1000 };
    const [ann2] = await ask(net, n, other, encodeQuery(enc('a2'), 'announce_peer', { id: myId, info_hash: ih, port: 1, implied_port: 1, token }));
    expect(ann2).toMatchObject({ y: 'e', code: 203 }); // token was issued to another IP
    const [gp2] = await ask(net, n, other, encodeQuery(enc('g2'), 'get_peers', { id: myId, info_hash: ih }));
    if (gp2?.y !== 'r') throw new Error('no reply');
    expect(gp2.r.get('values')).toEqual([Uint8Array.from([127, 0, 0, 9, 0x1a, 0xe1])]);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['dht_get_peers', 'dht_announce']));
    expect(n.stats().peersStored).toBe(1);
  });

  it('implied_port uses the source port', async () => {
    const net = new MemoryDatagramNetwork();
    const n = await makeNode(net, '127.0.0.1', { settings: { ...loose, limitUnverifiedReplies: false } });
    const ih = new Uint8Array(20).fill(1);
    const [gp] = await ask(net, n, me, encodeQuery(enc('g1'), 'get_peers', { id: myId, info_hash: ih }));
    if (gp?.y !== 'r') throw new Error('no reply');
    await ask(net, n, me, encodeQuery(enc('a1'), 'announce_peer', { id: myId, info_hash: ih, port: 5, implied_port: 1, token: gp.r.get('token') as Uint8Array }));
    const [gp2] = await ask(net, n, me, encodeQuery(enc('g2'), 'get_peers', { id: myId, info_hash: ih }));
    if (gp2?.y !== 'r') throw new Error('no reply');
    expect(gp2.r.get('values')).toEqual([Uint8Array.from([127, 0, 0, 9, 999 >> 8, 999 & 255])]);
  });

  it('hostile packets: malformed → 203 or silence, unknown method → 204, garbage ignored, node keeps working', async () => {
    const net = new MemoryDatagramNetwork();
    const n = await makeNode(net, '127.0.0.1', { settings: { ...loose, limitUnverifiedReplies: false } });
    expect(await ask(net, n, me, bencode({ t: enc('x1'), y: 'q', q: 'ping', a: { id: enc('short') } }))).toMatchObject([{ y: 'e', code: 203 }]);
    expect(await ask(net, n, me, encodeQuery(enc('x2'), 'find_node', { id: myId }))).toMatchObject([{ y: 'e', code: 203 }]);
    expect(await ask(net, n, me, encodeQuery(enc('x3'), 'get_peers', { id: myId, info_hash: enc('short') }))).toMatchObject([{ y: 'e', code: 203 }]);
    expect(await ask(net, n, me, encodeQuery(enc('x4'), 'vote', { id: myId }))).toMatchObject([{ y: 'e', code: 204 }]);
    expect(await ask(net, n, me, enc('d1:t2:aa1:y1:qe'))).toMatchObject([{ y: 'e', code: 203 }]);
    for (const junk of [enc('garbage'), enc('d1:t2:aa1:y1:r1:rdee'), new Uint8Array(4000).fill(0x64), new Uint8Array(0)]) {
      expect(await ask(net, n, me, junk)).toHaveLength(0);
    }
    // an unsolicited response (no outstanding query) is ignored
    expect(await ask(net, n, me, encodeResponse(enc('zz'), { id: myId, nodes: new Uint8Array(26 * 50) }))).toHaveLength(0);
    expect(n.stats().droppedMalformed).toBeGreaterThanOrEqual(5);
    expect(await ask(net, n, me, encodeQuery(enc('ok'), 'ping', { id: myId }))).toMatchObject([{ y: 'r' }]);
  });

  it('ignores an IP sending more than 5 queries/s (over 10 s), others still served (case 26)', async () => {
    const net = new MemoryDatagramNetwork();
    const clock = new FakeClock();
    const n = await makeNode(net, '127.0.0.1', { clock, settings: { ...loose, blockRateLimit: 5, blockTimeoutMs: 60_000 } });
    let replies = 0;
    for (let i = 0; i < 80; i++) replies += (await ask(net, n, me, encodeQuery(enc(`f${i}`), 'ping', { id: myId }))).length;
    expect(replies).toBe(50);
    expect(n.stats().droppedRateLimited).toBe(30);
    expect(await ask(net, n, { host: '127.0.0.77', port: 5 }, encodeQuery(enc('o'), 'ping', { id: myId }))).toHaveLength(1);
    await clock.advance(30_000);
    expect(await ask(net, n, me, encodeQuery(enc('still'), 'ping', { id: myId }))).toHaveLength(0);
    await clock.advance(31_000);
    expect(await ask(net, n, me, encodeQuery(enc('again'), 'ping', { id: myId }))).toHaveLength(1);
  });

  it('never replies with more bytes than the query to an unverified source (case 27)', async () => {
    const net = new MemoryDatagramNetwork();
    const n = await makeNode(net, '127.0.0.1', { settings: { ...loose } });
    // fill the routing table with answering nodes
    const peers = [];
    for (let i = 0; i < 12; i++) peers.push(await makeNode(net, `127.0.1.${i}`, { settings: loose }));
    for (const p of peers) expect(await n.addNode(p.address)).toBe(true);
    expect(n.stats().nodes + n.stats().replacements).toBe(12);
    expect(n.stats().nodes).toBeGreaterThanOrEqual(8);
    const ih = new Uint8Array(20).fill(3);
    for (let i = 0; i < 40; i++) {
      const host = `127.0.2.${i}`;
      const [gp] = await ask(net, n, { host, port: 1 }, encodeQuery(enc('g'), 'get_peers', { id: myId, info_hash: ih }));
      if (gp?.y !== 'r') throw new Error('no reply');
      await ask(net, n, { host, port: 1 }, encodeQuery(enc('a'), 'announce_peer', { id: myId, info_hash: ih, port: 2, token: gp.r.get('token') as Uint8Array }));
    }
    const spoofed = { host: '127.0.3.3', port: 3 };
    for (const q of [
      encodeQuery(enc('s1'), 'ping', { id: myId }),
      encodeQuery(enc('s2'), 'find_node', { id: myId, target: ih }),
      encodeQuery(enc('s3'), 'get_peers', { id: myId, info_hash: ih }),
      encodeQuery(enc('s4'), 'nope', { id: myId }),
    ]) {
      const mark = net.sent.length;
      net.inject(q, spoofed, n.address);
      await flush();
      const out = net.sent.slice(mark).filter((d) => d.to.port === spoofed.port && d.to.host === spoofed.host);
      expect(out.length).toBeGreaterThan(0);
      // replies, and the one verification ping, are no larger than the query
      for (const d of out) expect(d.data.length).toBeLessThanOrEqual(q.length);
      expect(out.filter((d) => decodeKrpc(d.data).y === 'q').length).toBeLessThanOrEqual(1);
    }
    // the spoofed address never answered our ping, so it stays unverified
    // a real node that answers gets full replies: K nodes and all 40 peers
    const verifiedPeer = peers[0] as DhtNode;
    const [full] = await ask(net, n, verifiedPeer.address, encodeQuery(enc('v'), 'get_peers', { id: verifiedPeer.id, info_hash: ih }));
    if (full?.y !== 'r') throw new Error('no reply');
    expect((full.r.get('values') as unknown[]).length).toBe(40);
    expect(decodeCompactNodes(full.r.get('nodes') as Uint8Array, 4, 100)).toHaveLength(8);
  });
});

describe('DhtNode routing and lookups', () => {
  it('a lookup asks again, once verified, a node whose reply was cut to the query size (case 27)', async () => {
    const net = new MemoryDatagramNetwork();
    // a scripted node that, like ours, trims its first get_peers reply to an unverified asker and then pings it
    const fake = await net.bind({ host: '127.0.6.1' });
    const fakeId = new Uint8Array(20).fill(0x66);
    const ih = new Uint8Array(20).fill(0x42);
    const seen: string[] = [];
    fake.setSink({
      message: (d, from) => {
        const m = decodeKrpc(d);
        if (m.y === 'r') seen.push('pong');
        if (m.y !== 'q') return;
        seen.push(m.method);
        if (m.method === 'find_node') {
          // bootstrap: a full-size answer (bigger than the query) with no other nodes
          void fake.send(encodeResponse(m.t, { id: fakeId, nodes: new Uint8Array(0), pad: new Uint8Array(200) }), from);
        } else if (m.method === 'get_peers' && seen.filter((x) => x === 'get_peers').length === 1) {
          void fake.send(encodeResponse(m.t, { id: fakeId, token: enc('tk') }), from).then(() => fake.send(encodeQuery(enc('pp'), 'ping', { id: fakeId }), from));
        } else if (m.method === 'get_peers') {
          void fake.send(encodeResponse(m.t, { id: fakeId, token: enc('tk'), values: [new Uint8Array([10, 1, 2, 3, 0x1a, 0x0a])] }), from);
        }
      },
      close: () => {},
    });
    const asker = await makeNode(net, '127.0.5.1', { settings: { ...loose, bootstrapNodes: [`127.0.6.1:${fake.address.port}`] } });
    const res = await asker.getPeers(ih);
    expect(res.peers).toEqual([{ host: '10.1.2.3', port: 0x1a0a }]);
    // the second get_peers went out only after our answer to the node's verification ping
    expect(seen.slice(seen.indexOf('get_peers'))).toEqual(['get_peers', 'pong', 'get_peers']);
  });

  it('nodes sharing one address (a NAT, loopback) bootstrap, announce and find each other through a default-limited router', async () => {
    // Regression: a one-second burst allowance got the shared address blocked for five minutes while the
    // second node was still bootstrapping (the re-asks of trimmed replies add queries); libtorrent judges over 10 s.
    const net = new MemoryDatagramNetwork();
    const open = { enforceNodeId: false, restrictRoutingIps: false, restrictSearchIps: false };
    const router = await makeNode(net, '127.0.0.1', { settings: { ...open, bootstrapNodes: [] } });
    const boot = [`127.0.0.1:${router.address.port}`];
    const seed = await makeNode(net, '127.0.0.1', { settings: { bootstrapNodes: boot } });
    const ih = new Uint8Array(20).fill(0x17);
    expect((await seed.announce(ih, { port: 4567 })).announcedTo).toBe(1);
    const leech = await makeNode(net, '127.0.0.1', { settings: { bootstrapNodes: boot } });
    const res = await leech.getPeers(ih);
    expect(res.peers).toEqual([{ host: '127.0.0.1', port: 4567 }]);
    expect(router.stats().droppedRateLimited).toBe(0);
  });

  it('a reply that only might be trimmed costs at most half the soft timeout when no ping follows', async () => {
    const clock = new FakeClock();
    const net = new MemoryDatagramNetwork();
    const fake = await net.bind({ host: '127.0.6.2' });
    let asked = 0;
    fake.setSink({
      message: (d, from) => {
        const m = decodeKrpc(d);
        if (m.y !== 'q') return;
        if (m.method === 'get_peers') asked++;
        void fake.send(encodeResponse(m.t, { id: new Uint8Array(20).fill(0x67), token: enc('tk') }), from);
      },
      close: () => {},
    });
    const asker = new DhtNode(await net.bind({ host: '127.0.5.2' }), { clock, settings: { ...loose, softTimeoutMs: 1000 } });
    nodes.push(asker);
    await asker.start();
    expect(await asker.addNode(fake.address)).toBe(true);
    let done = false;
    const run = asker.getPeers(new Uint8Array(20).fill(1)).then((r) => ((done = true), r));
    await flush(); // the reply arrives
    await clock.advance(499);
    expect(done).toBe(false);
    await clock.advance(1);
    expect(done).toBe(true);
    expect((await run).peers).toEqual([]);
    expect(asked).toBe(1);
  });

  it('lookups over a small network find announced peers; queries time out on dead nodes; close clears timers', async () => {
    const net = new MemoryDatagramNetwork();
    const seed = await makeNode(net, '127.0.0.1', { settings: loose });
    const others: DhtNode[] = [];
    for (let i = 0; i < 15; i++) others.push(await makeNode(net, `127.0.7.${i}`, { settings: { ...loose, bootstrapNodes: ['127.0.0.1:' + seed.address.port] } }));
    const ih = new Uint8Array(20).fill(0x42);
    const a = others[3] as DhtNode;
    const b = others[11] as DhtNode;
    const ann = await a.announce(ih, { port: 7777 });
    expect(ann.announcedTo).toBeGreaterThan(0);
    const seen: PeerAddress[] = [];
    for await (const batch of b.peers(ih)) seen.push(...batch);
    expect(seen).toContainEqual({ host: a.address.host, port: 7777 });
    const st = b.stats();
    expect(st.nodes).toBeGreaterThan(5);
    // a dead node: queries time out and count as failures
    const clock = new FakeClock();
    const lonely = await makeNode(net, '127.0.8.1', { clock, settings: { ...loose, queryTimeoutMs: 1000 } });
    const p = lonely.addNode({ host: '127.0.8.99', port: 1 });
    await clock.advance(1001);
    expect(await p).toBe(false);
    expect(lonely.stats().timeouts).toBe(1);
    const pending = lonely.addNode({ host: '127.0.8.98', port: 1 });
    await lonely.close();
    expect(await pending).toBe(false);
    expect(lonely.pendingTimers).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('saves and restores its id and good nodes', async () => {
    const net = new MemoryDatagramNetwork();
    const a = await makeNode(net, '127.0.0.1', { settings: loose });
    const b = await makeNode(net, '127.0.0.2', { settings: loose });
    await a.addNode(b.address);
    const state = a.saveState();
    const round = bdecode(bencode(state)) as Map<string, unknown>;
    await a.close();
    const sock = await net.bind({ host: '127.0.0.3' });
    const c = new DhtNode(sock, { settings: loose });
    nodes.push(c);
    c.loadState({ id: round.get('id'), nodes: round.get('nodes'), nodes6: round.get('nodes6') });
    expect(c.id).toEqual(state.id);
    await c.start();
    expect(c.stats().nodes).toBe(1);
  });

  it('changes its id to a BEP 42 one after three nodes agree on our external IP', async () => {
    const net = new MemoryDatagramNetwork();
    const events: DhtEvent[] = [];
    const n = await makeNode(net, '127.0.0.1', { settings: { ...loose, enforceNodeId: true }, onEvent: (e) => events.push(e) });
    const before = n.id.slice();
    for (let i = 0; i < 3; i++) {
      const voter = await net.bind({ host: `127.0.9.${i}` });
      voter.setSink({
        message(data, from) {
          const m = decodeKrpc(data);
          if (m.y === 'q') void voter.send(encodeResponse(m.t, { id: randomIdWithPrefix(before, 3) }, { host: '5.6.7.8', port: from.port }), from);
        },
        close() {},
      });
      await n.addNode(voter.address);
      await voter.close();
    }
    expect(events).toContainEqual({ type: 'dht_external_ip', host: '5.6.7.8' });
    expect(n.stats().externalIP).toBe('5.6.7.8');
    expect(n.id).not.toEqual(before);
    const { verifyNodeId } = await import('../../../src/dht/node-id.js');
    expect(verifyNodeId(n.id, '5.6.7.8')).toBe(true);
  });
});
