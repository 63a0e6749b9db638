/**
 * WebRTC benchmark, Node → Chromium on loopback, both measured in the same run between the same two ends:
 *   - torrent: a 256 MiB single-file v1 torrent (256 KiB pieces) seeded by a Node session (memory storage,
 *     @roamhq/wrtc, seed mode), downloaded by the built browser bundle's Session in a Chromium page (memory storage),
 *     peers found through our tracker-server's ws tracker. Throughput = payload / (seeding − first
 *     peer_connect) on the page's clock; the end-to-end figure (addTorrent → seeding) is printed too. The
 *     page's copy is hashed afterwards and must equal the seed's.
 *   - raw channel: one RTCPeerConnection from @roamhq/wrtc in Node to one in the page, a single data channel,
 *     256 MiB pumped with backpressure (sends while bufferedAmount < 1 MiB, reading bufferedAmount once per
 *     wake-up and counting what it sends, polls every 4 ms otherwise: @roamhq/wrtc has no
 *     bufferedamountlow; the high-water mark, wake-up and send loop of transports/webrtc's ChannelStream), the page only counting bytes (it stores and hashes nothing, so the torrent run's
 *     storage and hashing are costs the raw channel does not pay: the ratio includes them). Measured
 *     each round with two message sizes: 16 KiB (what simple-peer users and our transport used to send)
 *     and ChannelStream's own message size (64 KiB); the FASTER median is the reference, so a message
 *     size that suits WebRTC better cannot flatter the ratio. Throughput = bytes / (first send → the
 *     page's "done" message).
 * Prints MB/s (10^6 bytes/s) for each round, the medians and the ratio torrent / raw against the target ≥ 0.9×.
 * On Linux it also prints, per transfer, the share of UDP datagrams the kernel dropped because the receiving
 * socket's buffer was full (machine-wide counters, /proc/net/snmp and snmp6). SCTP's congestion control
 * raises its window until datagrams are lost, and on loopback the loss is here: Chromium's network service
 * asks for a 64 KiB receive buffer on its WebRTC sockets (`ss -uam` shows rb131072), and 0.6–1.6 % of the
 * datagrams of every transfer, raw or torrent, were dropped there. The drop share does not track a round's
 * speed; what sets a slow round apart are stalls of 0.5 s or more (seen in per-MiB timelines of both kinds),
 * which look like losses SCTP recovered only after a retransmission timeout. (With that buffer raised to
 * 4 MiB, an experiment outside this bench, every kind of transfer ran at 29–43 MB/s, drops were higher still,
 * and the ratio was 0.88×.)
 * Run alone: `npx tsx test/bench/webrtc.bench.ts [rounds, default 5]` (5: one round swings by ±20 % here).
 */
import { createHash } from 'node:crypto';
import { Session } from '../../src/session/session.js';
import { CreateTorrent } from '../../src/metainfo/create-torrent.js';
import { createMemoryStorage } from '../../storage-adapters/memory/index.js';
import type { WebRtcTransport} from '../../transports/webrtc/index.js';
import { DEFAULT_HIGH_WATER_MARK, DEFAULT_MAX_MESSAGE_SIZE, loadWrtc } from '../../transports/webrtc/index.js';
import { trackedWebRtc } from '../helpers/node-webrtc.js';
import { createTrackerServer } from '../../tracker-server/index.js';
import { nodeWebSocket } from '../../entry/node.js';
import { bytes, fillStorage } from '../unit/session/helpers.js';
import { openBrowser } from '../helpers/browser-page.js';
import type { BrowserHarness, KitGlobal } from '../helpers/browser-page.js';
import { median } from './stats.js';
import { udpCounters, udpLoss } from './proc-stats.js';

const SIZE = 256 * 1024 * 1024;
const PIECE = 256 * 1024;
const MSG = 16 * 1024;
const HIGH = DEFAULT_HIGH_WATER_MARK;
const POLL_MS = 4;
const TARGET = 0.9;
const TIMEOUT_MS = 300_000;

const mbps = (n: number, ms: number): number => n / 1e6 / (ms / 1000);

/** Node seed → page leech over the session stack; returns { transferMs, totalMs }. */
export async function torrentRun(harness: BrowserHarness, data: Uint8Array): Promise<{ transferMs: number; totalMs: number }> {
  const tracker = createTrackerServer({ ws: true, http: false, udp: false });
  const url = `ws://127.0.0.1:${(await tracker.listen(0, '127.0.0.1')).tcp}`;
  const ct = new CreateTorrent({ version: 'v1', pieceLength: PIECE, trackers: [url], creationDate: null });
  ct.addFile({ data, path: 'bench-256m.bin' });
  const ti = await ct.generateInfo();
  const storage = createMemoryStorage();
  await fillStorage(storage, ti, [{ path: 'bench-256m.bin', data }]);
  const rtc: WebRtcTransport[] = [];
  const seed = new Session({
    settings: { listenInterfaces: '', tickInterval: 100 },
    storage,
    transports: [],
    webSocket: nodeWebSocket,
    webrtc: trackedWebRtc(rtc),
  });
  const page = await harness.openPage('swarmkit', { isolated: true });
  try {
    await seed.ready();
    // Seed mode (libtorrent's): the data was just written, so it is trusted instead of hashed again.
    const h = await seed.addTorrent({ ti, savePath: 'seed', flags: { seedMode: true } });
    const deadline = Date.now() + 60_000;
    while (h.status().state !== 'seeding' && Date.now() < deadline) await seed.waitForAlert(100);
    if (h.status().state !== 'seeding') throw new Error(`the Node seed did not seed: ${h.status().state}`);
    const r = await page.page.evaluate((o) => (globalThis as KitGlobal).kit.download(o), { torrent: [...ti.toBytes()], storage: 'memory' as const, timeoutMs: TIMEOUT_MS });
    if (r.state !== 'seeding') throw new Error(`the page did not finish: ${JSON.stringify({ ...r, digest: undefined })}`);
    const want = createHash('sha256').update(data).digest('hex');
    if (r.digest !== want) throw new Error('the page holds different bytes');
    if (r.firstConnectMs < 0) throw new Error('no peer_connect in the page');
    if (page.errors.length > 0) throw new Error(`page errors: ${page.errors.join('; ')}`);
    return { transferMs: r.ms - r.firstConnectMs, totalMs: r.ms };
  } finally {
    await page.page.evaluate(() => (globalThis as KitGlobal).kit.closeAll()).catch(() => 0);
    await page.close();
    await page.page.context().close();
    await seed.close();
    await tracker.close();
  }
}

interface RawPeer {
  createDataChannel(label: string, init?: object): RawChannel;
  createOffer(): Promise<{ type: string; sdp?: string }>;
  setLocalDescription(d: object): Promise<void>;
  setRemoteDescription(d: object): Promise<void>;
  readonly localDescription: { type: string; sdp: string } | null;
  readonly iceGatheringState: string;
  addEventListener(ev: string, fn: () => void): void;
  close(): void;
}
interface RawChannel {
  binaryType: string;
  readonly bufferedAmount: number;
  readonly readyState: string;
  send(d: Uint8Array): void;
  onopen: (() => void) | null;
  onmessage: ((e: { data: unknown }) => void) | null;
  close(): void;
}

/** @roamhq/wrtc in Node → RTCPeerConnection in the page, one data channel; returns the pump time in ms. */
export async function rawRun(harness: BrowserHarness, data: Uint8Array, msg = MSG, high = HIGH): Promise<number> {
  const wrtc = await loadWrtc();
  const Pc = wrtc.RTCPeerConnection as new (c: object) => RawPeer;
  const pc = new Pc({ iceServers: [] });
  const page = await harness.openPage('swarmkit', { isolated: true });
  try {
    const ch = pc.createDataChannel('bench', { ordered: true });
    ch.binaryType = 'arraybuffer';
    const opened = new Promise<void>((r) => { ch.onopen = () => r(); });
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise<void>((resolve) => {
      if (pc.iceGatheringState === 'complete') resolve();
      else pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') resolve(); });
    });
    const offer = pc.localDescription;
    if (offer === null) throw new Error('no offer');
    const answer = await page.page.evaluate(async ({ offer, size }) => {
      const g = globalThis as typeof globalThis & { rawPc?: RTCPeerConnection };
      const p = new RTCPeerConnection({ iceServers: [] });
      g.rawPc = p;
      p.ondatachannel = (ev) => {
        const c = ev.channel;
        c.binaryType = 'arraybuffer';
        let got = 0;
        c.onmessage = (m: MessageEvent<ArrayBuffer>) => {
          got += m.data.byteLength;
          if (got === size) c.send('done');
        };
      };
      await p.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
      await p.setLocalDescription(await p.createAnswer());
      await new Promise<void>((resolve) => {
        if (p.iceGatheringState === 'complete') resolve();
        else p.addEventListener('icegatheringstatechange', () => { if (p.iceGatheringState === 'complete') resolve(); });
      });
      const d = p.localDescription;
      if (d === null) throw new Error('no answer');
      return { type: d.type, sdp: d.sdp };
    }, { offer: { type: offer.type, sdp: offer.sdp }, size: data.length });
    await pc.setRemoteDescription(answer);
    await opened;
    const done = new Promise<void>((r) => { ch.onmessage = (e) => { if (e.data === 'done') r(); }; });
    const t0 = performance.now();
    let off = 0;
    await new Promise<void>((resolve, reject) => {
      const pump = (): void => {
        if (ch.readyState !== 'open') { reject(new Error(`channel ${ch.readyState}`)); return; }
        // bufferedAmount read once per wake-up, then counted (as ChannelStream does: wrtc's getter is costly).
        let buffered = ch.bufferedAmount;
        while (off < data.length && buffered < high) {
          ch.send(data.subarray(off, Math.min(off + msg, data.length)));
          off += msg;
          buffered += msg;
        }
        if (off < data.length) setTimeout(pump, POLL_MS);
        else resolve();
      };
      pump();
    });
    const timer = setTimeout(() => {}, TIMEOUT_MS);
    await done.finally(() => clearTimeout(timer));
    const ms = performance.now() - t0;
    ch.close();
    return ms;
  } finally {
    pc.close();
    await page.page.evaluate(() => (globalThis as typeof globalThis & { rawPc?: RTCPeerConnection }).rawPc?.close()).catch(() => {});
    await page.close();
    await page.page.context().close();
  }
}

/**
 * Runs `runs` rounds (raw at both message sizes, then torrent, so all see the same machine state) and
 * prints each round's MB/s, the medians and the ratio of the torrent's median to the faster raw median.
 * Two cores run Chromium, Node and wrtc's threads (and whatever else the machine runs), so single
 * rounds vary by ±30 % or more; the medians are the figures to compare.
 */
export async function run(runs = 5): Promise<void> {
  const data = bytes(SIZE, 0x5eed);
  const harness = await openBrowser();
  const sizes = [MSG, DEFAULT_MAX_MESSAGE_SIZE];
  const raw = sizes.map(() => [] as number[]);
  const tor: number[] = [];
  const e2e: number[] = [];
  /** Per transfer kind (the raw sizes, then the torrent): the share of UDP datagrams dropped at a full buffer. */
  const loss = [...sizes, 0].map(() => [] as number[]);
  const lossed = async <T>(k: number, f: () => Promise<T>): Promise<T> => {
    const before = udpCounters();
    const out = await f();
    const l = udpLoss(before, udpCounters());
    if (l !== undefined) loss[k]?.push(l);
    return out;
  };
  const pct = (l: number | undefined): string => (l === undefined ? '?' : `${(100 * l).toFixed(2)} %`);
  const kib = (n: number): string => `${n / 1024} KiB`;
  try {
    console.log(`webrtc Node → Chromium, ${SIZE / 1024 / 1024} MiB, loopback, ${runs} rounds`);
    for (let i = 0; i < runs; i++) {
      for (const [k, msg] of sizes.entries()) raw[k]?.push(mbps(SIZE, await lossed(k, () => rawRun(harness, data, msg))));
      const t = await lossed(sizes.length, () => torrentRun(harness, data));
      tor.push(mbps(SIZE, t.transferMs));
      e2e.push(mbps(SIZE, t.totalMs));
      const raws = sizes.map((m, k) => `raw ${kib(m)} ${raw[k]?.[i]?.toFixed(1)} MB/s`).join(', ');
      console.log(`  round ${i + 1}: ${raws}, torrent ${tor[i]?.toFixed(1)} MB/s (end to end ${e2e[i]?.toFixed(1)} MB/s)`);
      if (loss.every((l) => l.length > i)) console.log(`    UDP datagrams dropped at a full receive buffer: ${loss.map((l) => pct(l[i])).join(' / ')}`);
    }
  } finally {
    await harness.close();
  }
  const rawMedians = raw.map(median);
  for (const [k, m] of sizes.entries()) {
    console.log(`  raw data channel (wrtc → RTCPeerConnection, ${kib(m)} msgs, ${kib(HIGH)} high water, ${POLL_MS} ms poll): median ${rawMedians[k]?.toFixed(1)} MB/s`);
  }
  console.log(`  swarmkit torrent (Node seed → page Session, memory storage), first peer_connect → seeding: median ${median(tor).toFixed(1)} MB/s (end to end ${median(e2e).toFixed(1)} MB/s)`);
  if (loss.every((l) => l.length > 0)) {
    console.log(`  UDP receive-buffer drops, median per transfer (raw ${sizes.map(kib).join(' / raw ')} / torrent): ${loss.map((l) => pct(median(l))).join(' / ')}`);
  }
  const best = Math.max(...rawMedians);
  const ratio = median(tor) / best;
  console.log(`  ratio torrent / faster raw: ${ratio.toFixed(2)}× (target ≥ ${TARGET}×) ${ratio >= TARGET ? 'OK' : 'BELOW TARGET'}`);
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const n = Number(process.argv[2] ?? 5);
  await run(Number.isInteger(n) && n > 0 ? n : 5);
}
