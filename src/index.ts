/**
 * swarmkit's runtime-neutral core: everything that works the same in Node and browsers. The runtime
 * entries (entry/node.ts, entry/browser.ts) re-export this plus their storage defaults; import those
 * unless you are wiring storage yourself.
 */
export { TorrentError, isTorrentError } from './errors.js';
export type { ErrorCode, TorrentErrorOptions } from './errors.js';
export type { Logger } from './interfaces/logger.js';
export { silentLogger } from './interfaces/logger.js';
export type { LayoutFile, StorageAdapter, StorageOpenOptions, TorrentLayout, TorrentStorage } from './interfaces/storage.js';
export type { Listener, PeerAddress, PeerStream, StreamSink, Transport } from './interfaces/transport.js';

export { bdecode, bencode } from './metainfo/bencode.js';
export type { BDict, BValue } from './metainfo/bencode.js';
export { TorrentInfo } from './metainfo/torrent-info.js';
export type { FileEntry, TorrentExtras, TorrentInfoOptions } from './metainfo/torrent-info.js';
export { fromHex, infoHashId, toHex } from './metainfo/info-hash.js';
export type { InfoHashes } from './metainfo/info-hash.js';
export { makeMagnet, parseMagnet } from './metainfo/magnet.js';
export type { MagnetLink } from './metainfo/magnet.js';
export { CreateTorrent, autoPieceLength } from './metainfo/create-torrent.js';
export type { CreateTorrentOptions, FileInput, GenerateOptions, TorrentVersion } from './metainfo/create-torrent.js';

export { Session } from './session/session.js';
export type { RemoveOptions, SessionOptions, StorageOption } from './session/session.js';
export type { SessionWebRtcConnector, SessionWebRtcOptions, WebRtcLimits } from './session/webrtc.js';
export type { WebRtcConnector } from './tracker/websocket.js';
export type { WebSocketConstructor, WebSocketLike } from './tracker/websocket-pool.js';
export { TorrentHandle } from './session/torrent-handle.js';
export type { TorrentState, TorrentStatus, AlertError } from './session/torrent-status.js';
export { defaultTorrentFlags } from './session/add-torrent-params.js';
export { parseMagnetUri } from './session/magnet-uri.js';
export type { AddTorrentParams, TorrentFlags } from './session/add-torrent-params.js';
export { defaultSettings, validateSettings, settingNames } from './session/settings.js';
export type { SettingsPack } from './session/settings.js';
export { alertCategory } from './session/alert-category.js';
export { ALERT_CATEGORY, alertMessage } from './session/alerts.js';
export type * from './session/alerts.js';
export { IPFilter } from './session/ip-filter.js';
export { DEFAULT_PRIORITY, DONT_DOWNLOAD, LOW_PRIORITY, TOP_PRIORITY } from './torrent/priorities.js';

// The stream layer (file readers, range logic, the service-worker bridge) is not re-exported here: it is
// the `swarmkit/stream` entry (src/stream/index.ts), re-exported by the runtime entries, and a separate
// file in the browser build (dist-browser/swarmkit-stream.browser.js), so the session bundle stays small.
