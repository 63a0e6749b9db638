/**
 * `swarmkit download <torrent> --out DIR [--peer host:port]... [--port N] [--host H] [--timeout S] [--json]`:
 * downloads a torrent into DIR and exits 0 once every piece is verified (each piece's hash is checked as
 * it arrives) and the data is flushed. Exits 1 with a message on a storage error, a timeout, an
 * interruption (SIGINT / SIGTERM: the session is closed first), or when there is nowhere to find peers.
 *
 * Peers: every --peer is dialled at the start and dialled again every few seconds while no peer is
 * connected, so a seed started a moment later is still found. A torrent without --peer and without
 * trackers cannot find anyone (no DHT here): that is reported at once instead of waiting forever.
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { TorrentError } from '../../src/errors.js';
import type { PeerAddress } from '../../src/interfaces/transport.js';
import { toHex } from '../../src/metainfo/info-hash.js';
import { parseCommandArgs } from '../args.js';
import type { CliIO, Command } from '../command.js';
import { EXIT_OK, UsageError } from '../errors.js';
import { escapeTerminal as esc } from '../escape.js';
import { formatBytes } from '../format.js';
import type { Output } from '../output.js';
import { loadTorrent } from './info.js';
import {
  PROGRESS_MS, StatusLine, TICK_MS, listenInterfaces, onStopSignals, openSession, parsePeer, parsePort, peerText,
  processFigures, progressFields, reportAlerts, sleep, swarmOptions, throwIfFailed, waitChecked,
} from './swarm-common.js';

/** Seconds between re-dials of the given peers while none is connected. */
const REDIAL_S = 3;
/** Seconds without any peer (and no --peer) before saying so. */
const NO_PEERS_NOTE_S = 30;

const usage = `Usage: swarmkit download <file.torrent> --out DIR [options]

Downloads a torrent into DIR (created if missing; data already there is checked and kept) and exits
once every piece is verified.

Options:
  -o, --out DIR       where to save the data (required)
  --peer HOST:PORT    a peer to connect to ([v6addr]:port for IPv6); repeatable
  --port N            TCP port to listen on (default 0: any free port)
  --host ADDR         address to listen on (default 0.0.0.0)
  --timeout S         give up after S seconds (default: no limit)
  --json              JSON lines on stdout: ready, progress (~1/s), done (or error)
  --debug             print stack traces on errors, and peer connects/disconnects
  -h, --help          show this help

Exit codes: 0 complete and verified, 1 failed (timeout, interrupted, storage error, no peers), 2 usage.`;

const options = {
  ...swarmOptions,
  out: { type: 'string', short: 'o' },
  timeout: { type: 'string' },
} as const;

function rate(n: number): string {
  return `${formatBytes(Math.round(n))}/s`;
}

export const downloadCommand: Command = {
  name: 'download',
  summary: 'download a torrent from peers into a directory',
  usage,
  async run(argv: readonly string[], out: Output, io: CliIO): Promise<number> {
    const { values, positionals } = parseCommandArgs('download', argv, options);
    if (positionals.length !== 1) throw new UsageError('download: expected exactly one .torrent file');
    if (values.out === undefined) throw new UsageError('download: --out DIR is required');
    const port = parsePort('download', values.port);
    const listen = listenInterfaces('download', values.host, port);
    const peers: PeerAddress[] = (values.peer ?? []).map((p) => parsePeer('download', p));
    let timeoutS = Infinity;
    if (values.timeout !== undefined) {
      timeoutS = Number(values.timeout);
      if (!/^\d+(\.\d+)?$/.test(values.timeout) || !(timeoutS > 0)) throw new UsageError(`download: --timeout '${values.timeout}' is not a positive number of seconds`);
    }
    const ti = await loadTorrent(resolve(io.cwd, positionals[0]!));
    if (peers.length === 0 && ti.announce.length === 0) {
      throw new TorrentError('connection_failed', 'no peers to download from: give --peer HOST:PORT (the torrent lists no trackers)');
    }
    const outDir = resolve(io.cwd, values.out);
    await mkdir(outDir, { recursive: true });

    const started = performance.now();
    const elapsed = (): number => (performance.now() - started) / 1000;
    const stop = onStopSignals();
    const bar = new StatusLine(io.stderr);
    const { session, port: bound } = await openSession(listen).catch((err: unknown) => {
      stop.dispose();
      throw err;
    });
    try {
      const handle = await session.addTorrent({ ti, savePath: outDir });
      out.event('ready', {
        port: bound,
        infoHash: ti.id,
        infoHashes: { v1: ti.infoHashes.v1 === undefined ? null : toHex(ti.infoHashes.v1), v2: ti.infoHashes.v2 === undefined ? null : toHex(ti.infoHashes.v2) },
        name: ti.name,
        totalLength: ti.totalLength,
        savePath: outDir,
      });
      out.note(`Downloading ${esc(ti.name)} (${formatBytes(ti.totalLength)}) into ${esc(outDir)}; listening on port ${bound}`);

      let s = await waitChecked(handle, stop.signal, (st) => bar.show(st.progress, 'checking existing data'));
      const lastError = new Map<string, string>();
      const dial = (): void => {
        for (const p of peers) {
          handle.connectPeer(p).then(
            () => lastError.delete(peerText(p)),
            (err: unknown) => lastError.set(peerText(p), err instanceof Error ? err.message : String(err)),
          );
        }
      };
      if (!s.isFinished) dial();
      let lastDial = elapsed();
      let nextProgress = 0;
      let firstByte: number | undefined;
      let everConnected = false;
      let notedNoPeers = false;
      for (;;) {
        s = handle.status();
        throwIfFailed(s);
        reportAlerts(session, out);
        const t = elapsed();
        if (firstByte === undefined && s.totalPayloadDownload > 0) firstByte = t;
        if (s.numPeers > 0) everConnected = true;
        if (s.isFinished) break;
        if (stop.signal.aborted) throw new TorrentError('aborted', `interrupted by ${stop.received() ?? 'a signal'} at ${(s.progress * 100).toFixed(1)}%`);
        if (t >= timeoutS) {
          const why = s.numPeers > 0 ? `${s.numPeers} peer(s) connected` : noPeerText(peers, lastError);
          throw new TorrentError('timeout', `timed out after ${timeoutS} s at ${(s.progress * 100).toFixed(1)}%: ${why}`);
        }
        if (s.numPeers === 0 && peers.length > 0 && t - lastDial >= REDIAL_S) {
          dial();
          lastDial = t;
        }
        if (!everConnected && !notedNoPeers && t >= NO_PEERS_NOTE_S) {
          notedNoPeers = true;
          bar.clear();
          out.note(`still no peers after ${NO_PEERS_NOTE_S} s: ${noPeerText(peers, lastError)}`);
        }
        if (t >= nextProgress) {
          nextProgress = t + PROGRESS_MS / 1000;
          out.event('progress', progressFields(s));
          bar.show(s.progress, `${formatBytes(s.totalWantedDone)} / ${formatBytes(s.totalWanted)}  down ${rate(s.downloadPayloadRate)}  up ${rate(s.uploadPayloadRate)}  peers ${s.numPeers}`);
        }
        await sleep(TICK_MS, stop.signal);
      }
      await handle.flushCache();
      const seconds = elapsed();
      out.event('progress', progressFields(s));
      bar.clear();
      out.event('done', {
        infoHash: ti.id,
        bytes: s.totalWanted,
        seconds,
        firstByteSeconds: firstByte ?? null,
        downloaded: s.totalPayloadDownload,
        savePath: outDir,
        ...processFigures(),
      });
      out.line(`Downloaded ${esc(ti.name)}: ${formatBytes(s.totalWanted)} in ${seconds.toFixed(1)} s (${rate(s.totalPayloadDownload / Math.max(seconds, 1e-3))}), all pieces verified`);
      return EXIT_OK;
    } finally {
      bar.clear();
      stop.dispose();
      await session.close();
    }
  },
};

function noPeerText(peers: readonly PeerAddress[], lastError: ReadonlyMap<string, string>): string {
  if (peers.length === 0) return 'no peer connected (no --peer given; only the torrent\'s trackers can find peers)';
  const errs = [...lastError].map(([p, e]) => `${esc(p)}: ${esc(e)}`);
  return `no peer connected${errs.length > 0 ? ` (${errs.join('; ')})` : ` (tried ${peers.map(peerText).join(', ')})`}`;
}
