/**
 * Read-ahead: which pieces a stream asks for, and how urgently.
 *
 * Policy (after libtorrent's streaming advice and WebTorrent's critical pieces):
 * - The window starts at the piece the reader is in and spans `windowBytes(rate)` bytes:
 *   max(minWindowBytes, rate × windowSeconds), capped at maxWindowBytes, at least one piece, and never
 *   past the last piece of the range being read.
 * - Piece k of the window (k = 0 for the reader's piece) gets the deadline
 *   firstDeadlineMs + k × step, where step is the time one piece takes at the measured rate
 *   (pieceLength / rate), clamped to [minStepMs, maxStepMs]; with no rate yet, defaultStepMs.
 * - Slow start: the first plan after the window is created or cleared (a new reader, a seek) covers at
 *   most `startPieces` pieces (default 1: the reader's own); the reader re-plans the full window as soon
 *   as that piece is in, in a task after it has handed out its first chunk (file-reader.ts), and again on
 *   entering each next piece. A cold seek's first piece then has the peers, their upload queues and both
 *   ends' CPUs to itself: a full window would send up to hundreds of read-ahead requests while it
 *   downloads, and on a busy machine the reader waited for those writes (and for the seed serving them)
 *   before it got its first byte. Even the next piece alone costs it: measured on the seek bench
 *   (libtorrent seed in seed mode, which hashes each piece on its first request), asking for two pieces
 *   at once instead of one made the median cold seek 0.6 ms (~10 %) slower in both of two A/B pairs.
 *   Reading on from a seek does not stall: the next pieces are asked for while the reader's caller is
 *   still taking its first piece's chunks.
 * - Pieces already verified get no deadline (reading them costs no network).
 * - Deadlines are re-set each time the reader enters a new piece (they become more urgent as it
 *   approaches), pieces that leave the window have theirs reset, and clear() resets every deadline this
 *   window set — on close and on seek. The window only remembers piece numbers, never data.
 */
import type { StreamSource } from './source.js';

/** Tuning of the read-ahead window; every field has a default. */
export interface ReadAheadOptions {
  /** Smallest window in bytes (default 4 MiB). */
  minWindowBytes?: number;
  /** Largest window in bytes (default 64 MiB). */
  maxWindowBytes?: number;
  /** Seconds of playback at the measured rate the window covers (default 5). */
  windowSeconds?: number;
  /** Deadline of the reader's own piece in ms (default 0: wanted now). */
  firstDeadlineMs?: number;
  /** Step between consecutive pieces' deadlines when no rate is measured yet (default 250 ms). */
  defaultStepMs?: number;
  /** Bounds of the measured step (defaults 20 ms and 2000 ms). */
  minStepMs?: number;
  maxStepMs?: number;
  /** Pieces in the first plan after a seek or a new reader (slow start; default 1; below 1: the default). */
  startPieces?: number;
}

/** {@link ReadAheadOptions} with every default filled in. */
export type ResolvedReadAhead = Required<ReadAheadOptions>;

const DEFAULTS: ResolvedReadAhead = {
  minWindowBytes: 4 * 1024 * 1024,
  maxWindowBytes: 64 * 1024 * 1024,
  windowSeconds: 5,
  firstDeadlineMs: 0,
  defaultStepMs: 250,
  minStepMs: 20,
  maxStepMs: 2000,
  startPieces: 1,
};

/** Fills in defaults; non-finite or negative values fall back to the default. */
export function resolveReadAhead(opts: ReadAheadOptions = {}): ResolvedReadAhead {
  const pick = (k: keyof ReadAheadOptions): number => {
    const v = opts[k];
    return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : DEFAULTS[k];
  };
  const minWindowBytes = pick('minWindowBytes');
  const minStepMs = pick('minStepMs');
  return {
    minWindowBytes,
    maxWindowBytes: Math.max(minWindowBytes, pick('maxWindowBytes')),
    windowSeconds: pick('windowSeconds'),
    firstDeadlineMs: Math.round(pick('firstDeadlineMs')),
    defaultStepMs: pick('defaultStepMs'),
    minStepMs,
    maxStepMs: Math.max(minStepMs, pick('maxStepMs')),
    startPieces: pick('startPieces') >= 1 ? Math.floor(pick('startPieces')) : DEFAULTS.startPieces,
  };
}

/** Window size in bytes for a measured rate (bytes/s). */
export function windowBytes(rate: number, o: ResolvedReadAhead): number {
  const r = Number.isFinite(rate) && rate > 0 ? rate : 0;
  return Math.min(o.maxWindowBytes, Math.max(o.minWindowBytes, r * o.windowSeconds));
}

/** Window size in pieces (at least 1). */
export function windowPieces(rate: number, pieceLength: number, o: ResolvedReadAhead): number {
  return Math.max(1, Math.ceil(windowBytes(rate, o) / pieceLength));
}

/** Milliseconds between consecutive pieces' deadlines at a measured rate. */
export function deadlineStepMs(rate: number, pieceLength: number, o: ResolvedReadAhead): number {
  if (!(Number.isFinite(rate) && rate > 0)) return Math.round(o.defaultStepMs);
  return Math.round(Math.min(o.maxStepMs, Math.max(o.minStepMs, (pieceLength / rate) * 1000)));
}

/** The deadlines one stream has set; see the policy above. */
export class DeadlineWindow {
  readonly #source: StreamSource;
  readonly #opts: ResolvedReadAhead;
  readonly #set = new Set<number>();
  /** True until the first plan after construction or clear() (slow start). */
  #cold = true;

  constructor(source: StreamSource, opts: ReadAheadOptions = {}) {
    this.#source = source;
    this.#opts = resolveReadAhead(opts);
  }

  /** Pieces that currently carry a deadline from this window, ascending. */
  get pieces(): number[] {
    return [...this.#set].sort((a, b) => a - b);
  }

  /**
   * Re-plans the window for a reader in piece `current` reading up to piece `last` (inclusive). Returns
   * true when slow start cut this plan short of the full window (call again once `current` is in).
   */
  advance(current: number, last: number): boolean {
    const src = this.#source;
    const rate = src.downloadRate();
    const full = windowPieces(rate, src.pieceLength, this.#opts);
    const n = this.#cold ? Math.min(full, this.#opts.startPieces) : full;
    this.#cold = false;
    const step = deadlineStepMs(rate, src.pieceLength, this.#opts);
    const end = Math.min(last, current + n - 1);
    for (const p of [...this.#set]) {
      if (p < current || p > end || src.havePiece(p)) this.#reset(p);
    }
    for (let p = current; p <= end; p++) {
      if (src.havePiece(p)) continue;
      src.setPieceDeadline(p, this.#opts.firstDeadlineMs + (p - current) * step);
      this.#set.add(p);
    }
    return n < full && end < last;
  }

  /** Resets every deadline this window set. */
  clear(): void {
    this.#cold = true;
    for (const p of [...this.#set]) this.#reset(p);
  }

  #reset(p: number): void {
    this.#set.delete(p);
    try {
      this.#source.resetPieceDeadline(p);
    } catch {
      // The torrent may be gone (removed, session closed); nothing is left to reset then.
    }
  }
}
