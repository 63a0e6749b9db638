/**
 * Which hashes a torrent's pieces are verified with (STATE.md, invariant 1).
 *
 * A torrent from a .torrent file carries everything: v1 pieces, and for v2 / hybrid the BEP 52 piece
 * layers. A torrent from a magnet only has the info dict, which holds the v1 `pieces` (v1, hybrid) and
 * each file's `pieces root` (v2, hybrid) but not the piece layers of files longer than one piece.
 *
 * - hybrid without its piece layers: verified with the v1 SHA-1 of every piece alone (as libtorrent does);
 *   each piece is still hash-checked before it counts, only against the v1 hash the info-hash covers.
 * - v2-only without its piece layers: cannot be verified until the layers are fetched with BEP 52 hash
 *   requests (discovery/piece-layers.ts); such a torrent does not download before that (torrent.ts keeps a
 *   `not_supported` guard should one ever reach the download phase without layers).
 */
import type { TorrentMeta } from './torrent-types.js';

/** Whether a v2 / hybrid torrent lacks the piece layer of some file longer than one piece. */
export function missingPieceLayers(meta: TorrentMeta): boolean {
  if (meta.metaVersion === 'v1') return false;
  return meta.files.some((f, i) => !f.pad && f.length > meta.pieceLength && meta.pieceLayer(i) === undefined);
}

/** The metadata to verify pieces with: `meta` itself, or for a hybrid torrent without layers a v1-only view. */
export function verificationMeta(meta: TorrentMeta): TorrentMeta {
  if (meta.metaVersion !== 'hybrid' || !missingPieceLayers(meta)) return meta;
  return {
    name: meta.name,
    totalLength: meta.totalLength,
    pieceLength: meta.pieceLength,
    pieceCount: meta.pieceCount,
    metaVersion: 'v1',
    files: meta.files,
    layout: () => meta.layout(),
    pieceSize: (i) => meta.pieceSize(i),
    pieceHash: (i) => meta.pieceHash(i),
    pieceLayer: () => undefined,
    ...(meta.infoBytes ? { infoBytes: meta.infoBytes } : {}),
    ...(meta.isPrivate !== undefined ? { isPrivate: meta.isPrivate } : {}),
  };
}
