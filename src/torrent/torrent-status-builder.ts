/**
 * Builds a torrent's {@link TorrentStatus} snapshot from its parts. Progress is the share of pieces
 * checked while checking, else the share of wanted bytes present (1 when nothing is wanted); pad bytes
 * never count (priorities.ts accounts them out).
 */
import type { AlertError, TorrentState, TorrentStatus } from '../session/torrent-status.js';
import type { Bitfield } from './bitfield.js';
import type { Priorities } from './priorities.js';
import type { SwarmStatusFields } from './swarm-link.js';
import type { TorrentFlags, TorrentMeta } from './torrent-types.js';

/** States in which every wanted piece is present. */
export const FINISHED_STATES: ReadonlySet<TorrentState> = new Set(['finished', 'seeding']);

/** The parts of a torrent a status is built from. */
export interface StatusParts {
  readonly id: string;
  readonly name: string;
  readonly savePath: string;
  readonly state: TorrentState;
  readonly meta: TorrentMeta | undefined;
  readonly have: Bitfield | undefined;
  readonly prio: Priorities | undefined;
  /** Pieces checked so far (while checking). */
  readonly checked: number;
  readonly flags: Readonly<TorrentFlags>;
  readonly sessionPaused: boolean;
  readonly error: AlertError | undefined;
  readonly swarm: SwarmStatusFields;
  readonly addedTime: number;
  readonly completedTime: number;
}

const NOTHING = { wanted: 0, done: 0, wantedDone: 0, wantedPieces: 0, wantedHave: 0 };

/** The status snapshot of a torrent. */
export function buildTorrentStatus(p: StatusParts): TorrentStatus {
  const { meta, have, prio, flags } = p;
  const pieces = have ? have.toBytes() : new Uint8Array(0);
  const acc = meta && have && prio ? prio.account(pieces) : NOTHING;
  const checking = p.state === 'checking_files' && meta !== undefined;
  const progress = !meta ? 0 : checking ? p.checked / meta.pieceCount : acc.wanted === 0 ? 1 : acc.wantedDone / acc.wanted;
  return {
    infoHash: p.id,
    name: p.name,
    savePath: p.savePath,
    state: p.state,
    progress,
    progressPpm: Math.floor(progress * 1_000_000),
    totalDone: acc.done,
    totalWanted: acc.wanted,
    totalWantedDone: acc.wantedDone,
    pieces,
    numPieces: have ? have.count : 0,
    paused: flags.paused, sessionPaused: p.sessionPaused, autoManaged: flags.autoManaged,
    seedMode: flags.seedMode, uploadMode: flags.uploadMode, sequentialDownload: flags.sequentialDownload,
    ...(p.error ? { errorCode: p.error.code, error: p.error.message } : {}),
    ...p.swarm,
    isSeeding: p.state === 'seeding', isFinished: FINISHED_STATES.has(p.state), hasMetadata: meta !== undefined, addedTime: p.addedTime, completedTime: p.completedTime,
  };
}
