// The CLI as users run it: a child process (`node --import tsx cli/main.ts ...`) on real temporary files.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bencode } from '../../src/metainfo/bencode.js';
import { TorrentInfo } from '../../src/metainfo/torrent-info.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface Run { code: number; stdout: string; stderr: string }

function cli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: root, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

let dir: string;
let content: string;
const fileA = new Uint8Array(100_000).map((_, i) => (i * 7919) & 255);
const fileB = new TextEncoder().encode('hello world\n');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmkit-cli-'));
  content = join(dir, 'content');
  await mkdir(join(content, 'sub'), { recursive: true });
  await writeFile(join(content, 'a.bin'), fileA);
  await writeFile(join(content, 'sub', 'b.txt'), fileB);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('swarmkit create → info', { timeout: 90_000 }, () => {
  it('creates a v1 torrent whose pieces hash the real files, and info reads it back', async () => {
    const out = join(dir, 'v1.torrent');
    const made = await cli(['create', content, '-o', out, '--v1', '--piece-length', '32K', '--tracker', 'http://t1.example/announce,http://t2.example/announce',
      '--tracker', 'udp://t3.example:6969', '--web-seed', 'http://ws.example/files/', '--comment', 'test comment', '--private']);
    expect(made.stderr).not.toMatch(/error/);
    expect(made.code).toBe(0);
    expect(made.stdout).toContain(`Created ${out}`);

    // The file on disk is a real torrent over the real bytes: check piece hashes ourselves.
    const t = await TorrentInfo.fromBytes(new Uint8Array(await readFile(out)));
    expect(t.metaVersion).toBe('v1');
    expect(t.pieceLength).toBe(32768);
    expect(t.isPrivate).toBe(true);
    expect(t.announce).toEqual([['http://t1.example/announce', 'http://t2.example/announce'], ['udp://t3.example:6969']]);
    expect(t.urlList).toEqual(['http://ws.example/files/']);
    expect(t.comment).toBe('test comment');
    const all = new Uint8Array(fileA.length + fileB.length);
    all.set(fileA);
    all.set(fileB, fileA.length);
    for (let i = 0; i < t.pieceCount; i++) {
      const piece = all.subarray(i * t.pieceLength, Math.min(all.length, (i + 1) * t.pieceLength));
      expect(Buffer.from(t.pieceHash(i)!).toString('hex')).toBe(createHash('sha1').update(piece).digest('hex'));
    }

    const shown = await cli(['info', out]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^Name: +content$/m);
    expect(shown.stdout).toContain(`Info hash v1: ${t.id}`);
    expect(shown.stdout).toMatch(/^Info hash v2: +-$/m);
    expect(shown.stdout).toContain('Pieces:       4 x 32 KiB');
    expect(shown.stdout).toContain('Private:      yes');
    expect(shown.stdout).toContain('tier 1: http://t1.example/announce, http://t2.example/announce');
    expect(shown.stdout).toContain('tier 2: udp://t3.example:6969');
    expect(shown.stdout).toContain('http://ws.example/files/');
    expect(shown.stdout).toContain('content/a.bin');
    expect(shown.stdout).toContain('content/sub/b.txt');
    expect(shown.stdout).toContain('Comment:      test comment');
    expect(shown.stdout).toContain(`Magnet: magnet:?xt=urn:btih:${t.id}`);
  });

  it('--json: create emits ready/progress/done lines and info one object that matches', async () => {
    const out = join(dir, 'hybrid.torrent');
    const made = await cli(['create', content, '-o', out, '--hybrid', '--json', '--no-date']);
    expect(made.code).toBe(0);
    const events = jsonLines(made.stdout);
    expect(events[0]).toMatchObject({ event: 'ready', name: 'content', files: 2, version: 'hybrid' });
    const progress = events.filter((e) => e.event === 'progress');
    expect(progress.length).toBeGreaterThanOrEqual(1);
    const last = progress[progress.length - 1]!;
    expect(last.done).toBe(last.total);
    expect(last.total).toBe(events[0]!.pieceCount);
    const done = events[events.length - 1]!;
    expect(done).toMatchObject({ event: 'done', file: out, name: 'content' });
    expect(done.infoHash).toMatch(/^[0-9a-f]{40}$/);
    expect((done.infoHashes as { v2: string }).v2).toMatch(/^[0-9a-f]{64}$/);

    const shown = await cli(['info', out, '--json']);
    expect(shown.code).toBe(0);
    const lines = shown.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const info = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(info).toMatchObject({
      kind: 'torrent',
      name: 'content',
      infoHash: done.infoHash,
      infoHashes: done.infoHashes,
      metaVersion: 'hybrid',
      contentLength: fileA.length + fileB.length,
      private: false,
      creationDate: null,
      trackers: [],
      webSeeds: [],
    });
    expect(info.files).toEqual([
      { path: 'content/a.bin', length: fileA.length, offset: 0 },
      { path: 'content/sub/b.txt', length: fileB.length, offset: expect.any(Number) },
    ]);
    expect(info.magnet).toBe(done.magnet);
  });

  it('info on a magnet link shows what the link carries', async () => {
    const hash = 'c12fe1c06bba254a9dc9f519b335aa7c1367a88a';
    const r = await cli(['info', `magnet:?xt=urn:btih:${hash}&dn=Some%20Name&tr=udp%3A%2F%2Ft.example%3A80`, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'magnet', name: 'Some Name', infoHash: hash, trackers: ['udp://t.example:80'] });
  });
});

describe('swarmkit errors and exit codes', { timeout: 90_000 }, () => {
  it('a malformed torrent: one clear line with the error code, exit 1, no stack trace', async () => {
    const bad = join(dir, 'bad.torrent');
    await writeFile(bad, 'd8:announce3:foo4:infod4:name1:xee'); // info without pieces or length
    const r = await cli(['info', bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^swarmkit: error \[torrent_[a-z_]+\]: .*bad\.torrent is not a valid torrent/);
    expect(r.stderr).not.toMatch(/\n\s+at /);

    const garbage = join(dir, 'garbage.torrent');
    await writeFile(garbage, 'this is not bencode');
    const g = await cli(['info', garbage, '--json']);
    expect(g.code).toBe(1);
    expect(JSON.parse(g.stdout)).toMatchObject({ event: 'error', code: expect.stringMatching(/^bdecode_/) });
  });

  it('--debug adds the stack trace', async () => {
    const r = await cli(['info', join(dir, 'missing.torrent'), '--debug']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^swarmkit: error \[ENOENT\]/);
    expect(r.stderr).toMatch(/\n\s+at /);
  });

  it('usage errors exit 2', async () => {
    const cases = [['frobnicate'], ['info'], ['info', 'a', 'b'], ['create', content, '--no-such-option'], ['create', content, '--v1', '--v2'],
      ['create', content, '--piece-length', 'lots'], ['create', content, '--tracker', 'not a url'], []];
    const runs = await Promise.all(cases.map((args) => cli(args)));
    runs.forEach((r, i) => {
      const args = cases[i]!;
      expect(r.code, args.join(' ')).toBe(2);
      if (args.length > 0) expect(r.stderr, args.join(' ')).toMatch(/^swarmkit: error \[usage\]: /);
    });
  });

  it('help and --version', async () => {
    const v = await cli(['--version']);
    expect(v.code).toBe(0);
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(v.stdout.trim()).toBe(`swarmkit ${pkg.version}`);
    const h = await cli(['help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/create +make a \.torrent/);
    expect(h.stdout).toMatch(/info +show/);
    const hc = await cli(['create', '--help']);
    expect(hc.code).toBe(0);
    expect(hc.stdout).toContain('--piece-length');
  });

  it('names and comments from a hostile torrent are escaped for the terminal', async () => {
    const data = new TextEncoder().encode('evil');
    const info = new Map<string, unknown>([
      ['length', data.length],
      ['name', 'evil\u202Etxt.exe'],
      ['piece length', 16384],
      ['pieces', new Uint8Array(createHash('sha1').update(data).digest())],
    ]);
    const torrent = bencode(new Map<string, unknown>([
      ['comment', 'line1\x1b[2J\x1b]0;pwned\x07\rline2'],
      ['created by', 'x\u2066y'],
      ['info', info],
    ]) as Parameters<typeof bencode>[0]);
    const file = join(dir, 'evil.torrent');
    await writeFile(file, torrent);
    const r = await cli(['info', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]/);
    expect(r.stdout).toContain('Comment:      line1\\x1b[2J\\x1b]0;pwned\\x07\\x0dline2');
    expect(r.stdout).toContain('x\\u{2066}y');
    expect(r.stdout).not.toContain('\u202E');
  });
});
