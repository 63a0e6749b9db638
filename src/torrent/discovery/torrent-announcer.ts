/**
 * A torrent's announcer for its http(s) and udp trackers (tracker/announcer.ts), with the owner callbacks
 * that turn its replies and failures into alerts and peers, and the client that posts `tracker_announce`
 * before each announce and hands it to the session's client for the URL's scheme. Loaded on first use by
 * torrent-discovery.ts, when a torrent has such a tracker; ws:// and wss:// trackers never need it.
 *
 * The HTTP(S) tracker client is re-exported here: the session's lazy HTTP client loads it from this module
 * (session/discovery.ts), so a page whose torrents list http trackers fetches the announcer and the client
 * as one chunk rather than two, one after the other.
 */
import { TorrentError } from '../../errors.js';
import { Announcer } from '../../tracker/announcer.js';
import type { TrackerClient } from '../../tracker/types.js';
import type { DiscoveryServices, DiscoveryTorrent } from './torrent-discovery.js';

export { createHttpTrackerClient } from '../../tracker/http.js';

const toAlertError = (e: TorrentError): { code: TorrentError['code']; message: string } => ({ code: e.code, message: e.message });

/** The session's client for `url`. */
function pick(svc: DiscoveryServices, url: string): TrackerClient {
  const c = svc.trackerClients().find((x) => x.canHandle(url));
  if (!c) throw new TorrentError('not_supported', `no tracker client for ${url}`, { details: { url } });
  return c;
}

/**
 * An announcer for `t`'s trackers in `list` (tier order; tier numbers kept, the announcer skips empty
 * tiers), announcing `port` (6881 while it is unknown) with the session's settings.
 */
export function makeAnnouncer(t: DiscoveryTorrent, svc: DiscoveryServices, port: number, list: readonly { url: string; tier: number }[]): Announcer {
  const s = svc.settings();
  const trackers: string[][] = [];
  for (const e of list) (trackers[e.tier] ??= []).push(e.url);
  const client: TrackerClient = {
    canHandle: (url) => svc.trackerClients().some((c) => c.canHandle(url)),
    announce: (url, req, opts) => {
      t.post('tracker_announce', { url, event: req.event ?? 'none' }); // posted before it goes out
      return pick(svc, url).announce(url, req, opts);
    },
    scrape: (url, hashes, opts) => pick(svc, url).scrape(url, hashes, opts),
  };
  return new Announcer({
    infoHash: t.infoHash,
    peerId: svc.peerId,
    port: port > 0 ? port : 6881,
    trackers,
    clients: [client],
    owner: {
      announceStats: () => t.announceStats(),
      onAnnounceReply: ({ url, event, response }) => {
        if (event === 'stopped') return;
        t.post('tracker_reply', { url, numPeers: response.peers.length });
        for (const p of response.peers) t.addPeer({ host: p.host, port: p.port }, 'tracker');
      },
      onTrackerWarning: ({ url, message }) => t.post('tracker_warning', { url, message }),
      onTrackerError: ({ url, error, fails, retryInMs }) => {
        t.post('tracker_error', { url, error: toAlertError(error), timesInRow: fails, retryIn: Math.round(retryInMs / 1000) });
      },
      onScrapeReply: ({ url, counts }) => t.post('scrape_reply', { url, complete: counts.complete, incomplete: counts.incomplete, downloaded: counts.downloaded }),
      onScrapeError: ({ url, error }) => t.post('scrape_failed', { url, error: toAlertError(error) }),
    },
    numWant: s.numWant,
    announceToAllTiers: s.announceToAllTiers,
    announceToAllTrackers: s.announceToAllTrackers,
    completionTimeoutMs: s.trackerCompletionTimeout * 1000,
    stopTimeoutMs: s.stopTrackerTimeout * 1000,
  });
}
