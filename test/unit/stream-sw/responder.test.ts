// The page-side responder over real MessageChannels and a ReleasingSource double: the head comes at
// once, bytes only on pull (backpressure), waits for missing pieces with deadlines, and a cancel or
// close ends the reader and resets its deadlines.
import { afterEach, expect, test } from 'vitest';
import { StreamResponder } from '../../../src/stream/sw/responder.js';
import type { StreamFinishReason } from '../../../src/stream/sw/responder.js';
import { hasMessage, isPageReply, requestMessage } from '../../../src/stream/sw/protocol.js';
import type { PageReply } from '../../../src/stream/sw/protocol.js';
import { ReleasingSource, prng } from '../stream/releasing-source.js';
import { providerOf, until, wait } from './helpers.js';

const H = '12'.repeat(20);
const ports: MessagePort[] = [];
afterEach(() => {
  for (const p of ports.splice(0)) p.close();
});

/** The worker end of one request: records replies, sends commands. */
function workerEnd(responder: StreamResponder, range: string | null, method: 'GET' | 'HEAD' = 'GET', fileIndex = 0) {
  const ch = new MessageChannel();
  ports.push(ch.port1);
  const replies: PageReply[] = [];
  ch.port1.addEventListener('message', (e: MessageEvent) => {
    const d: unknown = e.data;
    if (isPageReply(d)) replies.push(d);
  });
  ch.port1.start();
  const handled = responder.handleMessage(requestMessage({ method, infoHash: H, fileIndex, range, ifRange: null }), [ch.port2]);
  return { handled, replies, pull: () => ch.port1.postMessage({ type: 'pull' }), cancel: () => ch.port1.postMessage({ type: 'cancel' }) };
}

test('head at once; one chunk per pull; the bytes are the range; end after the last byte', async () => {
  const src = new ReleasingSource({ data: prng(100_000, 1), pieceLength: 16384, filePath: 'a/clip.webm', have: 'all' });
  const finished: StreamFinishReason[] = [];
  const r = new StreamResponder(providerOf(H, [src]), { chunkSize: 10_000, onFinish: (_e, why) => finished.push(why) });
  const w = workerEnd(r, 'bytes=5000-54999');
  expect(w.handled).toBe(true);
  await until(() => w.replies.length === 1);
  expect(w.replies[0]).toMatchObject({ type: 'head', status: 206, body: true });
  await wait(20);
  expect(src.reads).toEqual([]); // nothing read before the first pull
  const got: number[] = [];
  for (;;) {
    const before = w.replies.length;
    w.pull();
    await until(() => w.replies.length > before);
    expect(w.replies.length).toBe(before + 1); // exactly one answer per pull
    const last = w.replies.at(-1)!;
    if (last.type === 'end') break;
    expect(last.type).toBe('chunk');
    if (last.type === 'chunk') {
      expect(last.data.length).toBeLessThanOrEqual(10_000);
      got.push(...last.data);
    }
  }
  expect(Uint8Array.from(got)).toEqual(src.file().subarray(5000, 55_000));
  expect(finished).toEqual(['complete']);
  expect(r.active).toBe(0);
  expect(r.stats).toMatchObject({ requests: 1, complete: 1, cancelled: 0, errors: 0 });
});

test('a pull for a missing piece waits with deadlines; cancel closes the reader and resets them', async () => {
  const src = new ReleasingSource({ data: prng(64 * 1024, 2), pieceLength: 16384, have: [0] });
  const r = new StreamResponder(providerOf(H, [src]), { chunkSize: 16384 });
  const w = workerEnd(r, 'bytes=16384-');
  await until(() => w.replies.length === 1);
  w.pull();
  await until(() => src.waiting === 1);
  expect([...src.deadlines.keys()].sort()).toEqual([1]); // slow start after a seek: the reader's piece first
  expect(r.active).toBe(1);
  w.cancel();
  await until(() => r.active === 0);
  expect(src.deadlines.size).toBe(0);
  expect(src.waiting).toBe(0);
  expect(r.stats.cancelled).toBe(1);
  src.release(1);
  await wait(20);
  expect(w.replies.map((x) => x.type)).toEqual(['head']); // nothing after the cancel
});

test('released pieces flow to a waiting pull', async () => {
  const src = new ReleasingSource({ data: prng(40_000, 3), pieceLength: 16384 });
  const r = new StreamResponder(providerOf(H, [src]));
  const w = workerEnd(r, null);
  await until(() => w.replies.length === 1);
  expect(w.replies[0]).toMatchObject({ status: 200 });
  w.pull();
  await until(() => src.waiting === 1);
  src.release(0);
  await until(() => w.replies.length === 2);
  const c = w.replies[1]!;
  expect(c.type === 'chunk' && c.data.length).toBe(16384);
});

test('HEAD, 416, 400 and unknown files answer a head only and close', async () => {
  const src = new ReleasingSource({ data: prng(1000, 4), pieceLength: 16384, filePath: 'x.mp4', have: 'all' });
  const r = new StreamResponder(providerOf(H, [src]));
  const cases = [
    [workerEnd(r, 'bytes=0-9', 'HEAD'), 206],
    [workerEnd(r, 'bytes=1000-'), 416],
    [workerEnd(r, 'bytes=x'), 400],
    [workerEnd(r, null, 'GET', 5), 404],
  ] as const;
  for (const [w, status] of cases) {
    await until(() => w.replies.length === 1);
    expect(w.replies[0]).toMatchObject({ type: 'head', status, body: false });
  }
  expect(r.active).toBe(0);
  expect(r.stats).toMatchObject({ requests: 4, complete: 1, errors: 3 });
});

test('has answers whether the provider knows the torrent; foreign messages are left alone', async () => {
  const src = new ReleasingSource({ data: prng(10, 5), pieceLength: 16384, have: 'all' });
  const r = new StreamResponder(providerOf(H, [src]));
  const ask = async (ih: string): Promise<unknown> => {
    const ch = new MessageChannel();
    ports.push(ch.port1);
    const got = new Promise<unknown>((resolve) => ch.port1.addEventListener('message', (e: MessageEvent) => resolve(e.data), { once: true }));
    ch.port1.start();
    expect(r.handleMessage(hasMessage(ih), [ch.port2])).toBe(true);
    return got;
  };
  expect(await ask(H)).toEqual({ type: 'has-reply', has: true });
  expect(await ask('ff'.repeat(20))).toEqual({ type: 'has-reply', has: false });
  const ch = new MessageChannel();
  ports.push(ch.port1, ch.port2);
  expect(r.handleMessage({ type: 'request', infoHash: H }, [ch.port2])).toBe(false);
  expect(r.handleMessage(hasMessage(H), [])).toBe(false);
});

test('an unpulled request parks (drops deadlines, keeps position) and later closes as idle; close() ends the rest', async () => {
  const src = new ReleasingSource({ data: prng(64 * 1024, 6), pieceLength: 16384, have: [0] });
  const finished: StreamFinishReason[] = [];
  const r = new StreamResponder(providerOf(H, [src]), { chunkSize: 16384, parkAfterMs: 50, closeAfterMs: 200, onFinish: (_e, why) => finished.push(why) });
  const w = workerEnd(r, null);
  await until(() => w.replies.length === 1);
  w.pull();
  await until(() => w.replies.length === 2); // piece 0 is there
  expect(src.deadlines.size).toBeGreaterThan(0); // the window wants pieces 1..3
  await until(() => src.deadlines.size === 0, 1000); // parked
  expect(r.active).toBe(1);
  await until(() => r.active === 0, 1000);
  // the error reply travels through a MessagePort, so it may land a moment after the stream closed
  await until(() => (w.replies.at(-1) as { type?: string } | undefined)?.type === 'error', 1000);
  expect(w.replies.at(-1)).toMatchObject({ type: 'error' });
  expect(finished).toEqual(['idle']);

  const w2 = workerEnd(r, null);
  await until(() => w2.replies.length === 1);
  expect(r.active).toBe(1);
  r.close();
  expect(r.active).toBe(0);
  expect(finished).toEqual(['idle', 'closed']);
  const w3 = workerEnd(r, null);
  await until(() => w3.replies.length === 1);
  expect(w3.replies[0]).toMatchObject({ status: 503, body: false });
});
