// The stream server end to end: a real Session seeding a torrent made by CreateTorrent from real files,
// served over a real loopback socket, read with fetch and node:http. A second part serves a StreamSource
// double whose pieces arrive over time, to check blocking reads, deadlines and disconnects.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTorrent, Session, TorrentInfo } from '../../entry/node.js';
import type { TorrentHandle } from '../../entry/node.js';
import { createStreamServer } from '../../stream-server/http-server.js';
import type { StreamServer } from '../../stream-server/http-server.js';
import { handleStreamSource, sessionStreamProvider } from '../../src/stream/handle-source.js';
import { createFileReader } from '../../src/stream/file-reader.js';
import { isTorrentError } from '../../src/errors.js';
import { PieceNotifier } from '../../src/stream/piece-notifier.js';
import type { StreamProvider } from '../../src/stream/provider.js';
import { ReleasingSource, prng } from '../unit/stream/releasing-source.js';

// Characters that survive path sanitising (which maps <>:"|?* to _) but still need HTML escaping.
const EVIL = `a&b'q`;
let root: string;
let ses: Session;
let handle: TorrentHandle;
let server: StreamServer;
const files = new Map<string, Uint8Array>();

function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap' || r === 'TCPSocketWrap').length;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'swarmkit-stream-'));
  const dir = join(root, `show ${EVIL}`);
  await mkdir(dir, { recursive: true });
  files.set('movie.mp4', prng(1_234_567, 1));
  files.set(`${EVIL}.txt`, prng(5000, 2));
  files.set('tiny.vtt', prng(1, 3));
  for (const [name, data] of files) await writeFile(join(dir, name), data);
  const ct = new CreateTorrent({ pieceLength: 32 * 1024 });
  await ct.addPath(dir);
  const ti = await TorrentInfo.fromBytes(await ct.generate());
  ses = new Session();
  handle = await ses.addTorrent({ ti, savePath: root });
  for (let i = 0; i < 300 && !handle.isSeed(); i++) await new Promise((r) => setTimeout(r, 20));
  expect(handle.isSeed()).toBe(true);
  const notifier = new PieceNotifier();
  notifier.attach(ses);
  server = await createStreamServer({ provider: sessionStreamProvider(ses, { notifier }) });
});

afterAll(async () => {
  await server?.close();
  await ses?.close();
  await rm(root, { recursive: true, force: true });
});

function fileIndex(name: string): number {
  const i = handle.torrentFile()!.files.findIndex((f) => !f.pad && f.path.at(-1) === name);
  expect(i).toBeGreaterThanOrEqual(0);
  return i;
}

test('GET without Range: 200 with the whole file and the headers a player needs', async () => {
  const url = server.fileUrl(handle.id, fileIndex('movie.mp4'))!;
  expect(url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/${handle.id}/\\d+/show%20`));
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('video/mp4');
  expect(res.headers.get('accept-ranges')).toBe('bytes');
  expect(res.headers.get('content-length')).toBe('1234567');
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('access-control-allow-origin')).toBeNull(); // CORS off by default
  expectBytes(new Uint8Array(await res.arrayBuffer()), files.get('movie.mp4'));
});

test('random Range requests return exactly the file bytes (206, Content-Range)', async () => {
  const data = files.get('movie.mp4')!;
  const url = server.fileUrl(handle.id, fileIndex('movie.mp4'))!;
  let seed = 12345;
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  for (let i = 0; i < 25; i++) {
    const a = rnd(data.length);
    const b = a + rnd(Math.min(200_000, data.length - a));
    const kind = i % 3;
    const header = kind === 0 ? `bytes=${a}-${b}` : kind === 1 ? `bytes=${a}-` : `bytes=-${b - a + 1}`;
    const [s, e] = kind === 0 ? [a, b] : kind === 1 ? [a, data.length - 1] : [data.length - (b - a + 1), data.length - 1];
    const res = await fetch(url, { headers: { Range: header } });
    expect(res.status, header).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes ${s}-${e}/${data.length}`);
    expect(res.headers.get('content-length')).toBe(String(e - s + 1));
    expectBytes(new Uint8Array(await res.arrayBuffer()), data.subarray(s, e + 1));
  }
});

test('HEAD: headers only; a one-byte file; If-Range with another validator sends the whole file', async () => {
  const url = server.fileUrl(handle.id, fileIndex('tiny.vtt'))!;
  const head = await fetch(url, { method: 'HEAD', headers: { Range: 'bytes=0-0' } });
  expect(head.status).toBe(206);
  expect(head.headers.get('content-range')).toBe('bytes 0-0/1');
  expect(head.headers.get('content-type')).toBe('text/vtt; charset=utf-8');
  expect((await head.arrayBuffer()).byteLength).toBe(0);
  const etag = head.headers.get('etag')!;
  expect((await fetch(url, { headers: { Range: 'bytes=0-0', 'If-Range': etag } })).status).toBe(206);
  const stale = await fetch(url, { headers: { Range: 'bytes=0-0', 'If-Range': '"other"' } });
  expect(stale.status).toBe(200);
  expectBytes(new Uint8Array(await stale.arrayBuffer()), files.get('tiny.vtt'));
});

test('bad ranges: 416 with bytes */size, 400 for malformed, never a crash (case 36)', async () => {
  const url = server.fileUrl(handle.id, fileIndex('movie.mp4'))!;
  for (const r of ['bytes=1234567-', 'bytes=99999999-', 'bytes=500-100', 'bytes=-0']) {
    const res = await fetch(url, { headers: { Range: r } });
    expect(res.status, r).toBe(416);
    expect(res.headers.get('content-range')).toBe('bytes */1234567');
    await res.arrayBuffer();
  }
  for (const r of ['bytes=abc', 'bytes=--1', 'bytes=1-2-3', 'bytes=0-1,x', `bytes=${'9'.repeat(40)}-`]) {
    const res = await fetch(url, { headers: { Range: r } });
    expect(res.status, r).toBe(400);
    await res.arrayBuffer();
  }
  const multi = await fetch(url, { headers: { Range: 'bytes=0-1,10-20' } });
  expect(multi.status).toBe(200);
  expect((await multi.arrayBuffer()).byteLength).toBe(1_234_567);
  expect((await fetch(url)).status).toBe(200); // still serving
});

test('unknown torrents, files, pad files and paths are 404; other methods 405', async () => {
  const base = server.url;
  const ti = handle.torrentFile()!;
  const pad = ti.files.findIndex((f) => f.pad);
  const paths = [`/${'0'.repeat(40)}/0/x`, `/${handle.id}/999/x`, `/${handle.id}/x/y`, `/${handle.id}`, '/favicon.ico', `/${handle.id}/-1/x`, `/${handle.id}/1e3/x`, '/%00', '/..%2f..%2fetc/passwd'];
  if (pad >= 0) paths.push(`/${handle.id}/${pad}/pad`);
  for (const p of paths) {
    const res = await fetch(base + p);
    expect(res.status, p).toBe(404);
    await res.arrayBuffer();
  }
  const post = await fetch(server.fileUrl(handle.id, fileIndex('movie.mp4'))!, { method: 'POST', body: 'x' });
  expect(post.status).toBe(405);
  expect(post.headers.get('allow')).toBe('GET, HEAD');
  await post.arrayBuffer();
  // upper-case info-hash is the same torrent
  const up = await fetch(`${base}/${handle.id.toUpperCase()}/${fileIndex('tiny.vtt')}/t.vtt`);
  expect(up.status).toBe(200);
  await up.arrayBuffer();
});

test('the index page lists torrents and files with escaped names (case 35)', async () => {
  const res = await fetch(server.url + '/');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
  const html = await res.text();
  expect(html).toContain(handle.id);
  expect(html).toContain('a&amp;b&#39;q');
  expect(html).not.toContain(EVIL);
  const names = handle.torrentFile()!.files.filter((f) => !f.pad).map((f) => f.path.at(-1)!);
  for (const n of names) expect(html).toContain(n.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;'));
  // every link on the page works
  const hrefs = [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
  expect(hrefs.length).toBe(names.length);
  for (const h of hrefs) {
    const r = await fetch(server.url + h, { method: 'HEAD' });
    expect(r.status, h).toBe(200);
  }
  const evil = await fetch(server.url + hrefs.find((h) => h.includes('.txt'))!);
  expectBytes(new Uint8Array(await evil.arrayBuffer()), files.get(`${EVIL}.txt`));
});

test('a real handle without the data: the reader waits with deadlines on the handle, then reads once pieces verify', async () => {
  const dir2 = join(root, 'later');
  const data = prng(300_000, 77);
  const ct = new CreateTorrent({ pieceLength: 16 * 1024 });
  ct.addFile({ data, path: 'later/song.flac' });
  const ti = await TorrentInfo.fromBytes(await ct.generate());
  const h = await ses.addTorrent({ ti, savePath: root });
  for (let i = 0; i < 300 && h.status().state === 'checking_files'; i++) await new Promise((r) => setTimeout(r, 10));
  expect(h.havePiece(0)).toBe(false);
  const src = handleStreamSource(h, 0, { pollMs: 20 });
  expect(src.filePath).toBe('later/song.flac');
  const reader = createFileReader(src, { start: 40_000, readAhead: { minWindowBytes: 48 * 1024, maxWindowBytes: 48 * 1024 } });
  let result: Uint8Array | undefined;
  const done = readAll(reader).then((b) => (result = b));
  await waitFor(() => h.pieceDeadlines().length > 0);
  // byte 40 000 is in piece 2; a fresh reader's first plan is that piece alone (slow start), not the 3-piece window
  expect(h.pieceDeadlines().map((d) => d.piece)).toEqual([2]);
  expect(result).toBeUndefined();
  // The data appears (as a swarm would write it) and a recheck verifies it.
  await mkdir(dir2, { recursive: true });
  await writeFile(join(dir2, 'song.flac'), data);
  await h.forceRecheck();
  await done;
  expectBytes(result!, data.subarray(40_000));
  expect(h.pieceDeadlines()).toEqual([]);
  await ses.removeTorrent(h);
  // A removed torrent: the source fails with invalid_handle instead of hanging.
  await expect(src.waitForPiece(0)).rejects.toSatisfy((e: unknown) => isTorrentError(e, 'invalid_handle'));
});

async function readAll(it: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}

function rawGet(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('a foreign Host header is refused before anything is served (case 34)', async () => {
  const path = new URL(server.fileUrl(handle.id, fileIndex('movie.mp4'))!).pathname;
  for (const host of ['evil.example', `evil.example:${server.port}`, `localhost:${server.port + 1}`, `127.0.0.1.nip.io:${server.port}`]) {
    const r = await rawGet(server.port, path, { Host: host });
    expect(r.status, host).toBe(403);
    expect(r.body).not.toContain(handle.id);
    expect((await rawGet(server.port, '/', { Host: host })).status).toBe(403);
  }
  for (const host of [`localhost:${server.port}`, `127.0.0.1:${server.port}`, `[::1]:${server.port}`]) {
    expect((await rawGet(server.port, '/', { Host: host })).status, host).toBe(200);
  }
});

test('configured names and CORS', async () => {
  const s2 = await createStreamServer({ provider: sessionStreamProvider(ses), allowedHosts: ['media.lan'], cors: true });
  try {
    expect((await rawGet(s2.port, '/', { Host: 'media.lan' })).status).toBe(200);
    expect((await rawGet(s2.port, '/', { Host: 'other.lan' })).status).toBe(403);
    const res = await fetch(s2.fileUrl(handle.id, fileIndex('tiny.vtt'))!);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-expose-headers')).toContain('Content-Range');
    await res.arrayBuffer();
    const pre = await fetch(s2.url + '/', { method: 'OPTIONS' });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-headers')).toContain('Range');
  } finally {
    await s2.close();
  }
});

test('partial download: the response streams as pieces arrive; deadlines set; a disconnect clears them', async () => {
  const src = new ReleasingSource({ data: prng(400_000, 9), pieceLength: 16_384, fileOffset: 3000, fileLength: 390_000, filePath: 'clip.webm' });
  const hash = 'cd'.repeat(20);
  const provider: StreamProvider = {
    listTorrents: () => [{ infoHash: hash, name: '<script>alert(1)</script>', files: [{ index: 0, path: 'dir/"><svg onload=alert(1)>.webm', length: src.fileLength }] }],
    getTorrent: (h) => (h === hash ? provider.listTorrents()[0] : undefined),
    getSource: (h, i) => (h === hash && i === 0 ? src : undefined),
  };
  const before = tcpHandles();
  const s3 = await createStreamServer({ provider, readAhead: { minWindowBytes: 64 * 1024, maxWindowBytes: 64 * 1024, defaultStepMs: 100 } });
  const url = s3.fileUrl(hash, 0)!;
  const page = await (await fetch(s3.url)).text();
  expect(page).not.toMatch(/<script|<svg/);
  expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  expect(page).toContain('&quot;&gt;&lt;svg onload=alert(1)&gt;.webm');

  // 1. a reader that goes away while waiting
  const ac = new AbortController();
  const res1 = await fetch(url, { headers: { Range: 'bytes=100000-' }, signal: ac.signal });
  expect(res1.status).toBe(206);
  const first = Math.floor((3000 + 100_000) / 16_384);
  await waitFor(() => src.deadlines.size > 0);
  expect(src.deadlines.get(first)).toBe(0);
  // slow start: the reader's piece alone, before the 4-piece window
  expect([...src.deadlines.keys()].sort((a, b) => a - b)).toEqual([first]);
  ac.abort();
  await waitFor(() => src.deadlines.size === 0 && src.waiting === 0);

  // 2. a reader that gets everything, pieces released one by one in order over time
  const res2 = await fetch(url);
  expect(res2.status).toBe(200);
  const body = res2.arrayBuffer();
  for (let p = 0; p < src.pieceCount; p++) {
    await new Promise((r) => setTimeout(r, 2));
    src.release(p);
  }
  expectBytes(new Uint8Array(await body), src.file());
  expect(src.deadlines.size).toBe(0);

  await s3.close();
  await waitFor(() => tcpHandles() <= before);
});

test('close() ends live responses and leaves no sockets', async () => {
  const src = new ReleasingSource({ data: prng(100_000, 4), pieceLength: 16_384, filePath: 'x.mp3' });
  const provider: StreamProvider = {
    listTorrents: () => [],
    getTorrent: () => undefined,
    getSource: () => src,
  };
  const before = tcpHandles();
  const s4 = await createStreamServer({ provider });
  const res = await fetch(`${s4.url}/${'ef'.repeat(20)}/0/x.mp3`);
  expect(res.status).toBe(200);
  const body = res.arrayBuffer().catch((e: unknown) => e);
  await waitFor(() => src.waiting === 1);
  await s4.close();
  expect(await body).toBeInstanceOf(Error); // cut off, not silently truncated
  expect(src.deadlines.size).toBe(0);
  expect(src.waiting).toBe(0);
  await waitFor(() => tcpHandles() <= before);
  await s4.close(); // idempotent
});

/** Byte equality without Vitest's element-by-element diffing (slow on megabytes, and it blocks the loop). */
function expectBytes(got: Uint8Array, want: Uint8Array | undefined): void {
  expect(want).toBeDefined();
  expect(got.length).toBe(want!.length);
  expect(Buffer.compare(got, want!)).toBe(0);
}

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('timed out waiting for condition');
    await new Promise((r) => setTimeout(r, 5));
  }
}
