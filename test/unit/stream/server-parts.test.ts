// The Node-side pieces of the stream server on their own: the Host allow-list, the Node Readable
// adapter, the index page's escaping, and the piece notifier.
import { expect, test } from 'vitest';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HostAllowList } from '../../../stream-server/host-check.js';
import { createReadStream } from '../../../stream-server/node-readable.js';
import { escapeHtml, filePath, renderIndexPage } from '../../../src/stream/index-page.js';
import { PieceNotifier } from '../../../src/stream/piece-notifier.js';
import { createAlert } from '../../../src/session/alerts.js';
import { Session } from '../../../src/session/session.js';
import { alertCategory } from '../../../src/session/alert-category.js';
import { ReleasingSource, prng, settle } from './releasing-source.js';

test('Host allow-list: loopback names with our port, configured names, everything else refused', () => {
  const h = new HostAllowList(8888, ['media.lan', 'Proxy.Example:443', '::1', 'fe80::1']);
  for (const ok of ['localhost:8888', '127.0.0.1:8888', '[::1]:8888', 'LOCALHOST:8888', 'media.lan', 'media.lan:8888', 'proxy.example:443', '[fe80::1]:8888']) {
    expect(h.allows(ok), ok).toBe(true);
  }
  for (const no of [
    undefined, '', ' ', 'evil.example:8888', 'evil.example', 'localhost', 'localhost:8889', '127.0.0.1:80', 'media.lan:9999',
    'proxy.example', 'proxy.example:8888', 'localhost.evil.example:8888', '127.0.0.1.nip.io:8888', 'localhost:8888@evil',
    'localhost:8888/x', '[::1', '::1:8888', 'user@localhost:8888', 'localhost:08888x', 'a'.repeat(400), 'localhost:8888\r\nX: y',
  ]) {
    expect(h.allows(no), String(no)).toBe(false);
  }
  expect(new HostAllowList(80).allows('localhost')).toBe(true);
});

test('escapeHtml and the index page never let a name open markup', () => {
  expect(escapeHtml(`<script>alert("x")</script>&'`)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
  const evil = `"><img src=x onerror=alert(1)>`;
  const html = renderIndexPage([{ infoHash: 'ab'.repeat(20), name: `<b>${evil}</b>`, files: [{ index: 3, path: `dir/${evil}.mp4`, length: 5 }] }]);
  expect(html).not.toContain('<img');
  expect(html).not.toContain('<b>');
  expect(html).toContain('&lt;b&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&lt;/b&gt;');
  expect(html).toContain(`href="/${'ab'.repeat(20)}/3/dir/%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E.mp4"`);
  expect(filePath('00'.repeat(20), { index: 0, path: 'a b/c?d#e' })).toBe(`/${'00'.repeat(20)}/0/a%20b/c%3Fd%23e`);
  expect(renderIndexPage([])).toContain('No torrents.');
});

test('createReadStream yields the range, respects backpressure, and destroy clears deadlines', async () => {
  const s = new ReleasingSource({ data: prng(300_000, 21), pieceLength: 16_384, fileOffset: 500, fileLength: 290_000, have: 'all' });
  const got: Buffer[] = [];
  await pipeline(createReadStream(s, { start: 1000, end: 250_000 }), new Writable({
    write(chunk: Buffer, _enc, cb) {
      got.push(chunk);
      cb();
    },
  }));
  expect(new Uint8Array(Buffer.concat(got))).toEqual(s.file().subarray(1000, 250_001));

  // Backpressure: a readable nobody reads from pulls only up to its high-water mark.
  const lazy = new ReleasingSource({ data: prng(1_000_000, 22), pieceLength: 16_384, have: 'all' });
  const rs = createReadStream(lazy, { chunkSize: 16_384 });
  rs.pause();
  rs.read(0);
  await settle(20);
  expect(lazy.reads.length).toBeLessThanOrEqual(2);
  rs.destroy();

  const waiting = new ReleasingSource({ data: prng(100_000, 23), pieceLength: 10_000 });
  const ws = createReadStream(waiting);
  ws.on('data', () => undefined);
  await settle();
  expect(waiting.deadlines.size).toBeGreaterThan(0);
  ws.destroy();
  await settle();
  expect(waiting.deadlines.size).toBe(0);
  expect(waiting.waiting).toBe(0);
});

test('createReadStream reports source errors as stream errors', async () => {
  const s = new ReleasingSource({ data: prng(5000, 1), pieceLength: 1000, have: 'all' });
  s.readPiece = () => Promise.reject(new Error('io'));
  await expect(pipeline(createReadStream(s), new Writable({ write: (_c, _e, cb) => cb() }))).rejects.toThrow('io');
});

test('PieceNotifier wakes only the waiters of the finished piece of that torrent', () => {
  const n = new PieceNotifier();
  const woke: string[] = [];
  const a = 'aa'.repeat(20);
  const b = 'bb'.repeat(20);
  n.onPiece(a, 1, () => woke.push('a1'));
  const off = n.onPiece(a, 2, () => woke.push('a2'));
  n.onPiece(b, 1, () => woke.push('b1'));
  expect(n.size).toBe(3);
  n.feed(createAlert('piece_finished', { infoHash: a, name: 'x', pieceIndex: 1 }));
  n.feed(createAlert('hash_failed', { infoHash: b, name: 'x', pieceIndex: 1 }));
  expect(woke).toEqual(['a1']);
  off();
  n.feed(createAlert('piece_finished', { infoHash: a, name: 'x', pieceIndex: 2 }));
  expect(woke).toEqual(['a1']);
  expect(n.size).toBe(1);
});

test('PieceNotifier.attach drains the session queue, forwards every alert and enables piece alerts', async () => {
  const ses = new Session();
  try {
    expect(ses.getSettings().alertMask & alertCategory.pieceProgress).toBe(0);
    const n = new PieceNotifier();
    const seen: string[] = [];
    const detach = n.attach(ses, (a) => seen.push(a.type));
    expect(ses.getSettings().alertMask & alertCategory.pieceProgress).not.toBe(0);
    ses.applySettings({ alertMask: ses.getSettings().alertMask | alertCategory.status });
    ses.pause();
    ses.resume();
    ses.postTorrentUpdates(); // state_update is always posted
    await settle();
    expect(seen).toContain('state_update');
    expect(ses.popAlerts()).toEqual([]); // the notifier took them
    detach();
    ses.postTorrentUpdates();
    await settle();
    expect(ses.popAlerts().map((a) => a.type)).toEqual(['state_update']);
  } finally {
    await ses.close();
  }
});
