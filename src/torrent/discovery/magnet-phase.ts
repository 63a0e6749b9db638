/**
 * What a torrent added by magnet link (or by info-hashes alone) needs and a torrent added from a .torrent
 * never does: the magnet parser and the metadata swarm with its ut_metadata fetcher; with them the
 * ut_metadata server (BEP 9's other side, with the codec both use), which a torrent added from a .torrent
 * needs only when a peer that came by magnet asks it for the metadata. Imported only dynamically
 * (../../lazy.ts): by Session.addTorrent for a `url`, by SwarmLink for the metadata phase and by
 * PeerExtensions for the first ut_metadata message, so an app's bundler puts all of it in one chunk that
 * pages adding only .torrent files fetch only when asked for metadata. (Apart, the server and its codec
 * would be a chunk of their own beside this one, which costs more in all.)
 */
export { parseMagnet } from '../../metainfo/magnet.js';
export { MetadataSwarm } from './metadata-swarm.js';
export { MetadataServer } from '../../wire/extensions/ut-metadata-server.js';
