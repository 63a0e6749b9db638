/**
 * `swarmkit download <torrent|magnet|info-hash> --out DIR [--peer host:port]... [--tracker URL]... [--dht-bootstrap
 * host:port]... [--lsd] [--port N] [--host H] [--timeout S] [--json]`: downloads a torrent into DIR and
 * exits 0 once every piece is verified (each piece's hash is checked as it arrives) and the data is
 * flushed. Exits 1 with a message on a storage error, a timeout, an interruption (SIGINT / SIGTERM: the
 * session is closed first), or when there is nowhere to find peers.
 *
 * The source is a .torrent file, a magnet link or a bare info-hash (40 hex digits v1, 64 hex digits v2);
 * without a .torrent the metadata comes from peers (ut_metadata) and a `metadata` event follows.
 *
 * Peers: every --peer is dialled at the start and dialled again every few seconds while no peer is
 * connected, so a seed started a moment later is still found; while none is connected the DHT is asked
 * again every {@link DHT_RELOOK_S} s. With no --peer, no tracker (torrent, magnet or --tracker), no x.pe
 * in the magnet, no --dht-bootstrap node and no --lsd there is nowhere to find anyone (the DHT has no
 * default router): that is reported at once instead of waiting forever.
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { TorrentError } from '../../src/errors.js';
import { toHex } from '../../src/metainfo/info-hash.js';
import { parseMagnet } from '../../src/metainfo/magnet.js';
import type { MagnetLink } from '../../src/metainfo/magnet.js';
import type { TorrentInfo } from '../../src/metainfo/torrent-info.js';
import { parseCommandArgs } from '../args.js';
import type { CliIO, Command } from '../command.js';
import { EXIT_OK, UsageError } from '../errors.js';
import { escapeTerminal as esc } from '../escape.js';
import { formatBytes } from '../format.js';
import type { Output } from '../output.js';
import { loadTorrent } from './info.js';
import {
  PROGRESS_MS, StatusLine, discoveryOptions, discoveryUsage, onStopSignals, openSession, parseSwarmFlags,
  PeerDialer, processFigures, progressFields, reportAlerts, tick, swarmOptions, throwIfFailed, waitChecked,
} from './swarm-common.js';

/** Seconds between re-dials of the given peers while none is connected. */
const REDIAL_S = 3;
/** Seconds without any peer (and no --peer) before saying so. */
const NO_PEERS_NOTE_S = 30;
/** Seconds between DHT lookups while no peer is connected. */
const DHT_RELOOK_S = 10;

const usage = `Usage: swarmkit download <file.torrent | magnet-link | info-hash> --out DIR [options]

Downloads a torrent into DIR (created if missing; data already there is checked and kept) and exits
once every piece is verified. A magnet link or a bare info-hash (40 or 64 hex digits) fetches the
metadata from peers first.

Options:
  -o, --out DIR       where to save the data (required)
  --peer HOST:PORT    a peer to connect to ([v6addr]:port for IPv6); repeatable
${discoveryUsage}
  --port N            TCP port to listen on (default 0: any free port)
  --host ADDR         address to listen on (default 0.0.0.0)
  --timeout S         give up after S seconds (default: no limit)
  --json              JSON lines on stdout: ready, metadata (magnet / info-hash), progress (~1/s),
                      done (or error)
  --debug             print stack traces on errors, and peer connects/disconnects
  -h, --help          show this help

Exit codes: 0 complete and verified, 1 failed (timeout, interrupted, storage error, no peers), 2 usage.`;

const options = {
  ...swarmOptions,
  ...discoveryOptions,
  out: { type: 'string', short: 'o' },
  timeout: { type: 'string' },
} as const;

function rate(n: number): string {
  return `${formatBytes(Math.round(n))}/s`;
}

export const downloadCommand: Command = {
  usage,
  async run(argv: readonly string[], out: Output, io: CliIO): Promise<number> {
    const { values, positionals } = parseCommandArgs('download', argv, options);
    if (positionals.length !== 1) throw new UsageError('download: expected exactly one .torrent file, magnet link or info-hash');
    if (values.out === undefined) throw new UsageError('download: --out DIR is required');
    const { listen, peers, disc } = parseSwarmFlags('download', values);
    let timeoutS = Infinity;
    if (values.timeout !== undefined) {
      timeoutS = Number(values.timeout);
      if (!/^\d+(\.\d+)?$/.test(values.timeout) || !(timeoutS > 0)) throw new UsageError(`download: --timeout '${values.timeout}' is not a positive number of seconds`);
    }
    const source = await loadSource(positionals[0]!, io.cwd);
    const { ti, magnet } = source;
    const torrentTrackers = ti !== undefined ? ti.announce.length : magnet.trackers.length;
    const magnetPeers = magnet?.peers.length ?? 0;
    if (peers.length === 0 && torrentTrackers === 0 && disc.trackers.length === 0 && magnetPeers === 0 && !(disc.dht && disc.dhtBootstrap.length > 0) && !disc.lsd) {
      throw new TorrentError('connection_failed', `no peers to download from: give --peer HOST:PORT, --tracker URL, --dht-bootstrap HOST:PORT or --lsd (the ${ti ? 'torrent' : 'magnet link'} lists no trackers${ti ? '' : ' or peers'})`);
    }
    const outDir = resolve(io.cwd, values.out);
    await mkdir(outDir, { recursive: true });

    const started = performance.now();
    const elapsed = (): number => (performance.now() - started) / 1000;
    const stop = onStopSignals();
    const bar = new StatusLine(io.stderr);
    const { session, port: bound } = await openSession(listen, disc).catch((err: unknown) => {
      stop.dispose();
      throw err;
    });
    try {
      const handle = ti !== undefined
        ? await session.addTorrent({ ti, savePath: outDir, trackers: disc.trackers })
        : await session.addTorrent({ url: source.url, savePath: outDir, trackers: disc.trackers });
      const ih = handle.infoHashes();
      out.event('ready', {
        port: bound,
        infoHash: ti?.id ?? handle.status().infoHash,
        infoHashes: { v1: ih.v1 === undefined ? null : toHex(ih.v1), v2: ih.v2 === undefined ? null : toHex(ih.v2) },
        name: ti?.name ?? magnet?.name ?? null,
        totalLength: ti?.totalLength ?? null,
        savePath: outDir,
        dhtPort: session.isDhtRunning() ? session.dhtPort() : null,
      });
      if (ti) out.note(`Downloading ${esc(ti.name)} (${formatBytes(ti.totalLength)}) into ${esc(outDir)}; listening on port ${bound}`);
      else out.note(`Fetching the metadata of ${handle.status().infoHash} from peers into ${esc(outDir)}; listening on port ${bound}`);

      let s = await waitChecked(handle, stop.signal, (st) => bar.show(st.progress, 'checking existing data'));
      const dialer = new PeerDialer(handle, peers);
      if (!s.isFinished) dialer.dial();
      let lastDial = elapsed();
      let lastLookup = elapsed();
      let meta: TorrentInfo | undefined = ti;
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
        if (meta === undefined && (meta = handle.torrentFile()) !== undefined) {
          out.event('metadata', { infoHash: meta.id, name: meta.name, totalLength: meta.totalLength, pieces: meta.pieceCount });
          bar.clear();
          out.note(`Got the metadata: ${esc(meta.name)} (${formatBytes(meta.totalLength)})`);
        }
        if (s.isFinished) break;
        if (stop.signal.aborted) throw new TorrentError('aborted', `interrupted by ${stop.received() ?? 'a signal'} at ${(s.progress * 100).toFixed(1)}%`);
        if (t >= timeoutS) {
          const why = s.numPeers > 0 ? `${s.numPeers} peer(s) connected` : dialer.noPeerText();
          throw new TorrentError('timeout', `timed out after ${timeoutS} s at ${(s.progress * 100).toFixed(1)}%: ${why}`);
        }
        if (s.numPeers === 0 && peers.length > 0 && t - lastDial >= REDIAL_S) {
          dialer.dial();
          lastDial = t;
        }
        if (s.numPeers === 0 && session.isDhtRunning() && t - lastLookup >= DHT_RELOOK_S) {
          handle.forceDhtAnnounce();
          lastLookup = t;
        }
        if (!everConnected && !notedNoPeers && t >= NO_PEERS_NOTE_S) {
          notedNoPeers = true;
          bar.clear();
          out.note(`still no peers after ${NO_PEERS_NOTE_S} s: ${dialer.noPeerText()}`);
        }
        if (t >= nextProgress) {
          nextProgress = t + PROGRESS_MS / 1000;
          out.event('progress', progressFields(s));
          bar.show(s.progress, `${formatBytes(s.totalWantedDone)} / ${formatBytes(s.totalWanted)}  down ${rate(s.downloadPayloadRate)}  up ${rate(s.uploadPayloadRate)}  peers ${s.numPeers}`);
        }
        await tick(session, stop.signal);
      }
      await handle.flushCache();
      const got = handle.torrentFile()!;
      const seconds = elapsed();
      out.event('progress', progressFields(s));
      bar.clear();
      out.event('done', {
        infoHash: got.id,
        bytes: s.totalWanted,
        seconds,
        firstByteSeconds: firstByte ?? null,
        downloaded: s.totalPayloadDownload,
        savePath: outDir,
        ...processFigures(),
      });
      out.line(`Downloaded ${esc(got.name)}: ${formatBytes(s.totalWanted)} in ${seconds.toFixed(1)} s (${rate(s.totalPayloadDownload / Math.max(seconds, 1e-3))}), all pieces verified`);
      return EXIT_OK;
    } finally {
      bar.clear();
      stop.dispose();
      await session.close();
    }
  },
};

/** The download's source: a .torrent file, or a magnet link / bare info-hash (metadata from peers). */
type Source = { ti: TorrentInfo; magnet?: undefined } | { ti?: undefined; magnet: MagnetLink; url: string };

async function loadSource(arg: string, cwd: string): Promise<Source> {
  let url: string | undefined;
  if (/^magnet:\?/i.test(arg)) url = arg;
  else if (/^[0-9a-f]{40}$/i.test(arg)) url = `magnet:?xt=urn:btih:${arg.toLowerCase()}`;
  else if (/^[0-9a-f]{64}$/i.test(arg)) url = `magnet:?xt=urn:btmh:1220${arg.toLowerCase()}`;
  if (url === undefined) return { ti: await loadTorrent(resolve(cwd, arg)) };
  return { magnet: parseMagnet(url), url };
}

