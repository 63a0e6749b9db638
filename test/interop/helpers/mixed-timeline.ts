/**
 * Helpers of test/interop/mixed-swarm.test.ts: the page-side downloader that records a progress timeline
 * ({@link MIXED_PAGE}) and the overlap check over two timelines ({@link midOverlap}).
 */

/** One progress sample: wall-clock ms since the epoch, payload bytes received so far. */
export type Sample = readonly [t: number, bytes: number];

/** What the page's `mixed.result()` resolves. */
export interface MixedResult {
  state: string;
  digest: string;
  hashFailed: number;
  transports: (string | undefined)[];
  warnings: string[];
  samples: Sample[];
}

/** `globalThis` of a swarmkit page after {@link MIXED_PAGE} ran. */
export type MixedGlobal = typeof globalThis & {
  mixed: {
    /** Starts downloading (default IndexedDB storage, WebRTC, no ICE servers); returns at once. */
    start(torrent: number[], timeoutMs: number): boolean;
    /** Payload bytes received so far. */
    received(): number;
    /** Resolves when the torrent seeds (or the timeout passed): status, digest of the stored bytes, timeline. */
    result(): Promise<MixedResult>;
    /** Session state and recent alerts, for failure messages. */
    debug(): string;
    /** Closes the page's session. */
    close(): Promise<void>;
  };
};

/**
 * Page-side code, plain JavaScript added as a script tag (page.evaluate bodies are transformed by Vitest).
 * Samples `totalPayloadDownload` every 25 ms from the moment the torrent is added until it seeds.
 */
export const MIXED_PAGE = String.raw`(() => {
  const m = globalThis.swarmkit;
  const st = { samples: [], alerts: [], session: null, handle: null, run: null };
  const hex = async (u8) => [...new Uint8Array(await crypto.subtle.digest('SHA-256', u8))].map((b) => b.toString(16).padStart(2, '0')).join('');
  globalThis.mixed = {
    start(torrent, timeoutMs) {
      st.run = (async () => {
        const ti = await m.TorrentInfo.fromBytes(new Uint8Array(torrent));
        const s = new m.Session({
          settings: { alertMask: m.alertCategory.all, tickInterval: 100, minReconnectTime: 1 },
          webrtc: m.webRtcOption({ rtcConfig: { iceServers: [] } }),
        });
        st.session = s;
        const h = await s.addTorrent({ ti, savePath: 'mixed' });
        st.handle = h;
        const sample = () => st.samples.push([Date.now(), h.status().totalPayloadDownload]);
        sample();
        const timer = setInterval(sample, 25);
        const deadline = Date.now() + timeoutMs;
        try {
          while (h.status().state !== 'seeding' && Date.now() < deadline) {
            await s.waitForAlert(200);
            st.alerts.push(...s.popAlerts());
          }
        } finally {
          clearInterval(timer);
          sample();
        }
        st.alerts.push(...s.popAlerts());
        const state = h.status().state;
        let digest = '';
        if (state === 'seeding') {
          const all = new Uint8Array(ti.totalLength);
          for (let i = 0; i < ti.pieceCount; i++) all.set(await h.readPiece(i), i * ti.pieceLength);
          digest = await hex(all);
        }
        return {
          state, digest,
          hashFailed: st.alerts.filter((a) => a.type === 'hash_failed').length,
          transports: st.alerts.filter((a) => a.type === 'peer_connect').map((a) => a.transport),
          warnings: st.alerts.filter((a) => ['tracker_warning', 'tracker_error', 'file_error', 'torrent_error'].includes(a.type)).map((a) => JSON.stringify(a)),
          samples: st.samples,
        };
      })();
      st.run.catch(() => {});
      return true;
    },
    received() {
      return st.handle ? st.handle.status().totalPayloadDownload : 0;
    },
    result() {
      return st.run;
    },
    debug() {
      return JSON.stringify({
        status: st.handle ? st.handle.status() : null,
        alerts: st.alerts.slice(-20).map((a) => a.type + (a.message ? ': ' + a.message : '')),
      }, (_k, v) => (v instanceof Uint8Array ? '<bytes>' : v));
    },
    async close() {
      if (st.session) await st.session.close();
      st.session = null;
    },
  };
})();`;

/**
 * One leech's download on the wall clock: `startMs` is when it certainly held some payload (its first
 * byte seen), `endMs` when it certainly held all of it (complete seen); `samples` are progress samples in
 * time order, each a lower and upper bound of the (monotonic) byte count between its neighbours.
 */
export interface Timeline {
  readonly startMs: number;
  readonly endMs: number;
  readonly samples: readonly Sample[];
}

/** A timeline from samples alone: first sample with bytes > 0 to the first holding `total`. */
export function timelineOf(samples: readonly Sample[], total: number): Timeline | undefined {
  const first = samples.find(([, b]) => b > 0);
  const done = samples.find(([, b]) => b >= total);
  return first !== undefined && done !== undefined ? { startMs: first[0], endMs: done[0], samples } : undefined;
}

/** Fewest bytes held at `t`: the last sample at or before it (0 before the first). */
function atLeast(samples: readonly Sample[], t: number): number {
  let b = 0;
  for (const [st, sb] of samples) {
    if (st > t) break;
    b = sb;
  }
  return b;
}

/** Most bytes held at `t`: the first sample at or after it (Infinity after the last). */
function atMost(samples: readonly Sample[], t: number): number {
  for (const [st, sb] of samples) if (st >= t) return sb;
  return Infinity;
}

/** Where two downloads were both in progress, and how much each certainly received in that window. */
export interface Overlap {
  readonly startMs: number;
  readonly endMs: number;
  /** Fewest bytes leech A can have received between startMs and endMs (by its samples). */
  readonly gainA: number;
  /** Likewise for leech B. */
  readonly gainB: number;
}

/**
 * The intersection of two downloads' [startMs, endMs] windows (undefined when they do not intersect),
 * with lower bounds of what each received inside it: bytes at the end (at least the last sample before)
 * minus bytes at the start (at most the first sample after). Both gains > 0 means both leeches received
 * payload while both downloads were in progress.
 */
export function overlap(a: Timeline, b: Timeline): Overlap | undefined {
  const startMs = Math.max(a.startMs, b.startMs);
  const endMs = Math.min(a.endMs, b.endMs);
  if (endMs <= startMs) return undefined;
  return {
    startMs,
    endMs,
    gainA: atLeast(a.samples, endMs) - atMost(a.samples, startMs),
    gainB: atLeast(b.samples, endMs) - atMost(b.samples, startMs),
  };
}
