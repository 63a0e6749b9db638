/**
 * `swarmkit seed <torrent> --data DIR [--port N] [--host H] [--peer host:port]... [--tracker URL]... [--dht-port N]
 * [--dht-bootstrap host:port]... [--lsd] [--seed-mode] [--json]`:
 * checks the data in DIR against the torrent (skipped with --seed-mode, like libtorrent's seed_mode),
 * prints a ready line with the listening port, then serves peers until SIGINT or SIGTERM, when it closes
 * the session and exits 0. Data that does not match the torrent is an error (exit 1) rather than a
 * half-seed. The ready line gives `dhtPort` when the DHT runs (other nodes can bootstrap from it).
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { TorrentError } from '../../src/errors.js';
import { toHex } from '../../src/metainfo/info-hash.js';
import { parseCommandArgs } from '../args.js';
import type { CliIO, Command } from '../command.js';
import { EXIT_OK, UsageError } from '../errors.js';
import { escapeTerminal as esc } from '../escape.js';
import { formatBytes } from '../format.js';
import type { Output } from '../output.js';
import { loadTorrent } from './info.js';
import {
  PROGRESS_MS, StatusLine, TICK_MS, discoveryOptions, discoveryUsage, onStopSignals, openSession, parseSwarmFlags,
  processFigures, progressFields, reportAlerts, sleep, swarmOptions, throwIfFailed, waitChecked,
} from './swarm-common.js';

const usage = `Usage: swarmkit seed <file.torrent> --data DIR [options]

Checks the data in DIR (the directory holding the torrent's file or top folder), then serves it to
peers until interrupted (Ctrl-C / SIGTERM), which closes the session cleanly and exits 0.

Options:
  -d, --data DIR      where the data is (required)
  --port N            TCP port to listen on (default 0: any free port; the ready line shows it)
  --host ADDR         address to listen on (default 0.0.0.0)
  --peer HOST:PORT    also connect to this peer; repeatable
${discoveryUsage}
  --seed-mode         trust the data and skip the check (libtorrent's seed_mode)
  --json              JSON lines on stdout: ready, progress (~1/s), done (at shutdown) or error
  --debug             print stack traces on errors, and peer connects/disconnects
  -h, --help          show this help`;

const options = {
  ...swarmOptions,
  ...discoveryOptions,
  data: { type: 'string', short: 'd' },
  'seed-mode': { type: 'boolean' },
} as const;

export const seedCommand: Command = {
  usage,
  async run(argv: readonly string[], out: Output, io: CliIO): Promise<number> {
    const { values, positionals } = parseCommandArgs('seed', argv, options);
    if (positionals.length !== 1) throw new UsageError('seed: expected exactly one .torrent file');
    if (values.data === undefined) throw new UsageError('seed: --data DIR is required');
    const { listen, peers, disc } = parseSwarmFlags('seed', values);
    const ti = await loadTorrent(resolve(io.cwd, positionals[0]!));
    const dataDir = resolve(io.cwd, values.data);
    const st = await stat(dataDir).catch((err: unknown) => {
      throw new TorrentError('storage_not_found', `cannot seed from ${dataDir}: ${(err as Error).message}`, { cause: err, details: { path: dataDir } });
    });
    if (!st.isDirectory()) throw new TorrentError('storage_not_found', `--data ${dataDir} is not a directory (give the directory that holds ${ti.name})`);

    const started = performance.now();
    const stop = onStopSignals();
    const bar = new StatusLine(io.stderr);
    const { session, port: bound } = await openSession(listen, disc).catch((err: unknown) => {
      stop.dispose();
      throw err;
    });
    try {
      const seedMode = values['seed-mode'] === true;
      const handle = await session.addTorrent({ ti, savePath: dataDir, flags: { seedMode }, trackers: disc.trackers });
      if (!seedMode) out.note(`Checking ${esc(ti.name)} (${formatBytes(ti.totalLength)}) in ${esc(dataDir)}`);
      let s = await waitChecked(handle, stop.signal, (x) => bar.show(x.progress, 'checking'));
      bar.clear();
      if (!stop.signal.aborted) {
        if (!s.isSeeding) {
          throw new TorrentError('hash_failed', `the data in ${dataDir} does not match the torrent: ${s.numPieces} of ${ti.pieceCount} pieces verified (${(s.progress * 100).toFixed(1)}%)`, { details: { path: dataDir } });
        }
        out.event('ready', {
          port: bound,
          infoHash: ti.id,
          infoHashes: { v1: ti.infoHashes.v1 === undefined ? null : toHex(ti.infoHashes.v1), v2: ti.infoHashes.v2 === undefined ? null : toHex(ti.infoHashes.v2) },
          name: ti.name,
          totalLength: ti.totalLength,
          seedMode,
          dhtPort: session.isDhtRunning() ? session.dhtPort() : null,
        });
        out.line(`Seeding ${esc(ti.name)} (${formatBytes(ti.totalLength)}) on port ${bound}, info-hash ${ti.id}; Ctrl-C to stop`);
        for (const p of peers) handle.connectPeer(p).catch((err: unknown) => out.note(`cannot connect to ${esc(p.host)}:${p.port}: ${esc(err instanceof Error ? err.message : String(err))}`));
      }

      let nextProgress = 0;
      while (!stop.signal.aborted) {
        s = handle.status();
        throwIfFailed(s);
        reportAlerts(session, out);
        const t = (performance.now() - started) / 1000;
        if (t >= nextProgress) {
          nextProgress = t + PROGRESS_MS / 1000;
          out.event('progress', progressFields(s));
          bar.show(undefined, `seeding  up ${formatBytes(Math.round(s.uploadPayloadRate))}/s  sent ${formatBytes(s.totalPayloadUpload)}  peers ${s.numPeers}`);
        }
        await sleep(TICK_MS, stop.signal);
      }
      s = handle.status();
      bar.clear();
      await session.close();
      out.event('done', {
        infoHash: ti.id,
        bytes: s.totalPayloadUpload,
        seconds: (performance.now() - started) / 1000,
        signal: stop.received() ?? null,
        ...processFigures(),
      });
      out.note(`Stopped (${stop.received() ?? 'signal'}); sent ${formatBytes(s.totalPayloadUpload)}`);
      return EXIT_OK;
    } finally {
      bar.clear();
      stop.dispose();
      await session.close();
    }
  },
};
