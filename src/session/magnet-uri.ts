/**
 * libtorrent's parse_magnet_uri. Apart from add-torrent-params.ts so that importing AddTorrentParams' helpers
 * does not import the magnet parser (the session loads it with the first magnet it adds).
 */
import { parseMagnet } from '../metainfo/magnet.js';
import { magnetParams } from './add-torrent-params.js';
import type { AddTorrentParams } from './add-torrent-params.js';

/**
 * Parses a magnet URI into AddTorrentParams (libtorrent's parse_magnet_uri): info-hashes, name,
 * trackers (one tier each), web seeds, peers and BEP 53 `so` as file priorities (selected files 4,
 * others 0). Throws the magnet parser's typed errors.
 */
export function parseMagnetUri(uri: string): AddTorrentParams {
  return magnetParams(parseMagnet(uri));
}
