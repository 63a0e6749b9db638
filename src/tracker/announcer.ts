/**
 * Announcer: one torrent's trackers, BEP 12 tiers, events, intervals and back-off, after libtorrent.
 *
 * Rules (libtorrent defaults: announce_to_all_tiers = false, announce_to_all_trackers = false)
 * - Trackers sit in tiers, in order. On each update, tiers are walked in order; within a tier, trackers
 *   are walked in order:
 *   - an announce in flight, or a working tracker (last announce succeeded) that is not yet due,
 *     satisfies the tier;
 *   - a tracker that is due is announced to and satisfies the tier;
 *   - a tracker in back-off after a failure is skipped, so the next one in the tier gets its turn.
 *   With announceToAllTrackers every tracker of the tier is walked. The walk stops after the first
 *   satisfied tier unless announceToAllTiers. A tier whose trackers all fail lets the next tier in,
 *   and it is tried again as its back-off ends.
 * - A tracker that answers moves to the front of its tier (BEP 12).
 * - Events: `started` on the first announce to each tracker (until one succeeds); `completed` once to
 *   each started tracker after {@link Announcer.complete} (it may bypass `min interval`); `stopped` on
 *   {@link Announcer.stop} to every tracker that was started. A torrent that starts as a seed never
 *   sends `completed`.
 * - After a reply the next announce is due after `interval`; a forced reannounce waits for `min
 *   interval` unless told to ignore it. Clients already clamp both into a sane range.
 * - Back-off after a failure (libtorrent announce_entry::failed): delay = min(retryDelayMax,
 *   retryDelayMin + fails² × retryDelayMin × trackerBackoff / 100) s, at least the tracker's own
 *   `retry in`. With the defaults: 17, 55, 117, 205, 317 … s, capped at one hour.
 * - One timer at a time, for the earliest due tracker; every reply or failure re-runs the walk.
 */
import { TorrentError } from '../errors.js';
import { toHex } from '../metainfo/info-hash.js';
import type { AnnouncerOptions, AnnouncerOwner, Timers, TrackerStatus } from './announcer-types.js';
import type { AnnounceEvent, AnnounceResponse, ScrapeCounts, TrackerClient } from './types.js';

interface Entry {
  url: string;
  tier: number;
  fails: number;
  updating: boolean;
  verified: boolean;
  working: boolean;
  startSent: boolean;
  completeSent: boolean;
  forced: boolean;
  nextAnnounce: number;
  minAnnounce: number;
  lastError?: TorrentError;
  message?: string;
  trackerId?: Uint8Array;
  scrape: { complete: number; incomplete: number; downloaded: number };
  ctl?: AbortController;
}

/** The real clock: Date.now and the global timers. */
export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof globalThis.setTimeout>),
};

function asTorrentError(err: unknown): TorrentError {
  if (err instanceof TorrentError) return err;
  return new TorrentError('tracker_error', err instanceof Error ? err.message : String(err), { cause: err });
}

/** Announces one torrent to its trackers; see the rules above. */
export class Announcer {
  private entries: Entry[] = [];
  private readonly timers: Timers;
  private readonly owner: AnnouncerOwner;
  private readonly key: number;
  private running = false;
  private isSeed = false;
  private timer: unknown;
  private generation = 0;

  constructor(private readonly opts: AnnouncerOptions) {
    if (opts.infoHash.length !== 20 || opts.peerId.length !== 20) {
      throw new TorrentError('invalid_argument', 'info-hash and peer id must be 20 bytes');
    }
    this.timers = opts.timers ?? realTimers;
    this.owner = opts.owner;
    this.key = opts.key ?? (globalThis.crypto.getRandomValues(new Uint32Array(1))[0] ?? 0);
    opts.trackers.forEach((tier, t) => tier.forEach((url) => this.addTracker(url, t)));
  }

  /** True between {@link start} and {@link stop} / {@link close}. */
  get isRunning(): boolean {
    return this.running;
  }

  /** Starts announcing (`started`). `seeding` marks a torrent that starts complete. */
  start(opts: { seeding?: boolean } = {}): void {
    if (this.running) return;
    this.running = true;
    this.isSeed = opts.seeding === true;
    if (this.isSeed) for (const e of this.entries) e.completeSent = true;
    this.update();
  }

  /** The download finished: send `completed` to started trackers now. */
  complete(): void {
    if (this.isSeed) return;
    this.isSeed = true;
    const now = this.timers.now();
    for (const e of this.entries) if (e.startSent && !e.completeSent) e.nextAnnounce = now;
    this.update();
  }

  /**
   * Reannounces now (or at `min interval`, unless `ignoreMinInterval`). Without `url` / `tier`, applies
   * to every tracker; a forced tracker is announced even when an earlier tracker satisfies its tier.
   */
  forceReannounce(opts: { url?: string; tier?: number; ignoreMinInterval?: boolean } = {}): void {
    const now = this.timers.now();
    for (const e of this.entries) {
      if (opts.url !== undefined && e.url !== opts.url) continue;
      if (opts.tier !== undefined && e.tier !== opts.tier) continue;
      e.nextAnnounce = opts.ignoreMinInterval ? now : Math.max(now, e.minAnnounce);
      e.forced = opts.url !== undefined || opts.tier !== undefined;
    }
    this.reschedule();
    this.update();
  }

  /** Adds a tracker at the end of `tier` (default 0). False when the URL is already listed. */
  addTracker(url: string, tier = 0): boolean {
    if (this.entries.some((e) => e.url === url)) return false;
    const e: Entry = {
      url, tier, fails: 0, updating: false, verified: false, working: false, startSent: false,
      completeSent: this.isSeed, forced: false, nextAnnounce: 0, minAnnounce: 0,
      scrape: { complete: -1, incomplete: -1, downloaded: -1 },
    };
    let at = this.entries.length;
    while (at > 0 && (this.entries[at - 1]?.tier ?? 0) > tier) at--;
    this.entries.splice(at, 0, e);
    if (this.running) this.update();
    return true;
  }

  /** Removes a tracker (an announce in flight is aborted). False when not listed. */
  removeTracker(url: string): boolean {
    const i = this.entries.findIndex((e) => e.url === url);
    if (i < 0) return false;
    this.entries[i]?.ctl?.abort();
    this.entries.splice(i, 1);
    if (this.running) this.update();
    return true;
  }

  /** Per-tracker status, in tier order. */
  trackers(): TrackerStatus[] {
    return this.entries.map((e) => ({
      url: e.url, tier: e.tier, fails: e.fails, updating: e.updating, verified: e.verified,
      startSent: e.startSent, completeSent: e.completeSent,
      ...(e.lastError ? { lastError: { code: e.lastError.code, message: e.lastError.message } } : {}),
      ...(e.message !== undefined ? { message: e.message } : {}),
      ...(e.verified || e.fails > 0 ? { nextAnnounce: e.nextAnnounce, minAnnounce: e.minAnnounce } : {}),
      scrapeComplete: e.scrape.complete, scrapeIncomplete: e.scrape.incomplete, scrapeDownloaded: e.scrape.downloaded,
    }));
  }

  /**
   * Scrapes the current tracker (the first that has answered, else the first with a client). Results go
   * to the owner and the status list. Resolves when done (never rejects).
   */
  async scrape(): Promise<void> {
    const e = this.entries.find((x) => x.verified && this.clientFor(x.url)) ?? this.entries.find((x) => this.clientFor(x.url));
    const client = e && this.clientFor(e.url);
    if (e === undefined || client === undefined) return;
    const gen = this.generation;
    const ctl = new AbortController();
    const t = this.timers.setTimeout(() => ctl.abort(), this.opts.completionTimeoutMs ?? 30_000);
    try {
      const res = await client.scrape(e.url, [this.opts.infoHash], { signal: ctl.signal });
      const counts: ScrapeCounts | undefined = res.files.get(toHex(this.opts.infoHash));
      if (gen !== this.generation || !this.entries.includes(e)) return;
      if (counts === undefined) throw new TorrentError('tracker_error', 'scrape reply does not list this torrent');
      e.scrape = { ...counts };
      this.safe(() => this.owner.onScrapeReply({ url: e.url, tier: e.tier, counts }));
    } catch (err) {
      if (gen !== this.generation) return;
      const error = ctl.signal.aborted ? new TorrentError('timeout', `scrape of ${e.url} timed out`) : asTorrentError(err);
      this.safe(() => this.owner.onScrapeError({ url: e.url, tier: e.tier, error }));
    } finally {
      this.timers.clearTimeout(t);
    }
  }

  /**
   * Stops: aborts announces in flight, sends `stopped` to every started tracker (each bounded by
   * stopTimeoutMs) and resolves when they have answered or failed. {@link start} may follow.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    const started = this.entries.filter((e) => e.startSent);
    this.halt();
    const timeout = this.opts.stopTimeoutMs ?? 5000;
    await Promise.all(started.map((e) => this.announce(e, 'stopped', timeout)));
    for (const e of this.entries) {
      e.startSent = false;
      e.nextAnnounce = 0;
    }
  }

  /** Stops at once without `stopped` announces (session shutdown); leaves no timers or requests. */
  close(): void {
    this.halt();
  }

  private halt(): void {
    this.running = false;
    this.generation++;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    for (const e of this.entries) {
      e.ctl?.abort();
      e.updating = false;
      e.forced = false;
    }
  }

  private clientFor(url: string): TrackerClient | undefined {
    return this.opts.clients.find((c) => c.canHandle(url));
  }

  private eventFor(e: Entry): AnnounceEvent | undefined {
    if (!e.startSent) return 'started';
    if (this.isSeed && !e.completeSent) return 'completed';
    return undefined;
  }

  /** The tier walk; see the rules at the top of the file. */
  private update(): void {
    if (!this.running) return;
    const now = this.timers.now();
    const limit = this.opts.failLimit ?? 0;
    const usable = (e: Entry): boolean => this.clientFor(e.url) !== undefined && (limit === 0 || e.fails < limit);
    for (const e of this.entries) {
      if (e.forced && !e.updating && now >= e.nextAnnounce && usable(e)) void this.announce(e, this.eventFor(e));
    }
    let tier = -1;
    let tierDone = false;
    let anyDone = false;
    for (const e of [...this.entries]) {
      if (e.tier !== tier) {
        anyDone ||= tierDone;
        if (anyDone && !this.opts.announceToAllTiers) break;
        tier = e.tier;
        tierDone = false;
      }
      if (tierDone && !this.opts.announceToAllTrackers) continue;
      if (!usable(e)) continue;
      if (e.updating || (e.working && now < e.nextAnnounce)) {
        tierDone = true;
      } else if (now >= e.nextAnnounce) {
        void this.announce(e, this.eventFor(e));
        tierDone = true;
      }
    }
    this.reschedule();
  }

  private reschedule(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.running) return;
    const now = this.timers.now();
    let next = Infinity;
    for (const e of this.entries) if (!e.updating && e.nextAnnounce > now) next = Math.min(next, e.nextAnnounce);
    if (next === Infinity) return;
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.update();
    }, next - now);
  }

  private announce(e: Entry, event: AnnounceEvent | undefined, timeoutMs?: number): Promise<void> {
    const client = this.clientFor(e.url);
    if (client === undefined) return Promise.resolve();
    const gen = this.generation;
    const ctl = new AbortController();
    e.ctl = ctl;
    e.updating = true;
    e.forced = false;
    let timedOut = false;
    const timer = this.timers.setTimeout(() => {
      timedOut = true;
      ctl.abort();
    }, timeoutMs ?? this.opts.completionTimeoutMs ?? 30_000);
    const stats = this.owner.announceStats();
    const req = {
      infoHash: this.opts.infoHash, peerId: this.opts.peerId, port: this.opts.port, key: this.key,
      uploaded: stats.uploaded, downloaded: stats.downloaded, left: stats.left,
      numWant: event === 'stopped' ? 0 : (this.opts.numWant ?? 200),
      ...(event !== undefined ? { event } : {}),
      ...(e.trackerId !== undefined ? { trackerId: e.trackerId } : {}),
    };
    return client.announce(e.url, req, { signal: ctl.signal }).then(
      (res) => {
        this.timers.clearTimeout(timer);
        if (e.ctl === ctl) e.ctl = undefined;
        if (event === 'stopped' || gen === this.generation) this.onSuccess(e, event, res);
      },
      (err: unknown) => {
        this.timers.clearTimeout(timer);
        if (e.ctl === ctl) e.ctl = undefined;
        if (gen !== this.generation && event !== 'stopped') return;
        const error = timedOut ? new TorrentError('timeout', `tracker ${e.url} timed out`, { cause: err }) : asTorrentError(err);
        this.onFailure(e, event, error);
      },
    );
  }

  private onSuccess(e: Entry, event: AnnounceEvent | undefined, res: AnnounceResponse): void {
    const now = this.timers.now();
    e.updating = false;
    e.fails = 0;
    e.verified = true;
    e.working = true;
    e.lastError = undefined;
    e.message = res.warning;
    if (event === 'started') e.startSent = true;
    if (event === 'completed' || (event === 'started' && this.isSeed)) e.completeSent = true;
    if (res.trackerId !== undefined) e.trackerId = res.trackerId;
    e.nextAnnounce = now + res.interval * 1000;
    e.minAnnounce = now + (res.minInterval ?? 0) * 1000;
    e.scrape = {
      complete: res.complete ?? e.scrape.complete,
      incomplete: res.incomplete ?? e.scrape.incomplete,
      downloaded: res.downloaded ?? e.scrape.downloaded,
    };
    if (event !== 'stopped') this.moveToFront(e);
    this.safe(() => this.owner.onAnnounceReply({ url: e.url, tier: e.tier, ...(event ? { event } : {}), response: res }));
    if (res.warning !== undefined) {
      const message = res.warning;
      this.safe(() => this.owner.onTrackerWarning({ url: e.url, tier: e.tier, message }));
    }
    if (event !== 'stopped') this.update();
  }

  private onFailure(e: Entry, event: AnnounceEvent | undefined, error: TorrentError): void {
    const now = this.timers.now();
    e.updating = false;
    e.working = false;
    e.fails++;
    e.lastError = error;
    const min = this.opts.retryDelayMin ?? 5;
    const max = this.opts.retryDelayMax ?? 3600;
    const backoff = this.opts.trackerBackoff ?? 250;
    const retryIn = typeof error.details.retryIn === 'number' ? error.details.retryIn : 0;
    const delay = Math.max(retryIn, Math.min(max, min + Math.floor((e.fails * e.fails * min * backoff) / 100)));
    e.nextAnnounce = now + delay * 1000;
    this.safe(() => this.owner.onTrackerError({ url: e.url, tier: e.tier, ...(event ? { event } : {}), error, fails: e.fails, retryInMs: delay * 1000 }));
    if (event !== 'stopped') this.update();
  }

  private moveToFront(e: Entry): void {
    const i = this.entries.indexOf(e);
    const first = this.entries.findIndex((x) => x.tier === e.tier);
    if (i <= first || first < 0) return;
    this.entries.splice(i, 1);
    this.entries.splice(first, 0, e);
  }

  private safe(fn: () => void): void {
    try {
      fn();
    } catch {
      // an owner callback threw: the announcer keeps going (HOSTILE-INPUTS 37)
    }
  }
}
