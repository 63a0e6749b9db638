// The worker's router end to end in Node: real Requests/Responses and MessageChannels, "pages" that are
// real StreamResponders over ReleasingSource doubles. Covers routing between tabs, the probe after a
// worker restart, 503/504, range answers, aborts reaching the page's reader, and a page that closes.
import { expect, test } from 'vitest';
import { StreamRouter } from '../../../service-worker/router.js';
import { claimMessage } from '../../../src/stream/sw/protocol.js';
import { ReleasingSource, prng } from '../stream/releasing-source.js';
import { clientsOf, page, providerOf, readAll, until, wait } from './helpers.js';

const H = '34'.repeat(20);
const OTHER = '56'.repeat(20);
const P = '/swarmkit-stream/';
const url = (ih = H, i = 0): string => `http://127.0.0.1:1/swarmkit-stream/${ih}/${i}/clip.webm`;

function setup(opts: { have?: 'all' | number[]; size?: number } = {}) {
  const src = new ReleasingSource({ data: prng(opts.size ?? 100_000, 9), pieceLength: 16384, filePath: 'clip.webm', have: opts.have ?? 'all' });
  const a = page('tab-a', providerOf(H, [src]), { chunkSize: 8192 });
  const b = page('tab-b', providerOf(OTHER, []));
  const pages = [a, b];
  const router = new StreamRouter({ prefix: P, clients: clientsOf(pages), probeTimeoutMs: 200, headTimeoutMs: 300, livenessMs: 50 });
  return { src, a, b, pages, router };
}

test('URLs outside the prefix are not handled; bad stream paths are 404; other methods 405', async () => {
  const { router } = setup();
  expect(router.handleFetch(new Request('http://127.0.0.1:1/app.js'), 'tab-a')).toBeUndefined();
  expect((await router.handleFetch(new Request('http://127.0.0.1:1/swarmkit-stream/nothex/0/x'), 'tab-a'))!.status).toBe(404);
  const post = await router.handleFetch(new Request(url(), { method: 'POST', body: 'x' }), 'tab-a');
  expect(post!.status).toBe(405);
  expect(post!.headers.get('allow')).toBe('GET, HEAD');
});

test('a claimed torrent is served by its page: 200 whole file, 206 range, HEAD, 416, 400', async () => {
  const { router, a, src } = setup();
  router.handleMessage(claimMessage('claim', H), 'tab-a');
  const full = (await router.handleFetch(new Request(url()), 'tab-b'))!;
  expect(full.status).toBe(200);
  expect(full.headers.get('content-type')).toBe('video/webm');
  expect(full.headers.get('content-length')).toBe('100000');
  expect(await readAll(full.body)).toEqual(src.file());

  const part = (await router.handleFetch(new Request(url(), { headers: { Range: 'bytes=20000-29999' } }), 'tab-b'))!;
  expect(part.status).toBe(206);
  expect(part.headers.get('content-range')).toBe('bytes 20000-29999/100000');
  expect(await readAll(part.body)).toEqual(src.file().subarray(20_000, 30_000));

  const head = (await router.handleFetch(new Request(url(), { method: 'HEAD', headers: { Range: 'bytes=0-0' } }), 'tab-b'))!;
  expect(head.status).toBe(206);
  expect(head.body).toBeNull();

  const bad = (await router.handleFetch(new Request(url(), { headers: { Range: 'bytes=200000-' } }), 'tab-b'))!;
  expect(bad.status).toBe(416);
  expect(bad.headers.get('content-range')).toBe('bytes */100000');
  expect((await router.handleFetch(new Request(url(), { headers: { Range: 'bytes=a-b' } }), 'tab-b'))!.status).toBe(400);
  expect((await router.handleFetch(new Request(url(H, 9)), 'tab-b'))!.status).toBe(404);
  expect(a.responder.stats.requests).toBe(6);
  expect(a.responder.active).toBe(0);
});

test('routing: the requesting claimant first, else the latest live claimant; dead claimants are dropped', async () => {
  const { router, a, b, pages } = setup();
  const c = page('tab-c', providerOf(H, [new ReleasingSource({ data: prng(10, 1), pieceLength: 16384, have: 'all' })]));
  pages.push(c);
  router.handleMessage(claimMessage('claim', H), 'tab-a');
  router.handleMessage(claimMessage('claim', H), 'tab-c');
  expect(router.claimants(H)).toEqual(['tab-a', 'tab-c']);
  await readAll((await router.handleFetch(new Request(url()), 'tab-a'))!.body);
  expect(a.responder.stats.requests).toBe(1);
  await readAll((await router.handleFetch(new Request(url()), 'tab-b'))!.body);
  expect(c.responder.stats.requests).toBe(1);
  c.alive = false;
  await readAll((await router.handleFetch(new Request(url()), 'tab-b'))!.body);
  expect(a.responder.stats.requests).toBe(2);
  expect(router.claimants(H)).toEqual(['tab-a']);
  router.handleMessage(claimMessage('unclaim', H), 'tab-a');
  expect(router.claimants(H)).toEqual([]);
  expect(b.responder.stats.requests).toBe(0);
});

test('no claim known (a restarted worker): the pages are asked, and the one that has it answers and is remembered', async () => {
  const { router, a, b } = setup();
  const res = (await router.handleFetch(new Request(url()), 'tab-b'))!;
  expect(res.status).toBe(200);
  await readAll(res.body);
  expect(router.claimants(H)).toEqual(['tab-a']);
  expect(b.received.map((m) => (m as { type: string }).type)).toEqual(['has']);
  expect(a.received.map((m) => (m as { type: string }).type)).toEqual(['has', 'request']);
});

test('503 when no page serves the torrent or no page is open; 504 when the page does not answer', async () => {
  const { router, pages, a } = setup();
  const none = (await router.handleFetch(new Request(url('78'.repeat(20))), 'tab-a'))!;
  expect(none.status).toBe(503);
  expect(await none.text()).toMatch(/no open page serves torrent 7878.*open \(or reload\) the page/);
  router.handleMessage(claimMessage('claim', H), 'tab-a');
  a.listening = false;
  expect((await router.handleFetch(new Request(url()), 'tab-a'))!.status).toBe(504);
  for (const p of pages) p.alive = false;
  expect((await router.handleFetch(new Request(url()), 'tab-a'))!.status).toBe(503);
});

test('backpressure: the page reads only as far as the body is consumed', async () => {
  const { router, src } = setup({ size: 200_000 });
  router.handleMessage(claimMessage('claim', H), 'tab-a');
  const res = (await router.handleFetch(new Request(url()), 'tab-a'))!;
  const reader = res.body!.getReader();
  const first = await reader.read();
  expect(first.value!.length).toBe(8192);
  await wait(50);
  // One chunk taken and one fetched ahead (highWaterMark 1): at most the first piece read.
  expect(src.reads).toEqual([0]);
  await reader.cancel();
});

test('cancelling the body or aborting the request closes the page reader and resets its deadlines', async () => {
  const { router, src, a } = setup({ have: [0], size: 80_000 });
  router.handleMessage(claimMessage('claim', H), 'tab-a');
  const res = (await router.handleFetch(new Request(url()), 'tab-a'))!;
  const reader = res.body!.getReader();
  await reader.read(); // piece 0
  const pending = reader.read(); // waits for piece 1 eventually
  await until(() => src.deadlines.size > 0);
  await reader.cancel();
  await pending;
  await until(() => a.responder.active === 0);
  expect(src.deadlines.size).toBe(0);
  expect(a.responder.stats.cancelled).toBe(1);

  const ac = new AbortController();
  const res2 = (await router.handleFetch(new Request(url(), { signal: ac.signal, headers: { Range: 'bytes=20000-' } }), 'tab-a'))!;
  const r2 = res2.body!.getReader();
  const waiting = r2.read();
  await until(() => src.deadlines.size > 0 && a.responder.active === 1);
  ac.abort();
  await expect(waiting).rejects.toThrow(/aborted/);
  await until(() => a.responder.active === 0);
  expect(src.deadlines.size).toBe(0);
  expect(a.responder.stats.cancelled).toBe(2);
});

test('a page that closes while a pull waits errors the body instead of hanging', async () => {
  const { router, a } = setup({ have: [] });
  router.handleMessage(claimMessage('claim', H), 'tab-a');
  const res = (await router.handleFetch(new Request(url()), 'tab-a'))!;
  const reading = res.body!.getReader().read();
  await wait(30);
  a.alive = false; // gone from clients; its port stays silent
  await expect(reading).rejects.toThrow(/page serving this stream was closed/);
  a.responder.close();
});
