/**
 * Browser file sources: there is no file system to walk, so CreateTorrent takes File / Blob /
 * Uint8Array inputs directly (see CreateTorrent.addFile). This module keeps `#platform/files`
 * symmetric with Node's and fails loudly when a path is given.
 */
import { TorrentError } from '../errors.js';
import type { ListedFile } from '../metainfo/create-files.js';

export type { ListedFile } from '../metainfo/create-files.js';

/** Whether this runtime can read files by path (false in the browser). */
export const canListPaths = false;

/** Not available in the browser: add File or Blob objects instead. */
export async function listFiles(path: string): Promise<ListedFile[]> {
  throw new TorrentError('not_supported', 'adding files by path is not available in the browser; add File or Blob objects', { details: { path } });
}
