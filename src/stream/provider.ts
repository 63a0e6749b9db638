/**
 * StreamProvider: what a stream server (the Node HTTP server, the service worker) needs from whatever
 * holds the torrents: a listing, and a StreamSource per file. sessionStreamProvider (handle-source.ts)
 * implements it over a Session; tests may implement it over anything.
 */
import type { StreamSource } from './source.js';

/** One servable file of a torrent (pad files are never listed). */
export interface StreamFileInfo {
  /** Index in the torrent's file list (pad files included), as used in URLs. */
  readonly index: number;
  /** Path inside the torrent, elements joined by '/'. Untrusted text: escape before showing. */
  readonly path: string;
  readonly length: number;
}

/** A torrent the provider can stream from. */
export interface StreamTorrentInfo {
  /** Info-hash id, 40 lowercase hex digits. */
  readonly infoHash: string;
  /** Untrusted text: escape before showing. */
  readonly name: string;
  readonly files: readonly StreamFileInfo[];
}

/** Lists torrents and opens files for streaming. */
export interface StreamProvider {
  /** Torrents with metadata, in a stable order. */
  listTorrents(): readonly StreamTorrentInfo[];
  /** One torrent by its id, or undefined. */
  getTorrent(infoHash: string): StreamTorrentInfo | undefined;
  /** A source for file `fileIndex` of torrent `infoHash`, or undefined when either is unknown. */
  getSource(infoHash: string, fileIndex: number): StreamSource | undefined;
}
