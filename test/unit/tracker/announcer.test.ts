import bencode from 'bencode';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Announcer } from '../../../src/tracker/announcer.js';
import type { AnnouncerOptions, AnnouncerOwner } from '../../../src/tracker/announcer-types.js';
import { createHttpTrackerClient } from '../../../src/tracker/http.js';
import { startHostileTracker } from '../../helpers/hostile-tracker.js';
import type { HostileTracker } from '../../helpers/hostile-tracker.js';
import { ManualTimers } from './manual-timers.js';

const infoHash = Uint8Array.from({ length: 20 }, (_, i) => 200 - i);
const peerId = new TextEncoder().encode('-SK0001-000000000000');

interface Recorded {
  kind: 'reply' | 'warning' | 'error' | 'scrape' | 'scrape-error';
  url: string;
  event?: string;
  detail?: unknown;
}

function recorder(stats = { uploaded: 0, downloaded: 0, left: 1000 }): AnnouncerOwner & { log: Recorded[] } {
  const log: Recorded[] = [];
  return {
    log,
    announceStats: () => stats,
    onAnnounceReply: (e) => log.push({ kind: 'reply', url: e.url, ...(e.event ? { event: e.event } : {}), detail: e.response.peers.length }),
    onTrackerWarning: (e) => log.push({ kind: 'warning', url: e.url, detail: e.message }),
    onTrackerError: (e) => log.push({ kind: 'error', url: e.url, ...(e.event ? { event: e.event } : {}), detail: { code: e.error.code, fails: e.fails, retryInMs: e.retryInMs } }),
    onScrapeReply: (e) => log.push({ kind: 'scrape', url: e.url, detail: e.counts }),
    onScrapeError: (e) => log.push({ kind: 'scrape-error', url: e.url, detail: e.error.code }),
  };
}

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('Announcer (BEP 12 tiers, events, intervals, back-off) with loopback HTTP trackers', () => {
  let t: HostileTracker;
  let timers: ManualTimers;
  let owner: ReturnType<typeof recorder>;
  let ann: Announcer | undefined;
  const seen = (name: string): { event: string | null; query: URLSearchParams }[] =>
    t.requests.filter((r) => r.path === `/${name}/announce`).map((r) => ({ event: new URLSearchParams(r.query).get('event'), query: new URLSearchParams(r.query) }));
  const url = (name: string): string => `${t.base}/${name}/announce`;
  const make = (trackers: string[][], extra: Partial<AnnouncerOptions> = {}): Announcer => {
    ann = new Announcer({ infoHash, peerId, port: 6881, key: 7, trackers, clients: [createHttpTrackerClient({ timeoutMs: 3000 })], owner, timers, ...extra });
    return ann;
  };
  const good = (name: string, reply: () => Record<string, unknown> = () => ({ interval: 600, complete: 2, incomplete: 3, peers: Buffer.from([10, 0, 0, 1, 0x1a, 0xe1]) })): void => {
    t.routes.set(`/${name}/announce`, (_q, res) => res.end(bencode.encode(reply())));
  };
  const bad = (name: string): void => {
    t.routes.set(`/${name}/announce`, (_q, res) => {
      res.writeHead(500);
      res.end();
    });
  };
  const idle = (): boolean => (ann?.trackers() ?? []).every((s) => !s.updating);

  beforeEach(async () => {
    t = await startHostileTracker();
    timers = new ManualTimers();
    owner = recorder();
  });
  afterEach(async () => {
    ann?.close();
    expect(timers.pending).toBe(0);
    await t.close();
  });

  it('announces started to the first tracker of the first tier only, then re-announces on interval', async () => {
    good('a');
    good('b');
    good('c');
    const a = make([[url('a'), url('b')], [url('c')]]);
    a.start();
    await waitFor(() => owner.log.length === 1 && idle(), 'first reply');
    expect(owner.log[0]).toEqual({ kind: 'reply', url: url('a'), event: 'started', detail: 1 });
    expect(seen('b')).toHaveLength(0);
    expect(seen('c')).toHaveLength(0);
    const q = seen('a')[0]!.query;
    expect([q.get('port'), q.get('left'), q.get('numwant'), q.get('key')]).toEqual(['6881', '1000', '200', '00000007']);
    const st = a.trackers();
    expect(st.map((s) => [s.url, s.tier, s.verified, s.startSent, s.fails])).toEqual([[url('a'), 0, true, true, 0], [url('b'), 0, false, false, 0], [url('c'), 1, false, false, 0]]);
    expect(st[0]).toMatchObject({ nextAnnounce: timers.now() + 600_000, scrapeComplete: 2, scrapeIncomplete: 3 });
    timers.advance(599_000);
    expect(seen('a')).toHaveLength(1);
    timers.advance(1000);
    await waitFor(() => owner.log.length === 2 && idle(), 'second reply');
    expect(seen('a').map((s) => s.event)).toEqual(['started', null]);
    expect(seen('b')).toHaveLength(0);
  });

  it('skips a failing tracker within its tier, moves the working one to the front and backs off', async () => {
    bad('a');
    good('b');
    const a = make([[url('a'), url('b')]]);
    a.start();
    await waitFor(() => owner.log.some((e) => e.kind === 'reply') && idle(), 'b replies');
    expect(owner.log[0]).toMatchObject({ kind: 'error', url: url('a'), event: 'started', detail: { code: 'tracker_error', fails: 1, retryInMs: 17_000 } });
    expect(owner.log[1]).toMatchObject({ kind: 'reply', url: url('b'), event: 'started' });
    const st = a.trackers();
    expect(st.map((s) => s.url)).toEqual([url('b'), url('a')]);
    expect(st[1]).toMatchObject({ fails: 1, lastError: { code: 'tracker_error' }, nextAnnounce: timers.now() + 17_000 });
    // b is working and not due: a stays untouched even after its back-off ends
    timers.advance(20_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(seen('a')).toHaveLength(1);
  });

  it('falls back to the next tier when a whole tier fails and retries it after back-off', async () => {
    bad('a');
    good('c');
    const a = make([[url('a')], [url('c')]]);
    a.start();
    await waitFor(() => owner.log.length === 2 && idle(), 'fallback');
    expect(owner.log.map((e) => [e.kind, e.url])).toEqual([['error', url('a')], ['reply', url('c')]]);
    timers.advance(17_000);
    await waitFor(() => owner.log.length === 3 && idle(), 'retry of tier 0');
    expect(owner.log[2]).toMatchObject({ kind: 'error', url: url('a'), detail: { fails: 2, retryInMs: 55_000 } });
    expect(seen('a').map((s) => s.event)).toEqual(['started', 'started']);
    good('a');
    timers.advance(55_000);
    await waitFor(() => owner.log.length === 4 && idle(), 'tier 0 recovers');
    expect(owner.log[3]).toMatchObject({ kind: 'reply', url: url('a'), event: 'started' });
    expect(a.trackers()[0]).toMatchObject({ fails: 0, verified: true });
    expect(a.trackers()[0]?.lastError).toBeUndefined();
  });

  it('announces to every tier with announceToAllTiers, and to every tracker with announceToAllTrackers', async () => {
    for (const n of ['a', 'b', 'c']) good(n);
    const a = make([[url('a'), url('b')], [url('c')]], { announceToAllTiers: true });
    a.start();
    await waitFor(() => owner.log.length === 2 && idle(), 'two tiers');
    expect(new Set(owner.log.map((e) => e.url))).toEqual(new Set([url('a'), url('c')]));
    a.close();
    owner.log.length = 0;
    make([[url('a'), url('b')], [url('c')]], { announceToAllTrackers: true, announceToAllTiers: true }).start();
    await waitFor(() => owner.log.length === 3 && idle(), 'all trackers');
  });

  it('sends completed once, then stopped to started trackers, and leaves nothing running', async () => {
    good('a');
    let tid = 0;
    good('b', () => ({ interval: 600, 'tracker id': `T${++tid}`, peers: Buffer.alloc(0) }));
    const a = make([[url('a')], [url('b')]], { announceToAllTiers: true });
    a.start();
    await waitFor(() => owner.log.length === 2 && idle(), 'started');
    a.complete();
    await waitFor(() => owner.log.length === 4 && idle(), 'completed');
    expect(seen('a').map((s) => s.event)).toEqual(['started', 'completed']);
    expect(seen('b')[1]?.query.get('trackerid')).toBe('T1');
    a.complete();
    await a.stop();
    expect(seen('a').map((s) => s.event)).toEqual(['started', 'completed', 'stopped']);
    expect(seen('b').map((s) => s.event)).toEqual(['started', 'completed', 'stopped']);
    expect(seen('a')[2]?.query.get('numwant')).toBe('0');
    expect(timers.pending).toBe(0);
    expect(a.isRunning).toBe(false);
    timers.advance(3_600_000);
    await new Promise((r) => setTimeout(r, 30));
    expect(seen('a')).toHaveLength(3);
    // a restart sends started again
    a.start();
    await waitFor(() => seen('a').length === 4 && idle(), 'restart');
    expect(seen('a')[3]?.event).toBe('started');
  });

  it('a torrent that starts as a seed sends started with left=0 and never completed', async () => {
    good('a');
    owner = recorder({ uploaded: 5, downloaded: 0, left: 0 });
    const a = make([[url('a')]]);
    a.start({ seeding: true });
    await waitFor(() => owner.log.length === 1 && idle(), 'started');
    a.complete();
    timers.advance(600_000);
    await waitFor(() => seen('a').length === 2 && idle(), 'reannounce');
    expect(seen('a').map((s) => [s.event, s.query.get('left')])).toEqual([['started', '0'], [null, '0']]);
  });

  it('forceReannounce waits for min interval unless told otherwise; a forced lower tier goes out', async () => {
    good('a', () => ({ interval: 1800, 'min interval': 120, peers: Buffer.alloc(0) }));
    good('c');
    const a = make([[url('a')], [url('c')]]);
    a.start();
    await waitFor(() => owner.log.length === 1 && idle(), 'started');
    timers.advance(10_000);
    a.forceReannounce();
    await new Promise((r) => setTimeout(r, 30));
    expect(seen('a')).toHaveLength(1);
    timers.advance(110_000);
    await waitFor(() => seen('a').length === 2 && idle(), 'at min interval');
    a.forceReannounce({ ignoreMinInterval: true });
    await waitFor(() => seen('a').length === 3 && idle(), 'ignoring min interval');
    a.forceReannounce({ url: url('c') });
    await waitFor(() => seen('c').length === 1 && idle(), 'forced tier 1');
  });

  it('honours a failure reason with retry in, reports warnings, scrapes, adds and removes trackers', async () => {
    good('a', () => ({ 'failure reason': 'go away', 'retry in': 2 }));
    good('b', () => ({ interval: 900, 'warning message': 'slow down', peers: Buffer.alloc(0) }));
    t.routes.set('/b/scrape', (_q, res) => res.end(bencode.encode({ files: new Map([[Buffer.from(infoHash), { complete: 4, incomplete: 5, downloaded: 6 }]]) })));
    const a = make([[url('a')]]);
    a.start();
    await waitFor(() => owner.log.length === 1 && idle(), 'failure');
    expect(owner.log[0]).toMatchObject({ kind: 'error', detail: { fails: 1, retryInMs: 120_000 } });
    expect(a.addTracker(url('b'), 1)).toBe(true);
    expect(a.addTracker(url('b'), 1)).toBe(false);
    await waitFor(() => owner.log.length === 3 && idle(), 'b');
    expect(owner.log.slice(1)).toEqual([
      { kind: 'reply', url: url('b'), event: 'started', detail: 0 },
      { kind: 'warning', url: url('b'), detail: 'slow down' },
    ]);
    expect(a.trackers()[1]).toMatchObject({ url: url('b'), message: 'slow down' });
    await a.scrape();
    expect(owner.log.at(-1)).toEqual({ kind: 'scrape', url: url('b'), detail: { complete: 4, incomplete: 5, downloaded: 6 } });
    expect(a.trackers()[1]).toMatchObject({ scrapeComplete: 4, scrapeIncomplete: 5, scrapeDownloaded: 6 });
    expect(a.removeTracker(url('a'))).toBe(true);
    expect(a.removeTracker(url('a'))).toBe(false);
    expect(a.trackers().map((s) => s.url)).toEqual([url('b')]);
  });

  it('times out a hanging tracker with the completion timeout and moves on', async () => {
    t.slowMs = undefined;
    good('c');
    const a = make([[`${t.base}/slow`, url('c')]], { completionTimeoutMs: 5000 });
    a.start();
    await new Promise((r) => setTimeout(r, 30));
    expect(seen('c')).toHaveLength(0);
    timers.advance(5000);
    await waitFor(() => owner.log.length === 2 && idle(), 'timeout then c');
    expect(owner.log[0]).toMatchObject({ kind: 'error', detail: { code: 'timeout', fails: 1 } });
    expect(owner.log[1]).toMatchObject({ kind: 'reply', url: url('c') });
  });
});
