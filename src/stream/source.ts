/**
 * StreamSource: what a file stream needs from a torrent, and nothing more. The stream layer (readers,
 * Web/Node streams, the HTTP server, later the service worker) depends only on this interface, so it
 * works with a session's TorrentHandle (see ./handle-source.ts) and with any test double.
 *
 * Coordinates: pieces are numbered in the torrent's piece space; `fileOffset` is the byte offset of the
 * file inside the torrent's concatenated data (pad files included), so byte `p` of the file is byte
 * `fileOffset + p` of the torrent and lives in piece `floor((fileOffset + p) / pieceLength)`.
 */

/** A torrent file seen as a sequence of verified pieces. */
export interface StreamSource {
  /** Bytes per piece (every piece but the torrent's last has exactly this size). */
  readonly pieceLength: number;
  /** Byte offset of the file in the torrent's data. */
  readonly fileOffset: number;
  /** The file's length in bytes. */
  readonly fileLength: number;
  /** The file's path inside the torrent, elements joined by '/' (used for names and content types). */
  readonly filePath: string;
  /** Whether piece `i` is verified (reading it then costs no network). */
  havePiece(i: number): boolean;
  /** The whole piece `i`; only verified data. Rejects when the piece is not verified. */
  readPiece(i: number): Promise<Uint8Array>;
  /** Asks for piece `i` within `ms` milliseconds (libtorrent set_piece_deadline). */
  setPieceDeadline(i: number, ms: number): void;
  /** Removes the deadline of piece `i`. */
  resetPieceDeadline(i: number): void;
  /**
   * Resolves once piece `i` is verified (at once if it already is). Rejects with
   * TorrentError('aborted') when `signal` aborts, and with the source's error if it can no longer
   * deliver (torrent removed, session closed).
   */
  waitForPiece(i: number, signal?: AbortSignal): Promise<void>;
  /** The measured payload download rate in bytes/s (0 while nothing arrives). */
  downloadRate(): number;
}

/** The pieces holding bytes [start, end] (inclusive) of the file. Requires 0 ≤ start ≤ end < fileLength. */
export function piecesOf(source: Pick<StreamSource, 'pieceLength' | 'fileOffset'>, start: number, end: number): { first: number; last: number } {
  return {
    first: Math.floor((source.fileOffset + start) / source.pieceLength),
    last: Math.floor((source.fileOffset + end) / source.pieceLength),
  };
}

/** The piece holding byte `pos` of the file. */
export function pieceAt(source: Pick<StreamSource, 'pieceLength' | 'fileOffset'>, pos: number): number {
  return Math.floor((source.fileOffset + pos) / source.pieceLength);
}
