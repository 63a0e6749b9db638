/**
 * AddTorrentParams: what addTorrent takes, after libtorrent's add_torrent_params. A torrent comes
 * from exactly one source: `ti` (parsed metadata), `infoHashes`, or `url` (a magnet link; see also
 * parseMagnetUri in ./magnet-uri.ts). Flags are booleans instead of libtorrent's bit flags.
 */
import { TorrentError } from '../errors.js';
import type { StorageAdapter } from '../interfaces/storage.js';
import type { PeerAddress } from '../interfaces/transport.js';
import type { InfoHashes } from '../metainfo/info-hash.js';
import type { MagnetLink } from '../metainfo/magnet-link.js';
import type { TorrentInfo } from '../metainfo/torrent-info.js';
import type { TorrentFlags } from '../torrent/torrent.js';
import { DONT_DOWNLOAD, DEFAULT_PRIORITY } from '../torrent/priorities.js';

export type { TorrentFlags } from '../torrent/torrent.js';

/** libtorrent's add_torrent_params, camel-cased. */
export interface AddTorrentParams {
  /** Parsed metadata (a .torrent). */
  ti?: TorrentInfo;
  /** Info-hashes when metadata is not at hand (it is then fetched from peers once the swarm lands). */
  infoHashes?: InfoHashes;
  /** A magnet URI, parsed on add (same as spreading parseMagnetUri's result). */
  url?: string;
  /** Where the data lives; passed to the session's storage factory. */
  savePath?: string;
  /** Storage for this torrent; overrides the session's factory. */
  storage?: StorageAdapter;
  /** Display name until metadata arrives (metadata's name wins then). */
  name?: string;
  /** Extra trackers: a list of URLs (one tier each) or tiers of URLs. */
  trackers?: ReadonlyArray<string | readonly string[]>;
  /** BEP 19 web seeds. */
  urlSeeds?: readonly string[];
  /** Peers to try first (used once transports land). */
  peers?: readonly PeerAddress[];
  /** Priority per file, 0..7; missing entries default to 4. */
  filePriorities?: readonly number[];
  /** Priority per piece, 0..7 (needs metadata). */
  piecePriorities?: readonly number[];
  /** Torrent flags; unspecified ones take {@link defaultTorrentFlags}. */
  flags?: Partial<TorrentFlags>;
}

/**
 * Default flags. libtorrent's default_flags add torrents paused and auto-managed so its queue starts
 * them; the queue (auto-manager) lands with the swarm, so until then torrents start unpaused and not
 * auto-managed, and nothing claims management that does not happen.
 */
export const defaultTorrentFlags: Readonly<TorrentFlags> = Object.freeze({
  paused: false,
  autoManaged: false,
  seedMode: false,
  uploadMode: false,
  sequentialDownload: false,
});

/**
 * A parsed magnet link as AddTorrentParams ({@link parseMagnetUri} in ./magnet-uri.ts parses and calls this;
 * it lives apart so that the session loads the magnet parser only with the first magnet).
 */
export function magnetParams(m: MagnetLink): AddTorrentParams {
  const p: AddTorrentParams = {
    infoHashes: m.infoHashes,
    trackers: m.trackers.map((t) => [t]),
    urlSeeds: m.webSeeds,
    peers: m.peers.map((x) => ({ host: x.host, port: x.port })),
  };
  if (m.name !== undefined) p.name = m.name;
  if (m.selectOnly && m.selectOnly.length > 0) {
    const max = Math.max(...m.selectOnly);
    const prios = new Array<number>(max + 1).fill(DONT_DOWNLOAD);
    for (const i of m.selectOnly) prios[i] = DEFAULT_PRIORITY;
    p.filePriorities = prios;
  }
  return p;
}

/** Normalises trackers to tiers and checks each URL is a string. */
export function trackerTiers(list: AddTorrentParams['trackers']): string[][] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new TorrentError('invalid_argument', 'trackers must be an array');
  return list.map((t) => {
    const tier = typeof t === 'string' ? [t] : [...t];
    for (const u of tier) if (typeof u !== 'string' || u === '') throw new TorrentError('invalid_argument', 'tracker URLs must be non-empty strings');
    return tier;
  });
}

/** Validates peer addresses (host non-empty, port 1..65535). */
export function checkPeerAddress(a: PeerAddress): PeerAddress {
  if (a === null || typeof a !== 'object' || typeof a.host !== 'string' || a.host === '' || !Number.isInteger(a.port) || a.port < 1 || a.port > 65535) {
    throw new TorrentError('invalid_argument', 'a peer address needs a host and a port in 1..65535');
  }
  return a;
}
