// `swarmkit stream` as users run it: two CLI processes on loopback TCP. The stream command starts first,
// with no peer, so when the HTTP requests go out not one piece is there; then `swarmkit seed` dials it.
// Random Range requests (issued before and while the download runs) must return exactly the file's bytes;
// HEAD gives the headers a player needs; SIGTERM ends the command with exit 0 and removes its temp dir.
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { CreateTorrent } from '../../src/metainfo/create-torrent.js';
import { TorrentInfo } from '../../src/metainfo/torrent-info.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
type Line = Record<string, unknown> & { event: string };

/** A CLI process with its stdout read as JSON lines. */
class Cli {
  readonly lines: Line[] = [];
  stderr = '';
  readonly proc: ChildProcessWithoutNullStreams;
  readonly exited: Promise<number | null>;

  constructor(args: string[]) {
    this.proc = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stderr.setEncoding('utf8').on('data', (s: string) => { this.stderr += s; });
    createInterface({ input: this.proc.stdout }).on('line', (l) => {
      try {
        this.lines.push(JSON.parse(l) as Line);
      } catch {
        this.lines.push({ event: 'text', text: l });
      }
    });
    this.exited = new Promise((resolve) => this.proc.on('close', (code) => resolve(code)));
  }

  async event(event: string, ms = 60_000): Promise<Line> {
    const end = Date.now() + ms;
    for (;;) {
      const hit = this.lines.find((l) => l.event === event);
      if (hit) return hit;
      if (this.proc.exitCode !== null || Date.now() > end) throw new Error(`no '${event}' event; lines: ${JSON.stringify(this.lines)} stderr: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Deterministic bytes that differ at every offset modulo 2^32 (xorshift). */
function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 255;
  }
  return out;
}

const MOVIE = bytes(6 * 1024 * 1024 + 12_345, 7);
const SUBS = bytes(200_000, 9); // > 3 pieces of its own: with priority 0 they are not wanted
let dir: string;
let torrentFile: string;
let ti: TorrentInfo;
const procs: Cli[] = [];

function cli(args: string[]): Cli {
  const c = new Cli(args);
  procs.push(c);
  return c;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmkit-cli-stream-'));
  await mkdir(join(dir, 'data', 'show'), { recursive: true });
  await writeFile(join(dir, 'data', 'show', 'a-subs.vtt'), SUBS);
  await writeFile(join(dir, 'data', 'show', 'movie.mp4'), MOVIE);
  const ct = new CreateTorrent({ version: 'v1', pieceLength: 64 * 1024, creationDate: null });
  await ct.addPath(join(dir, 'data', 'show'));
  const raw = await ct.generate();
  torrentFile = join(dir, 'show.torrent');
  await writeFile(torrentFile, raw);
  ti = await TorrentInfo.fromBytes(raw);
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

function expectSame(got: Uint8Array, want: Uint8Array, what: string): void {
  expect(got.length, what).toBe(want.length);
  expect(Buffer.compare(got, want), what).toBe(0);
}

it('streams the largest file while it downloads: random Ranges, HEAD, SIGTERM exits 0', { timeout: 120_000 }, async () => {
  // Port 9 refuses: the stream has somewhere to look (else it refuses to start) but finds no one there.
  const stream = cli(['stream', torrentFile, '--peer', '127.0.0.1:9', '--bt-host', '127.0.0.1', '--json']);
  const ready = await stream.event('ready');
  const movieIndex = ti.files.findIndex((f) => f.path.at(-1) === 'movie.mp4');
  expect(ready).toMatchObject({ infoHash: ti.id, temporary: true, file: { index: movieIndex, path: 'show/movie.mp4', length: MOVIE.length, contentType: 'video/mp4' } });
  const url = ready.url as string;
  expect(url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/${ti.id}/${movieIndex}/`));
  const savePath = ready.savePath as string;
  expect(existsSync(savePath)).toBe(true);

  // HEAD before any piece is there: the headers do not wait for data.
  const head = await fetch(url, { method: 'HEAD' });
  expect(head.status).toBe(200);
  expect(head.headers.get('content-type')).toBe('video/mp4');
  expect(head.headers.get('accept-ranges')).toBe('bytes');
  expect(head.headers.get('content-length')).toBe(String(MOVIE.length));
  expect((await head.arrayBuffer()).byteLength).toBe(0);

  // Range requests issued now, with no peer: they must wait, then deliver exact bytes.
  let seed = 4242;
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const ranges: Array<[number, number]> = [[MOVIE.length - 1000, MOVIE.length - 1], [0, 0]];
  for (let i = 0; i < 12; i++) {
    const a = rnd(MOVIE.length);
    ranges.push([a, Math.min(MOVIE.length - 1, a + rnd(400_000))]);
  }
  const early = ranges.map(async ([a, b]) => {
    const res = await fetch(url, { headers: { Range: `bytes=${a}-${b}` } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes ${a}-${b}/${MOVIE.length}`);
    return { a, b, body: new Uint8Array(await res.arrayBuffer()) };
  });
  await new Promise((r) => setTimeout(r, 300));
  const before = stream.lines.filter((l) => l.event === 'progress').at(-1);
  expect(before?.totalDone ?? 0).toBe(0); // nothing downloaded yet: the requests above are pending

  // Now the seed appears and dials the stream's BitTorrent port.
  const seedProc = cli(['seed', torrentFile, '--data', join(dir, 'data'), '--host', '127.0.0.1', '--peer', `127.0.0.1:${ready.port as number}`, '--json']);
  await seedProc.event('ready');
  for (const r of await Promise.all(early)) expectSame(r.body, MOVIE.subarray(r.a, r.b + 1), `bytes=${r.a}-${r.b}`);

  // More ranges while (or after) the rest downloads, suffix and open-ended forms too.
  for (let i = 0; i < 8; i++) {
    const a = rnd(MOVIE.length);
    const res = await fetch(url, { headers: { Range: i % 2 === 0 ? `bytes=${a}-` : `bytes=-${MOVIE.length - a}` } });
    expect(res.status).toBe(206);
    expectSame(new Uint8Array(await res.arrayBuffer()), MOVIE.subarray(a), `from ${a}`);
  }
  const whole = await fetch(url);
  expect(whole.status).toBe(200);
  expectSame(new Uint8Array(await whole.arrayBuffer()), MOVIE, 'whole file');
  const bad = await fetch(url, { headers: { Range: `bytes=${MOVIE.length}-` } });
  expect(bad.status).toBe(416);
  await bad.arrayBuffer();

  // Only the streamed file was wanted: the subtitles file had priority 0.
  const progress = await (async () => {
    for (;;) {
      const p = stream.lines.filter((l) => l.event === 'progress').at(-1);
      if (p !== undefined && p.totalDone === p.totalWanted) return p;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  expect(progress.totalWanted).toBeLessThan(ti.totalLength);

  stream.proc.kill('SIGTERM');
  expect(await stream.exited).toBe(0);
  expect(stream.lines.at(-1)).toMatchObject({ event: 'done', signal: 'SIGTERM', infoHash: ti.id });
  expect((stream.lines.at(-1)!.downloaded as number)).toBeGreaterThanOrEqual(MOVIE.length);
  expect(existsSync(savePath)).toBe(false); // the temporary download directory is gone
  await expect(fetch(url)).rejects.toThrow(); // the server is closed
  seedProc.proc.kill('SIGTERM');
  expect(await seedProc.exited).toBe(0);
});

it('--file picks another file; --out keeps the data; a magnet link; a bad --file is a usage error (exit 2)', { timeout: 60_000 }, async () => {
  const subsIndex = ti.files.findIndex((f) => f.path.at(-1) === 'a-subs.vtt');
  const out = join(dir, 'kept');
  const seedProc = cli(['seed', torrentFile, '--data', join(dir, 'data'), '--host', '127.0.0.1', '--json']);
  const sready = await seedProc.event('ready');
  const stream = cli(['stream', torrentFile, '--file', String(subsIndex), '--out', out, '--peer', `127.0.0.1:${sready.port as number}`, '--json']);
  const ready = await stream.event('ready');
  expect(ready).toMatchObject({ temporary: false, savePath: out, file: { index: subsIndex, contentType: 'text/vtt; charset=utf-8' } });
  const res = await fetch(ready.url as string);
  expect(res.headers.get('content-type')).toBe('text/vtt; charset=utf-8');
  expectSame(new Uint8Array(await res.arrayBuffer()), SUBS, 'subs');
  stream.proc.kill('SIGINT');
  expect(await stream.exited).toBe(0);
  expect(existsSync(out)).toBe(true); // --out keeps the data

  // A magnet link: the metadata comes from the seed first, then the URL (largest file by default).
  const magnet = cli(['stream', `magnet:?xt=urn:btih:${ti.id}&x.pe=127.0.0.1:${sready.port as number}`, '--json']);
  const mready = await magnet.event('ready');
  expect(mready).toMatchObject({ infoHash: ti.id, file: { path: 'show/movie.mp4', length: MOVIE.length } });
  const part = await fetch(mready.url as string, { headers: { Range: 'bytes=100000-300000' } });
  expect(part.status).toBe(206);
  expectSame(new Uint8Array(await part.arrayBuffer()), MOVIE.subarray(100_000, 300_001), 'magnet range');
  magnet.proc.kill('SIGTERM');
  expect(await magnet.exited).toBe(0);

  const badFile = cli(['stream', torrentFile, '--file', '7', '--peer', '127.0.0.1:9', '--json']);
  expect(await badFile.exited).toBe(2);
  expect(badFile.stderr).toMatch(/--file 7: the torrent has no such file/);
  const noPeers = cli(['stream', torrentFile, '--json']);
  expect(await noPeers.exited).toBe(1);
  expect(noPeers.lines.at(-1)).toMatchObject({ event: 'error', code: 'connection_failed' });
});
