/**
 * `swarmkit stream <torrent|magnet|info-hash> [--file N] [--port N] [--out DIR] [--peer host:port]...
 * [--tracker URL]... [--json]`: downloads a torrent and serves one of its files over HTTP on 127.0.0.1
 * while it downloads (GitHub issue 6), so a player (VLC, mpv, a browser) can open the printed URL and
 * seek: the server answers Range requests, and each read sets piece deadlines on its read-ahead window
 * (src/stream/), so the pieces a player asks for come first.
 *
 * Choices:
 * - The file: `--file N` (an index as `swarmkit info` lists it, pad files excluded), else the largest.
 *   The other files get priority 0, so only the streamed file downloads; the stream's deadlines raise
 *   what it reads ahead of the rest of that file.
 * - Storage: `--out DIR` keeps the data; without it a fresh temporary directory is used and deleted at exit.
 * - The HTTP server listens on 127.0.0.1 only (the stream server's Host allow-list also refuses other
 *   names, against DNS rebinding); `--port` is the HTTP port (default 0: any free one, printed).
 *   The BitTorrent side listens on `--bt-host` (default 0.0.0.0) `:--bt-port` (default 0).
 * - Alerts: a PieceNotifier takes the session's alert queue (it wakes readers on piece_finished) and
 *   hands every alert on to the same notes `download` prints.
 * - SIGINT / SIGTERM: the server closes (live responses end), then the session; exit 0.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TorrentError } from '../../src/errors.js';
import type { PeerAddress } from '../../src/interfaces/transport.js';
import { parseMagnet } from '../../src/metainfo/magnet.js';
import type { TorrentInfo } from '../../src/metainfo/torrent-info.js';
import type { Alert } from '../../src/session/alerts.js';
import { alertMessage } from '../../src/session/alerts.js';
import type { TorrentHandle } from '../../src/session/torrent-handle.js';
import { sessionStreamProvider } from '../../src/stream/handle-source.js';
import { contentTypeFor } from '../../src/stream/mime.js';
import { PieceNotifier } from '../../src/stream/piece-notifier.js';
import { createStreamServer } from '../../stream-server/http-server.js';
import type { StreamServer } from '../../stream-server/http-server.js';
import { parseCommandArgs } from '../args.js';
import type { CliIO, Command } from '../command.js';
import { EXIT_OK, UsageError } from '../errors.js';
import { escapeTerminal as esc } from '../escape.js';
import { formatBytes } from '../format.js';
import type { Output } from '../output.js';
import { loadTorrent } from './info.js';
import {
  PROGRESS_MS, StatusLine, TICK_MS, discoveryOptions, discoveryUsage, listenInterfaces, onStopSignals, openSession,
  PeerDialer, parseDiscoveryFlags, parsePeer, parsePort, processFigures, progressFields, sleep, throwIfFailed, waitChecked,
} from './swarm-common.js';

/** Seconds between re-dials of the given peers while none is connected. */
const REDIAL_S = 3;

const usage = `Usage: swarmkit stream <file.torrent | magnet-link | info-hash> [options]

Downloads a torrent and serves one of its files over HTTP on 127.0.0.1 while it downloads; open the
printed URL in a player (VLC, mpv) or a browser, and seek freely: requested ranges are fetched first.
Serves until interrupted (Ctrl-C / SIGTERM), then exits 0.

Options:
  --file N            the file to stream, by index (as 'swarmkit info' numbers them; default the largest)
  --port N            HTTP port on 127.0.0.1 (default 0: any free port; the URL shows it)
  -o, --out DIR       keep the data in DIR (default: a temporary directory, deleted at exit)
  --peer HOST:PORT    a peer to connect to ([v6addr]:port for IPv6); repeatable
${discoveryUsage}
  --bt-port N         BitTorrent TCP port (default 0: any free port)
  --bt-host ADDR      BitTorrent listen address (default 0.0.0.0)
  --json              JSON lines on stdout: ready (with the url), progress (~1/s), done (at exit) or error
  --debug             print stack traces on errors, and peer connects/disconnects
  -h, --help          show this help`;

const options = {
  ...discoveryOptions,
  peer: { type: 'string', multiple: true },
  port: { type: 'string' },
  file: { type: 'string' },
  out: { type: 'string', short: 'o' },
  'bt-port': { type: 'string' },
  'bt-host': { type: 'string' },
} as const;

/** Picks the file to stream: `requested` if given (must be a real, non-pad file), else the largest. */
export function pickStreamFile(ti: TorrentInfo, requested: number | undefined): number {
  if (requested !== undefined) {
    const f = ti.files[requested];
    if (f === undefined || f.pad) throw new UsageError(`stream: --file ${requested}: the torrent has no such file (0..${ti.files.length - 1}, pad files excluded)`);
    return requested;
  }
  let best = -1;
  ti.files.forEach((f, i) => {
    if (!f.pad && (best < 0 || f.length > ti.files[best]!.length)) best = i;
  });
  return best;
}

function parseFileIndex(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,9}$/.test(text)) throw new UsageError(`stream: --file '${text}' is not a file index`);
  return Number(text);
}

/** A .torrent file, or a magnet URL (also built from a bare info-hash). */
async function loadSource(arg: string, cwd: string): Promise<{ ti: TorrentInfo } | { url: string; trackers: number; peers: number }> {
  let url: string | undefined;
  if (/^magnet:\?/i.test(arg)) url = arg;
  else if (/^[0-9a-f]{40}$/i.test(arg)) url = `magnet:?xt=urn:btih:${arg.toLowerCase()}`;
  else if (/^[0-9a-f]{64}$/i.test(arg)) url = `magnet:?xt=urn:btmh:1220${arg.toLowerCase()}`;
  if (url === undefined) return { ti: await loadTorrent(resolve(cwd, arg)) };
  const m = parseMagnet(url);
  return { url, trackers: m.trackers.length, peers: m.peers.length };
}

function noteAlert(a: Alert, out: Output): void {
  if (a.type === 'peer_disconnected' || a.type === 'peer_connect') {
    if (out.debug) out.note(esc(alertMessage(a)));
  } else if (a.type === 'file_error' || a.type === 'torrent_error' || a.type === 'hash_failed' || a.type === 'listen_failed') {
    out.note(esc(alertMessage(a)));
  }
}

export const streamCommand: Command = {
  usage,
  async run(argv: readonly string[], out: Output, io: CliIO): Promise<number> {
    const { values, positionals } = parseCommandArgs('stream', argv, options);
    if (positionals.length !== 1) throw new UsageError('stream: expected exactly one .torrent file, magnet link or info-hash');
    const httpPort = parsePort('stream', values.port);
    const listen = listenInterfaces('stream', values['bt-host'], parsePort('stream', values['bt-port']));
    const peers: PeerAddress[] = (values.peer ?? []).map((p) => parsePeer('stream', p));
    const disc = parseDiscoveryFlags('stream', values);
    const requested = parseFileIndex(values.file);
    const source = await loadSource(positionals[0]!, io.cwd);
    const trackers = 'ti' in source ? source.ti.announce.length : source.trackers;
    if (peers.length === 0 && trackers === 0 && disc.trackers.length === 0 && ('ti' in source || source.peers === 0)
      && !(disc.dht && disc.dhtBootstrap.length > 0) && !disc.lsd) {
      throw new TorrentError('connection_failed', 'no peers to stream from: give --peer HOST:PORT, --tracker URL, --dht-bootstrap HOST:PORT or --lsd');
    }
    if ('ti' in source) pickStreamFile(source.ti, requested); // a bad --file fails before anything starts
    const tempDir = values.out === undefined ? await mkdtemp(join(tmpdir(), 'swarmkit-stream-')) : undefined;
    const saveDir = tempDir ?? resolve(io.cwd, values.out!);
    if (tempDir === undefined) await mkdir(saveDir, { recursive: true });

    const started = performance.now();
    const elapsed = (): number => (performance.now() - started) / 1000;
    const stop = onStopSignals();
    const bar = new StatusLine(io.stderr);
    let server: StreamServer | undefined;
    let detach: (() => void) | undefined;
    const opened = await openSession(listen, disc).catch(async (err: unknown) => {
      stop.dispose();
      if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true });
      throw err;
    });
    const { session, port: btPort } = opened;
    try {
      const notifier = new PieceNotifier();
      detach = notifier.attach(session, (a) => noteAlert(a, out));
      const handle = 'ti' in source
        ? await session.addTorrent({ ti: source.ti, savePath: saveDir, trackers: disc.trackers })
        : await session.addTorrent({ url: source.url, savePath: saveDir, trackers: disc.trackers });
      const dialer = new PeerDialer(handle, peers);
      dialer.dial();
      let lastDial = elapsed();
      const redial = (): void => {
        if (handle.status().numPeers === 0 && peers.length > 0 && elapsed() - lastDial >= REDIAL_S) {
          dialer.dial();
          lastDial = elapsed();
        }
      };

      const ti = await waitMetadata(handle, stop.signal, redial, out);
      if (ti !== undefined) {
        const fileIndex = pickStreamFile(ti, requested);
        if (ti.files.length > 1) handle.prioritizeFiles(ti.files.map((_, i) => (i === fileIndex ? 4 : 0)));
        await waitChecked(handle, stop.signal, (st) => bar.show(st.progress, 'checking existing data'));
        bar.clear();
        server = await createStreamServer({ provider: sessionStreamProvider(session, { notifier }), port: httpPort, host: '127.0.0.1' });
        const url = server.fileUrl(handle.id, fileIndex);
        if (url === undefined) throw new TorrentError('invalid_argument', `the stream server does not list file ${fileIndex}`);
        const file = ti.files[fileIndex]!;
        const path = file.path.join('/');
        out.event('ready', {
          url,
          infoHash: ti.id,
          name: ti.name,
          file: { index: fileIndex, path, length: file.length, contentType: contentTypeFor(path) },
          httpPort: server.port,
          port: btPort,
          savePath: saveDir,
          temporary: tempDir !== undefined,
        });
        out.line(`Streaming ${esc(path)} (${formatBytes(file.length)}) of ${esc(ti.name)}`);
        out.line(url);
        out.note(`open the URL in a player (e.g. mpv or vlc); Ctrl-C to stop`);
      }

      let nextProgress = 0;
      while (!stop.signal.aborted) {
        const s = handle.status();
        throwIfFailed(s);
        redial();
        if (elapsed() >= nextProgress) {
          nextProgress = elapsed() + PROGRESS_MS / 1000;
          out.event('progress', progressFields(s));
          bar.show(s.progress, `${formatBytes(s.totalWantedDone)} / ${formatBytes(s.totalWanted)}  down ${formatBytes(Math.round(s.downloadPayloadRate))}/s  peers ${s.numPeers}`);
        }
        await sleep(TICK_MS, stop.signal);
      }
      bar.clear();
      await server?.close();
      const s = handle.status();
      await session.close();
      out.event('done', { infoHash: s.infoHash, downloaded: s.totalPayloadDownload, seconds: elapsed(), signal: stop.received() ?? null, ...processFigures() });
      out.note(`Stopped (${stop.received() ?? 'signal'}); downloaded ${formatBytes(s.totalPayloadDownload)}`);
      return EXIT_OK;
    } finally {
      bar.clear();
      stop.dispose();
      detach?.();
      await server?.close();
      await session.close();
      if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true });
    }
  },
};

/** Waits for the torrent's metadata (at once for a .torrent); undefined when stopped first. */
async function waitMetadata(handle: TorrentHandle, signal: AbortSignal, onTick: () => void, out: Output): Promise<TorrentInfo | undefined> {
  let ti = handle.torrentFile();
  if (ti !== undefined) return ti;
  out.note(`Fetching the metadata of ${handle.id} from peers`);
  while (!signal.aborted) {
    throwIfFailed(handle.status());
    onTick();
    await sleep(TICK_MS, signal);
    if ((ti = handle.torrentFile()) !== undefined) return ti;
  }
  return undefined;
}
