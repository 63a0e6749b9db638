/**
 * What a torrent added by magnet link (or by info-hashes alone) needs and a torrent added from a .torrent
 * never does: the magnet parser and the metadata swarm with its ut_metadata fetcher. Imported only
 * dynamically (../../lazy.ts): by Session.addTorrent for a `url` and by SwarmLink for the metadata phase,
 * so an app's bundler puts all of it in one chunk that pages adding only .torrent files never fetch.
 */
export { parseMagnet } from '../../metainfo/magnet.js';
export { MetadataSwarm } from './metadata-swarm.js';
