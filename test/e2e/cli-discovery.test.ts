// The CLI's discovery flags (issue 4), as users run them: `swarmkit seed` and `swarmkit download` in their
// own processes on loopback, where the leech is given only a magnet link (or a bare info-hash) and finds
// the seed through our tracker-server (HTTP and UDP, `--tracker`) or through the DHT (`--dht-bootstrap`
// naming a DHT node that both bootstrap from; the seed's ready line gives its own dhtPort). Data verified
// byte for byte; every process is gone (exit code seen) after each test.
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CreateTorrent } from '../../src/metainfo/create-torrent.js';
import { TorrentInfo } from '../../src/metainfo/torrent-info.js';
import { DhtNode } from '../../src/dht/node.js';
import type { DhtEvent } from '../../src/dht/settings.js';
import { toHex } from '../../src/metainfo/info-hash.js';
import { createUdpFactory } from '../../transports/udp/index.js';
import { createTrackerServer } from '../../tracker-server/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const FILES: Array<[string, number]> = [['a.bin', 200_001], ['sub/b.bin', 45_000]];

type Line = Record<string, unknown> & { event: string };

/** A CLI process with its stdout parsed as JSON lines. */
class Cli {
  readonly lines: Line[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  readonly proc: ChildProcessWithoutNullStreams;

  constructor(args: string[]) {
    this.proc = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stderr.setEncoding('utf8').on('data', (s: string) => { this.stderr += s; });
    createInterface({ input: this.proc.stdout }).on('line', (l) => {
      try {
        this.lines.push(JSON.parse(l) as Line);
      } catch {
        // human text: not used here
      }
    });
    this.exited = new Promise((resolve) => this.proc.on('close', (code) => resolve(code)));
  }

  /** Resolves with the first line with `event`; rejects when the process ends first or after `ms`. */
  async event(event: string, ms = 60_000): Promise<Line> {
    const end = Date.now() + ms;
    for (;;) {
      const hit = this.lines.find((l) => l.event === event);
      if (hit) return hit;
      if (this.proc.exitCode !== null || Date.now() > end) throw new Error(`no '${event}' event; lines: ${JSON.stringify(this.lines.slice(-5))} stderr: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

let dir: string;
let file: string;
let ti: TorrentInfo;
const procs: Cli[] = [];
const cleanups: Array<() => Promise<void>> = [];

function cli(args: string[]): Cli {
  const c = new Cli(args);
  procs.push(c);
  return c;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmkit-cli-discovery-'));
  for (const [p, n] of FILES) {
    await mkdir(join(dir, 'data', 'payload', p, '..'), { recursive: true });
    await writeFile(join(dir, 'data', 'payload', p), new Uint8Array(n).map((_, i) => (i * 17 + n) & 255));
  }
  // No trackers in the torrent: the seed and the leech only know what their flags tell them.
  const ct = new CreateTorrent({ version: 'v1', pieceLength: 16_384, creationDate: null });
  await ct.addPath(join(dir, 'data', 'payload'));
  const bytes = await ct.generate();
  file = join(dir, 'v1.torrent');
  await writeFile(file, bytes);
  ti = await TorrentInfo.fromBytes(bytes);
});

afterEach(async () => {
  for (const p of procs.splice(0)) {
    if (p.proc.exitCode === null) p.proc.kill('SIGTERM');
    const code = await p.exited;
    expect(code, p.stderr).toBe(0);
    expect(p.proc.exitCode !== null || p.proc.signalCode !== null).toBe(true);
  }
  for (const c of cleanups.splice(0)) await c();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function expectSameData(out: string): Promise<void> {
  for (const [p] of FILES) {
    const got = await readFile(join(out, 'payload', p));
    const want = await readFile(join(dir, 'data', 'payload', p));
    expect(Buffer.compare(got, want), p).toBe(0);
  }
}

/** Waits for the download to end and checks its JSON lines and data. */
async function expectDownloaded(dl: Cli, out: string): Promise<void> {
  expect(await dl.exited, dl.stderr).toBe(0);
  const ready = dl.lines.find((l) => l.event === 'ready')!;
  expect(ready).toMatchObject({ infoHash: ti.id, totalLength: null });
  const meta = dl.lines.find((l) => l.event === 'metadata');
  expect(meta).toMatchObject({ infoHash: ti.id, name: ti.name, totalLength: ti.totalLength, pieces: ti.pieceCount });
  expect(dl.lines.at(-1)).toMatchObject({ event: 'done', infoHash: ti.id, bytes: ti.totalLength });
  await expectSameData(out);
}

describe('swarmkit seed → swarmkit download of a magnet link', () => {
  it.each(['http', 'udp'] as const)('through our tracker-server over %s (--tracker)', { timeout: 90_000 }, async (kind) => {
    const server = createTrackerServer({ http: true, udp: true, ws: false, intervalSec: 60 });
    const addr = await server.listen(0, '127.0.0.1');
    cleanups.push(() => server.close());
    const url = kind === 'http' ? `http://127.0.0.1:${addr.tcp!}/announce` : `udp://127.0.0.1:${addr.udp!}/announce`;
    const seed = cli(['seed', file, '--data', join(dir, 'data'), '--host', '127.0.0.1', '--no-dht', '--tracker', url, '--json']);
    const ready = await seed.event('ready');
    expect(ready.dhtPort).toBeNull();
    const out = join(dir, `out-tracker-${kind}`);
    const dl = cli(['download', ti.toMagnet(), '--out', out, '--host', '127.0.0.1', '--no-dht', '--tracker', url, '--timeout', '60', '--json']);
    await expectDownloaded(dl, out);
    seed.proc.kill('SIGTERM');
    expect(await seed.exited).toBe(0);
  });

  it('through the DHT (--dht-bootstrap); the seed\'s ready line gives its dhtPort', { timeout: 90_000 }, async () => {
    // A DHT node both bootstrap from, as a public router would be (loopback: restrictions off here only).
    const sock = await createUdpFactory().bind({ host: '127.0.0.1', port: 0 });
    const events: DhtEvent[] = [];
    const router = new DhtNode(sock, { settings: { enforceNodeId: false, restrictRoutingIps: false, restrictSearchIps: false, bootstrapNodes: [] }, onEvent: (e) => events.push(e) });
    await router.start();
    cleanups.push(async () => {
      await router.close();
      await sock.close();
    });
    const boot = `127.0.0.1:${sock.address.port}`;
    const seed = cli(['seed', file, '--data', join(dir, 'data'), '--host', '127.0.0.1', '--dht-bootstrap', boot, '--json']);
    const ready = await seed.event('ready');
    expect(typeof ready.dhtPort).toBe('number');
    expect(ready.dhtPort as number).toBeGreaterThan(0);
    // The seed announced itself (its TCP port) to the router.
    const end = Date.now() + 30_000;
    while (!events.some((e) => e.type === 'dht_announce' && toHex(e.infoHash) === ti.id && e.port === ready.port)) {
      if (Date.now() > end) throw new Error(`no announce from the seed: ${JSON.stringify(events.map((e) => e.type))} ${seed.stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const out = join(dir, 'out-dht');
    // A bare info-hash: nothing but the DHT to find the seed and the metadata.
    const dl = cli(['download', ti.id, '--out', out, '--host', '127.0.0.1', '--dht-bootstrap', boot, '--timeout', '60', '--json']);
    await expectDownloaded(dl, out);
    expect(dl.lines.find((l) => l.event === 'ready')!.dhtPort).toEqual(expect.any(Number));
    seed.proc.kill('SIGTERM');
    expect(await seed.exited).toBe(0);
  });

  it('refuses at once when there is nowhere to find peers, and rejects contradictory flags', { timeout: 30_000 }, async () => {
    const none = cli(['download', ti.toMagnet(), '--out', join(dir, 'none'), '--json']);
    expect(await none.exited).toBe(1);
    expect(none.lines.at(-1)).toMatchObject({ event: 'error', code: 'connection_failed' });
    expect(none.stderr).toMatch(/--dht-bootstrap/);
    const bad = cli(['download', ti.id, '--out', join(dir, 'none'), '--dht', '--no-dht', '--json']);
    expect(await bad.exited).toBe(2);
    const bad2 = cli(['seed', file, '--data', join(dir, 'data'), '--tracker', 'ftp://x/announce', '--json']);
    expect(await bad2.exited).toBe(2);
    procs.splice(0); // all exited; their codes were checked here
  });
});
