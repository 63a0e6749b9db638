import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bencode from 'bencode';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isTorrentError } from '../../../src/errors.js';
import {
  buildAnnounceUrl, createHttpTrackerClient, httpAnnounce, httpScrape, percentEncodeBytes, scrapeUrlFor,
} from '../../../src/tracker/http.js';
import { checkRedirect, fetchBounded } from '../../../src/tracker/http-fetch.js';
import type { AnnounceRequest } from '../../../src/tracker/types.js';
import { startHostileTracker } from '../../helpers/hostile-tracker.js';
import type { HostileTracker } from '../../helpers/hostile-tracker.js';

const infoHash = Uint8Array.from({ length: 20 }, (_, i) => (i * 37 + 0x7e) & 0xff);
const peerId = new TextEncoder().encode('-SK0001-abc~def.ghi_');
const req: AnnounceRequest = { infoHash, peerId, port: 6881, uploaded: 1, downloaded: 2, left: 3, key: 0xdeadbeef, event: 'started', numWant: 50 };

async function rejects(p: Promise<unknown>): Promise<{ code: string; details: Record<string, unknown>; message: string }> {
  try {
    await p;
  } catch (err) {
    if (isTorrentError(err)) return { code: err.code, details: err.details, message: err.message };
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('announce URL', () => {
  it('percent-encodes raw bytes and keeps unreserved characters', () => {
    expect(percentEncodeBytes(Uint8Array.from([0x00, 0x41, 0x7e, 0x2d, 0x20, 0xff, 0x2f]))).toBe('%00A~-%20%FF%2F');
    const url = new URL(buildAnnounceUrl('http://t.example/announce?passkey=x', req));
    const raw = url.search;
    expect(raw).toContain('passkey=x&info_hash=');
    expect(raw).toContain(`peer_id=${percentEncodeBytes(peerId)}`);
    for (const [k, v] of [['port', '6881'], ['uploaded', '1'], ['downloaded', '2'], ['left', '3'], ['compact', '1'], ['event', 'started'], ['numwant', '50'], ['key', 'DEADBEEF']]) {
      expect(url.searchParams.get(k!)).toBe(v);
    }
    // the server sees the exact bytes again
    const m = /info_hash=([^&]*)/.exec(raw)!;
    const decoded = Buffer.from(unescape(m[1]!), 'latin1');
    expect(new Uint8Array(decoded)).toEqual(infoHash);
    expect(buildAnnounceUrl('http://t/a', { ...req, trackerId: Uint8Array.from([1, 2]) })).toContain('trackerid=%01%02');
  });

  it('derives scrape URLs by the BEP 48 convention', () => {
    expect(scrapeUrlFor('http://t.example/announce')).toBe('http://t.example/scrape');
    expect(scrapeUrlFor('http://t.example/x/announce.php?k=1')).toBe('http://t.example/x/scrape.php?k=1');
    expect(scrapeUrlFor('http://t.example/a')).toBeUndefined();
    expect(scrapeUrlFor('http://t.example/announce/x')).toBeUndefined();
  });
});

describe('HTTP tracker against a loopback server', () => {
  let t: HostileTracker;
  beforeEach(async () => {
    t = await startHostileTracker();
  });
  afterEach(async () => {
    await t.close();
  });

  it('announces and parses compact peers, peers6, counts, warning, tracker id and external ip (BEP 23/7/24)', async () => {
    const v6 = Buffer.alloc(18);
    v6[0] = 0x20; v6[1] = 0x01; v6[15] = 1; v6.writeUInt16BE(51413, 16);
    t.reply = {
      interval: 900, 'min interval': 120, complete: 5, incomplete: 7, 'warning message': 'be nice',
      'tracker id': 'tid-1', 'external ip': Buffer.from([203, 0, 113, 9]),
      peers: Buffer.from([1, 2, 3, 4, 0x1a, 0xe1, 0, 0, 0, 0, 0x1a, 0xe1, 224, 0, 0, 1, 1, 1, 5, 6, 7, 8, 0, 0]),
      peers6: v6,
    };
    const res = await httpAnnounce(`${t.base}/announce`, req);
    expect(res.peers).toEqual([{ host: '1.2.3.4', port: 6881 }, { host: '2001::1', port: 51413 }]);
    expect(res.droppedPeers).toBe(3); // 0.0.0.0, multicast, port 0
    expect(res).toMatchObject({ interval: 900, minInterval: 120, complete: 5, incomplete: 7, warning: 'be nice', externalIp: '203.0.113.9' });
    expect(new TextDecoder().decode(res.trackerId)).toBe('tid-1');
    expect(t.requests[0]?.query).toContain(`info_hash=${percentEncodeBytes(infoHash)}`);
  });

  it('parses dict-list peers (unsorted keys allowed), drops names and bad ports', async () => {
    const body = Buffer.concat([
      Buffer.from('d8:intervali60e5:peersl'),
      Buffer.from('d4:porti6881e2:ip7:9.8.7.6e'),
      Buffer.from('d2:ip11:example.com4:porti1ee'),
      Buffer.from('d2:ip7:9.8.7.54:porti0ee'),
      Buffer.from('d2:ip3:::14:porti80ee'),
      Buffer.from('ee'),
    ]);
    t.routes.set('/announce', (_q, res) => res.end(body));
    const res = await httpAnnounce(`${t.base}/announce`, req);
    expect(res.peers).toEqual([{ host: '9.8.7.6', port: 6881 }, { host: '::1', port: 80 }]);
    expect(res.droppedPeers).toBe(2);
  });

  it('clamps interval and min interval into [60 s, 1 h] (case 24)', async () => {
    t.reply = { interval: 1, 'min interval': 0, peers: Buffer.alloc(0) };
    expect(await httpAnnounce(`${t.base}/announce`, req)).toMatchObject({ interval: 60, minInterval: 60 });
    t.reply = { interval: 10_000_000, peers: Buffer.alloc(0) };
    expect((await httpAnnounce(`${t.base}/announce`, req)).interval).toBe(3600);
    t.reply = { interval: 30, peers: Buffer.alloc(0) };
    expect((await httpAnnounce(`${t.base}/announce`, req, { minInterval: 10 })).interval).toBe(30);
  });

  it('turns failure reason into tracker_error with retry in', async () => {
    t.reply = { 'failure reason': 'unregistered torrent', 'retry in': 10 };
    const e = await rejects(httpAnnounce(`${t.base}/announce`, req));
    expect(e.code).toBe('tracker_error');
    expect(e.details).toMatchObject({ reason: 'failure', failureReason: 'unregistered torrent', retryIn: 600 });
  });

  it('rejects garbage, non-dict replies and HTTP errors (case 24)', async () => {
    expect(await rejects(httpAnnounce(`${t.base}/garbage`, req))).toMatchObject({ code: 'tracker_error', details: { reason: 'invalid_response' } });
    t.routes.set('/announce', (_q, res) => res.end('li1ee'));
    expect((await rejects(httpAnnounce(`${t.base}/announce`, req))).message).toMatch(/not a dictionary/);
    t.routes.set('/announce', (_q, res) => res.end('d8:intervali1800e5:peers99999:ab'));
    expect((await rejects(httpAnnounce(`${t.base}/announce`, req))).code).toBe('tracker_error');
    expect(await rejects(httpAnnounce(`${t.base}/status?code=503`, req))).toMatchObject({ code: 'tracker_error', details: { status: 503 } });
  });

  it('stops reading past 1 MiB, also for gzip bombs (case 24)', async () => {
    expect(await rejects(httpAnnounce(`${t.base}/big`, req))).toMatchObject({ code: 'tracker_error', details: { reason: 'too_large' } });
    const e = await rejects(httpAnnounce(`${t.base}/gzip-bomb`, req));
    expect(e).toMatchObject({ code: 'tracker_error', details: { reason: 'too_large', limit: 1024 * 1024 } });
    // a smaller limit applies to decoded bytes as well
    t.reply = { interval: 1800, peers: Buffer.alloc(600) };
    expect((await rejects(httpAnnounce(`${t.base}/announce`, req, { maxBytes: 500 }))).details).toMatchObject({ reason: 'too_large' });
  });

  it('times out slow and trickling trackers', async () => {
    const t0 = Date.now();
    expect((await rejects(httpAnnounce(`${t.base}/slow`, req, { timeoutMs: 300 }))).code).toBe('timeout');
    expect((await rejects(httpAnnounce(`${t.base}/trickle`, req, { timeoutMs: 500 }))).code).toBe('timeout');
    expect(Date.now() - t0).toBeLessThan(5000);
    t.slowMs = 50;
    expect((await httpAnnounce(`${t.base}/slow`, req, { timeoutMs: 2000 })).peers).toHaveLength(1);
  });

  it('honours an abort signal', async () => {
    const ctl = new AbortController();
    const p = httpAnnounce(`${t.base}/slow`, req, { signal: ctl.signal });
    setTimeout(() => ctl.abort(), 50);
    expect((await rejects(p)).code).toBe('aborted');
  });

  it('follows redirects itself, within the hop limit', async () => {
    const target = encodeURIComponent('/announce');
    const res = await httpAnnounce(`${t.base}/redirect?to=${target}`, req);
    expect(res.peers).toHaveLength(1);
    t.routes.set('/loop', (_q, res) => {
      res.writeHead(307, { location: '/loop' });
      res.end();
    });
    expect((await rejects(fetchBounded(`${t.base}/loop`, { maxRedirects: 3 }))).details).toMatchObject({ reason: 'redirect' });
    expect(t.requests.filter((r) => r.path === '/loop').length).toBe(4);
    expect((await rejects(fetchBounded(`${t.base}/redirect?to=${encodeURIComponent('file:///etc/passwd')}`))).details).toMatchObject({ reason: 'scheme' });
  });

  it('refuses a public tracker redirecting to loopback (SSRF, case 25)', async () => {
    // "tracker.example" stands for a public host: the fetch below maps it onto our loopback server,
    // like a DNS entry would, so the redirect check sees a non-local origin.
    const aliasFetch: typeof fetch = (input, init) => {
      const u = new URL(input instanceof Request ? input.url : String(input));
      if (u.hostname === 'tracker.example') u.hostname = '127.0.0.1';
      return fetch(u, init);
    };
    const to = encodeURIComponent(`${t.base}/announce`);
    const e = await rejects(httpAnnounce(`http://tracker.example:${t.port}/redirect?to=${to}`, req, { fetch: aliasFetch }));
    expect(e).toMatchObject({ code: 'tracker_error', details: { reason: 'ssrf' } });
    expect(t.requests.map((r) => r.path)).toEqual(['/redirect']);
    // the same redirect from a public-looking host to another public-looking host is followed
    const ok = encodeURIComponent(`http://tracker.example:${t.port}/announce`);
    expect((await httpAnnounce(`http://tracker.example:${t.port}/redirect?to=${ok}`, req, { fetch: aliasFetch })).peers).toHaveLength(1);
  });

  it('scrapes (BEP 48) and reports not_supported without an announce path', async () => {
    const key = Buffer.from(infoHash).toString('latin1');
    t.scrapeReply = { files: { [key]: { complete: 3, incomplete: 4, downloaded: 9 } } };
    t.routes.set('/scrape', (_q, res) => res.end(bencode.encode({ files: new Map([[Buffer.from(infoHash), { complete: 3, incomplete: 4, downloaded: 9 }]]) })));
    const res = await httpScrape(`${t.base}/announce`, [infoHash]);
    expect(res.files.get(Buffer.from(infoHash).toString('hex'))).toEqual({ complete: 3, incomplete: 4, downloaded: 9 });
    expect(t.requests.at(-1)).toEqual({ path: '/scrape', query: `info_hash=${percentEncodeBytes(infoHash)}` });
    expect((await rejects(httpScrape(`${t.base}/a`, [infoHash]))).code).toBe('not_supported');
    const client = createHttpTrackerClient({ timeoutMs: 2000 });
    expect(client.canHandle('https://x/announce')).toBe(true);
    expect(client.canHandle('udp://x:1')).toBe(false);
    expect((await client.scrape(`${t.base}/announce`, [infoHash])).files.size).toBe(1);
  });
});

describe('redirect rule (case 25)', () => {
  it('judges IP literals and localhost names', () => {
    const refused = (from: string, to: string): boolean => {
      try {
        checkRedirect(from, to);
        return false;
      } catch (err) {
        return isTorrentError(err, 'tracker_error') && err.details.reason === 'ssrf';
      }
    };
    const pub = 'http://tracker.example/announce';
    for (const to of ['http://127.0.0.1/', 'http://127.1.2.3:80/', 'http://10.0.0.5/', 'http://192.168.1.1/', 'http://172.16.0.1/',
      'http://169.254.169.254/latest/meta-data', 'http://[::1]/', 'http://[fe80::1]/', 'http://[fd00::1]/', 'http://[::ffff:127.0.0.1]/',
      'http://localhost:8080/', 'http://api.localhost/', 'http://0.0.0.0/', 'http://2130706433/', 'http://0x7f.1/', 'http://100.64.0.1/']) {
      expect(refused(pub, to), to).toBe(true);
    }
    for (const to of ['http://8.8.8.8/', 'http://172.32.0.1/', 'http://[2001:db8::1]/', 'https://other.example/']) {
      expect(refused(pub, to), to).toBe(false);
    }
    expect(refused('http://127.0.0.1:1/announce', 'http://127.0.0.1:2/')).toBe(false);
    expect(refused('http://192.168.0.2/announce', 'http://10.1.1.1/')).toBe(false);
  });
});

describe('TLS is always verified (case 25)', () => {
  let dir: string;
  let server: https.Server;
  let port: number;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sk-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-days', '1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    server = https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_q, res) => {
      res.end(bencode.encode({ interval: 1800, peers: Buffer.from([1, 2, 3, 4, 0, 80]) }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a self-signed certificate', async () => {
    // the server itself works when verification is off (node:https, test only)
    const body = await new Promise<string>((resolve, reject) => {
      https.get({ host: '127.0.0.1', port, path: '/announce', rejectUnauthorized: false, agent: false }, (res) => {
        let s = '';
        res.on('data', (c: Buffer) => (s += c.toString('latin1')));
        res.on('end', () => resolve(s));
      }).on('error', reject);
    });
    expect(body).toContain('8:interval');
    const e = await rejects(httpAnnounce(`https://127.0.0.1:${port}/announce`, req, { timeoutMs: 5000 }));
    expect(e).toMatchObject({ code: 'tracker_error', details: { reason: 'network' } });
    expect(e.message).toMatch(/certificate/i);
  });
});
