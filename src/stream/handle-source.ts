/**
 * StreamSource over a session's TorrentHandle, and a StreamProvider over a whole session.
 *
 * waitForPiece resolves as soon as either a `piece_finished` alert reaches the optional
 * {@link PieceNotifier}, or a poll of havePiece finds the piece (every `pollMs`: 100 ms without a
 * notifier, 1 s with one, where polling only covers dropped alerts). It rejects `aborted` on the signal,
 * and with the handle's `invalid_handle` error once the torrent leaves the session.
 */
import { TorrentError } from '../errors.js';
import type { Session } from '../session/session.js';
import type { TorrentHandle } from '../session/torrent-handle.js';
import type { PieceNotifier } from './piece-notifier.js';
import type { StreamFileInfo, StreamProvider, StreamTorrentInfo } from './provider.js';
import type { StreamSource } from './source.js';

/** Options of {@link handleStreamSource}. */
export interface HandleSourceOptions {
  /** Wakes readers on piece_finished alerts (see PieceNotifier for feeding it). */
  notifier?: PieceNotifier;
  /** How often a waiting reader re-checks havePiece, ms (default 100, or 1000 with a notifier). */
  pollMs?: number;
}

function abortError(signal: AbortSignal): TorrentError {
  return new TorrentError('aborted', 'waiting for a piece was aborted', { cause: signal.reason });
}

/**
 * A StreamSource for file `fileIndex` of the torrent behind `handle`. Throws `metadata_not_available`
 * before the torrent has metadata and `invalid_argument` for a file index out of range or a pad file.
 */
export function handleStreamSource(handle: TorrentHandle, fileIndex: number, opts: HandleSourceOptions = {}): StreamSource {
  const ti = handle.torrentFile();
  if (!ti) throw new TorrentError('metadata_not_available', `torrent ${handle.id} has no metadata yet`);
  const file = Number.isSafeInteger(fileIndex) ? ti.files[fileIndex] : undefined;
  if (!file || file.pad) throw new TorrentError('invalid_argument', `no file ${String(fileIndex)} in torrent ${handle.id}`, { details: { fileIndex: String(fileIndex) } });
  const notifier = opts.notifier;
  const pollMs = opts.pollMs ?? (notifier ? 1000 : 100);
  const id = handle.id;

  const waitForPiece = (i: number, signal?: AbortSignal): Promise<void> => {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    try {
      if (handle.havePiece(i)) return Promise.resolve();
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return new Promise<void>((resolve, reject) => {
      let unregister: (() => void) | undefined;
      const cleanup = (): void => {
        clearInterval(timer);
        unregister?.();
        signal?.removeEventListener('abort', onAbort);
      };
      const check = (): void => {
        try {
          if (!handle.havePiece(i)) return;
        } catch (err) {
          cleanup();
          reject(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        cleanup();
        resolve();
      };
      const onAbort = (): void => {
        cleanup();
        reject(abortError(signal!));
      };
      const timer = setInterval(check, pollMs);
      unregister = notifier?.onPiece(id, i, check);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  };

  return {
    pieceLength: ti.pieceLength,
    fileOffset: file.offset,
    fileLength: file.length,
    filePath: file.path.join('/'),
    havePiece: (i) => handle.havePiece(i),
    readPiece: (i) => handle.readPiece(i),
    setPieceDeadline: (i, ms) => handle.setPieceDeadline(i, ms),
    resetPieceDeadline: (i) => handle.resetPieceDeadline(i),
    waitForPiece,
    downloadRate: () => handle.status().downloadPayloadRate,
  };
}

function torrentInfoOf(handle: TorrentHandle): StreamTorrentInfo | undefined {
  const ti = handle.torrentFile();
  if (!ti) return undefined;
  const files: StreamFileInfo[] = [];
  ti.files.forEach((f, index) => {
    if (!f.pad) files.push({ index, path: f.path.join('/'), length: f.length });
  });
  return { infoHash: handle.id, name: ti.name, files };
}

/**
 * A StreamProvider serving every torrent of `session` that has metadata. Pass a notifier that is fed
 * (or attached) to wake readers on piece_finished alerts; without one, readers poll.
 */
export function sessionStreamProvider(session: Session, opts: HandleSourceOptions = {}): StreamProvider {
  return {
    listTorrents() {
      const out: StreamTorrentInfo[] = [];
      for (const h of session.getTorrents()) {
        const t = torrentInfoOf(h);
        if (t) out.push(t);
      }
      return out;
    },
    getTorrent(infoHash) {
      const h = session.findTorrent(infoHash);
      return h ? torrentInfoOf(h) : undefined;
    },
    getSource(infoHash, fileIndex) {
      const h = session.findTorrent(infoHash);
      if (!h?.torrentFile()) return undefined;
      const f = h.torrentFile()!.files[fileIndex];
      if (!f || f.pad) return undefined;
      return handleStreamSource(h, fileIndex, opts);
    },
  };
}
