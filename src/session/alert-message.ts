/**
 * Human-readable text for alerts, in the spirit of libtorrent's `alert::message()`. The text is for
 * people and logs; programs should read the alert's fields. Names come from torrents (untrusted): this
 * text is plain, never HTML — escape it before putting it in a page.
 */
import type { Alert, AlertEndpoint } from './alerts.js';

function who(a: { name: string; infoHash: string }): string {
  return a.name !== '' ? a.name : a.infoHash;
}

function ep(e: AlertEndpoint): string {
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

/** libtorrent-style message text for `a`. */
export function alertMessage(a: Alert): string {
  switch (a.type) {
    case 'torrent_added': return `${who(a)} added`;
    case 'add_torrent':
      return a.error ? `failed to add torrent "${who(a)}": [${a.error.code}] ${a.error.message}` : `added torrent: ${who(a)}`;
    case 'torrent_removed': return `${who(a)} removed`;
    case 'torrent_deleted': return `${who(a)} deleted`;
    case 'torrent_delete_failed': return `${who(a)} torrent deletion failed: ${a.error.message}`;
    case 'torrent_paused': return `${who(a)} paused`;
    case 'torrent_resumed': return `${who(a)} resumed`;
    case 'state_changed': return `${who(a)}: state changed to: ${a.state}`;
    case 'torrent_checked': return `${who(a)} checked`;
    case 'torrent_finished': return `${who(a)} torrent finished downloading`;
    case 'torrent_error': return `${who(a)} ERROR: [${a.error.code}] ${a.error.message}${a.filename ? ` (${a.filename})` : ''}`;
    case 'file_error': return `${who(a)} file (${a.filename ?? '?'}) error: ${a.operation}: ${a.error.message}`;
    case 'storage_moved': return `${who(a)} moved storage from "${a.oldPath}" to: "${a.storagePath}"`;
    case 'storage_moved_failed': return `${who(a)} storage move failed. ${a.operation} (${a.filePath}): ${a.error.message}`;
    case 'cache_flushed': return `${who(a)} cache flushed`;
    case 'piece_finished': return `${who(a)} piece: ${a.pieceIndex} finished downloading`;
    case 'hash_failed': return `${who(a)} hash for piece ${a.pieceIndex} failed`;
    case 'metadata_received': return `${who(a)} metadata successfully received`;
    case 'metadata_failed': return `${who(a)} invalid metadata received: ${a.error.message}`;
    case 'file_completed': return `${who(a)}: file ${a.fileIndex} finished downloading`;
    case 'state_update': return `state updates for ${a.status.length} torrents`;
    case 'alerts_dropped': return `dropped alerts: ${a.droppedTypes.join(' ')}`;
    case 'listen_succeeded': return `successfully listening on [${a.socketType}] ${a.address}:${a.port}`;
    case 'listen_failed': return `listening on ${a.address}:${a.port} (${a.socketType}) failed: [${a.operation}] ${a.error.message}`;
    case 'peer_connect': return `${who(a)} peer (${ep(a.endpoint)}) connecting (${a.direction}, ${a.transport})`;
    case 'peer_disconnected': return `${who(a)} peer (${ep(a.endpoint)}) disconnecting: ${a.reason}${a.error ? ` [${a.error.code}] ${a.error.message}` : ''}`;
    case 'peer_banned': return `${who(a)} peer (${ep(a.endpoint)}) banned peer: ${a.reason}`;
    case 'peer_blocked': return `${who(a)}: blocked peer: ${ep(a.endpoint)} (${a.reason})`;
    case 'tracker_announce': return `${who(a)} (${a.url}) sending announce (${a.event})`;
    case 'tracker_reply': return `${who(a)} (${a.url}) received peers: ${a.numPeers}`;
    case 'tracker_error': return `${who(a)} (${a.url}) (${a.timesInRow}) ${a.error.message} (retry in ${a.retryIn}s)`;
    case 'tracker_warning': return `${who(a)} (${a.url}) warning: ${a.message}`;
    case 'scrape_reply': return `${who(a)} (${a.url}) scrape reply: ${a.incomplete} ${a.complete}`;
    case 'scrape_failed': return `${who(a)} (${a.url}) scrape failed: ${a.error.message}`;
    case 'dht_bootstrap': return `DHT bootstrap complete (${a.nodes} nodes)`;
    case 'dht_reply': return `${who(a)} received DHT peers: ${a.numPeers} from ${ep(a.from)}`;
    case 'dht_get_peers': return `incoming dht get_peers: ${a.infoHash} from ${ep(a.from)}`;
    case 'dht_announce': return `incoming dht announce: ${a.ip}:${a.port} (${a.infoHash})`;
    case 'lsd_peer': return `${who(a)} received peer from local service discovery: ${ep(a.endpoint)}`;
    case 'session_error': return `session error: [${a.error.code}] ${a.error.message}`;
    case 'save_resume_data': return `${who(a)} resume data generated`;
    case 'save_resume_data_failed': return `${who(a)} resume data was not generated: ${a.error.message}`;
    case 'session_stats': return `session stats (${Object.keys(a.counters).length} values)`;
    case 'performance': return `${who(a)} performance warning: ${a.warning}`;
    case 'log': return a.message;
    case 'torrent_log': return `${who(a)}: ${a.message}`;
    case 'peer_log': return `${who(a)} [${ep(a.endpoint)}] ${a.direction} ${a.event} ${a.message}`;
  }
}
