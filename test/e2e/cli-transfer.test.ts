// The CLI as users run it, two processes over TCP on loopback: `swarmkit seed` → `swarmkit download` of a
// small multi-file torrent (v1 and hybrid), JSON-lines shapes, human output, exit codes, the seed's clean
// shutdown on SIGTERM / SIGINT, and the failures a user meets (no peers, unreachable peer, wrong data).
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CreateTorrent } from '../../src/metainfo/create-torrent.js';
import type { TorrentVersion } from '../../src/metainfo/create-torrent.js';
import { TorrentInfo } from '../../src/metainfo/torrent-info.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const FILES: Array<[string, number]> = [['a.bin', 300_001], ['sub/b.bin', 70_000], ['sub/c.txt', 12], ['d.bin', 131_072]];

type Line = Record<string, unknown> & { event: string };

/** A CLI process with its stdout parsed as JSON lines (non-JSON lines kept as text). */
class Cli {
  readonly lines: Line[] = [];
  readonly text: string[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  readonly proc: ChildProcessWithoutNullStreams;
  #waiters: Array<() => void> = [];

  constructor(args: string[]) {
    this.proc = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stderr.setEncoding('utf8').on('data', (s: string) => { this.stderr += s; });
    createInterface({ input: this.proc.stdout }).on('line', (l) => {
      try {
        this.lines.push(JSON.parse(l) as Line);
      } catch {
        this.text.push(l);
      }
      for (const w of this.#waiters.splice(0)) w();
    });
    this.exited = new Promise((resolve) => this.proc.on('close', (code) => {
      resolve(code);
      for (const w of this.#waiters.splice(0)) w();
    }));
  }

  /** Resolves with the first line with `event`, or rejects when the process ends first or after `ms`. */
  async event(event: string, ms = 60_000): Promise<Line> {
    const end = Date.now() + ms;
    for (;;) {
      const hit = this.lines.find((l) => l.event === event);
      if (hit) return hit;
      if (this.proc.exitCode !== null || Date.now() > end) throw new Error(`no '${event}' event; lines: ${JSON.stringify(this.lines)} stderr: ${this.stderr}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 200);
        this.#waiters.push(() => { clearTimeout(t); r(); });
      });
    }
  }

  /** Waits for the text line matching `re` (human mode). */
  async textLine(re: RegExp, ms = 60_000): Promise<string> {
    const end = Date.now() + ms;
    for (;;) {
      const hit = this.text.find((l) => re.test(l));
      if (hit !== undefined) return hit;
      if (this.proc.exitCode !== null || Date.now() > end) throw new Error(`no line matching ${re}; text: ${JSON.stringify(this.text)} stderr: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

let dir: string;
const procs: Cli[] = [];
const torrents = new Map<TorrentVersion, { file: string; ti: TorrentInfo }>();

function cli(args: string[]): Cli {
  const c = new Cli(args);
  procs.push(c);
  return c;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmkit-cli-transfer-'));
  for (const [p, n] of FILES) {
    await mkdir(join(dir, 'data', 'payload', p, '..'), { recursive: true });
    await writeFile(join(dir, 'data', 'payload', p), new Uint8Array(n).map((_, i) => (i * 31 + n) & 255));
  }
  for (const version of ['v1', 'hybrid'] as const) {
    const ct = new CreateTorrent({ version, pieceLength: 32_768, creationDate: null });
    await ct.addPath(join(dir, 'data', 'payload'));
    const bytes = await ct.generate();
    const file = join(dir, `${version}.torrent`);
    await writeFile(file, bytes);
    torrents.set(version, { file, ti: await TorrentInfo.fromBytes(bytes) });
  }
});

afterEach(async () => {
  for (const p of procs.splice(0)) {
    if (p.proc.exitCode === null) p.proc.kill('SIGKILL');
    await p.exited;
  }
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

const dataBytes = FILES.reduce((n, [, s]) => n + s, 0);

function expectFigures(l: Line): void {
  expect(typeof l.seconds).toBe('number');
  expect(l.seconds as number).toBeGreaterThan(0);
  expect(l.cpuSeconds as number).toBeGreaterThan(0);
  expect(l.maxRSS as number).toBeGreaterThan(10 * 1024 * 1024);
}

describe.each(['v1', 'hybrid'] as const)('swarmkit seed → swarmkit download (%s, TCP loopback)', (version) => {
  it('transfers and verifies; JSON lines; seed exits 0 on SIGTERM', { timeout: 120_000 }, async () => {
    const t = torrents.get(version)!;
    const seed = cli(['seed', t.file, '--data', join(dir, 'data'), '--host', '127.0.0.1', '--port', '0', '--json']);
    const ready = await seed.event('ready');
    expect(ready).toMatchObject({ event: 'ready', infoHash: t.ti.id, seedMode: false });
    expect(Number.isInteger(ready.port) && (ready.port as number) > 0).toBe(true);

    const out = join(dir, `out-${version}`);
    const dl = cli(['download', t.file, '--out', out, '--peer', `127.0.0.1:${ready.port as number}`, '--host', '127.0.0.1', '--timeout', '60', '--json']);
    expect(await dl.exited).toBe(0);
    expect(dl.text).toEqual([]); // nothing but JSON on stdout
    const [first] = dl.lines;
    expect(first).toMatchObject({ event: 'ready', infoHash: t.ti.id });
    expect(first!.port as number).toBeGreaterThan(0);
    const progress = dl.lines.filter((l) => l.event === 'progress');
    expect(progress.length).toBeGreaterThanOrEqual(1);
    for (const p of progress) {
      for (const k of ['progress', 'downloadRate', 'uploadRate', 'numPeers']) expect(typeof p[k], k).toBe('number');
      expect(typeof p.state).toBe('string');
    }
    expect(progress.at(-1)).toMatchObject({ progress: 1, state: 'seeding' });
    const done = dl.lines.at(-1)!;
    expect(done).toMatchObject({ event: 'done', infoHash: t.ti.id, bytes: dataBytes });
    expect(done.downloaded as number).toBeGreaterThanOrEqual(dataBytes);
    expectFigures(done);
    expect(dl.lines.some((l) => l.event === 'error')).toBe(false);
    await expectSameData(out);

    // The seed reports progress about once a second and counted the upload.
    await seed.event('progress');
    seed.proc.kill('SIGTERM');
    expect(await seed.exited).toBe(0);
    const sdone = seed.lines.at(-1)!;
    expect(sdone).toMatchObject({ event: 'done', signal: 'SIGTERM', infoHash: t.ti.id });
    expect(sdone.bytes as number).toBeGreaterThanOrEqual(dataBytes);
    expectFigures(sdone);
  });
});

describe('swarmkit seed / download: human output, failures', () => {
  it('human mode: ready line with the port, download summary, SIGINT stops the seed with exit 0', { timeout: 120_000 }, async () => {
    const t = torrents.get('v1')!;
    const seed = cli(['seed', t.file, '--data', join(dir, 'data'), '--host', '127.0.0.1', '--seed-mode']);
    const line = await seed.textLine(/^Seeding /);
    const port = Number(/on port (\d+)/.exec(line)?.[1]);
    expect(port).toBeGreaterThan(0);
    const out = join(dir, 'out-human');
    const dl = cli(['download', t.file, '-o', out, '--peer', `127.0.0.1:${port}`, '--timeout', '60']);
    expect(await dl.exited).toBe(0);
    expect(dl.text.join('\n')).toMatch(/^Downloaded payload: .* all pieces verified$/m);
    expect(dl.stderr).not.toContain('\r'); // no bar when stderr is not a terminal
    await expectSameData(out);
    seed.proc.kill('SIGINT');
    expect(await seed.exited).toBe(0);
    expect(seed.stderr).toMatch(/Stopped \(SIGINT\)/);
  });

  it('download without --peer of a torrent without trackers says there is nowhere to find peers', async () => {
    const dl = cli(['download', torrents.get('v1')!.file, '--out', join(dir, 'nowhere'), '--json']);
    expect(await dl.exited).toBe(1);
    expect(dl.lines.at(-1)).toMatchObject({ event: 'error', code: 'connection_failed' });
    expect(dl.stderr).toMatch(/no peers to download from: give --peer/);
  });

  it('download from an unreachable peer times out with exit 1 and names the peer', { timeout: 60_000 }, async () => {
    // A port that was just free: nothing listens there.
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise((r) => srv.close(r));
    const dl = cli(['download', torrents.get('v1')!.file, '--out', join(dir, 'unreachable'), '--peer', `127.0.0.1:${port}`, '--timeout', '3', '--json']);
    expect(await dl.exited).toBe(1);
    expect(dl.lines[0]).toMatchObject({ event: 'ready' });
    const err = dl.lines.at(-1)!;
    expect(err).toMatchObject({ event: 'error', code: 'timeout' });
    expect(err.message).toMatch(new RegExp(`timed out after 3 s at 0\\.0%: no peer connected .*127\\.0\\.0\\.1:${port}`));
  });

  it('seed refuses data that does not match the torrent (exit 1, hash_failed)', { timeout: 60_000 }, async () => {
    const wrong = join(dir, 'wrong');
    for (const [p, n] of FILES) {
      await mkdir(join(wrong, 'payload', p, '..'), { recursive: true });
      await writeFile(join(wrong, 'payload', p), new Uint8Array(n).fill(7));
    }
    const seed = cli(['seed', torrents.get('v1')!.file, '--data', wrong, '--port', '0', '--host', '127.0.0.1', '--json']);
    expect(await seed.exited).toBe(1);
    expect(seed.lines.some((l) => l.event === 'ready')).toBe(false);
    expect(seed.lines.at(-1)).toMatchObject({ event: 'error', code: 'hash_failed' });
    expect(seed.stderr).toMatch(/does not match the torrent: 0 of \d+ pieces verified/);
  });

  it('usage errors exit 2', async () => {
    const a = cli(['download', torrents.get('v1')!.file]);
    const b = cli(['seed', torrents.get('v1')!.file, '--data', dir, '--port', '70000']);
    const c = cli(['download', torrents.get('v1')!.file, '--out', dir, '--peer', 'nohost']);
    expect(await a.exited).toBe(2);
    expect(a.stderr).toMatch(/--out DIR is required/);
    expect(await b.exited).toBe(2);
    expect(b.stderr).toMatch(/--port '70000' is not a port number/);
    expect(await c.exited).toBe(2);
    expect(c.stderr).toMatch(/--peer 'nohost' is not host:port/);
  });
});
