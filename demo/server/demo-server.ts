/**
 * The web demo's Node side, all on loopback (127.0.0.1; no DHT, no LSD):
 *   - our tracker server (tracker-server/), WebSocket + HTTP announce, on its own port;
 *   - a seed Session (TCP + WebRTC through @roamhq/wrtc) seeding the sample WebM from the data folder;
 *   - an HTTP server for the built page (demo/dist or `webDir`), the stream service worker at the site
 *     root (its scope must cover the page), /sample.torrent and /demo.json (tracker URL, sample info).
 * Files are read into memory once at start and served from a fixed table, so no request path ever
 * reaches the file system. `close()` ends every socket, session and timer it made.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, readdir } from 'node:fs/promises';
import { extname, join, relative, resolve, sep } from 'node:path';
import { CreateTorrent, Session, TorrentInfo, WebRtcTransport, alertCategory, alertMessage, hasNodeWebRtc } from '../../entry/node.js';
import type { TorrentHandle } from '../../entry/node.js';
import { TorrentError } from '../../src/errors.js';
import { createTrackerServer } from '../../tracker-server/index.js';
import type { TrackerServer } from '../../tracker-server/index.js';
import { ensureSampleVideo } from './sample-video.js';
import { DEFAULT_WEB_OUT, buildWeb } from './build-web.js';

/** Options of {@link startDemo}. */
export interface DemoOptions {
  /** Page port on 127.0.0.1 (0 = any free port). Default 8080. */
  port?: number;
  /** Where the sample video lives (made on first start). Default .cache/demo/web. */
  dataDir?: string;
  /** The built page; built there first unless `build` is false. Default demo/dist. */
  webDir?: string;
  /** Build the page before serving. Default true. */
  build?: boolean;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

/** A running demo. */
export interface DemoServer {
  /** The page to open, http://127.0.0.1:PORT/ */
  readonly url: string;
  /** ws://127.0.0.1:PORT of the tracker. */
  readonly trackerUrl: string;
  /** The sample torrent's id (hex info-hash). */
  readonly infoHash: string;
  /** The seed session. */
  readonly seed: Session;
  /** Open WebRTC connections of the seed. */
  rtcConnections(): number;
  /** Stops the page server, the seed and the tracker. Idempotent. */
  close(): Promise<void>;
}

const SAMPLE_NAME = 'swarmkit-sample.webm';
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json',
};

async function readTree(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const full = join(e.parentPath, e.name);
    files.set(`/${relative(dir, full).split(sep).join('/')}`, await readFile(full));
  }
  return files;
}

async function waitSeeding(session: Session, h: TorrentHandle, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!h.status().isSeeding) {
    if (Date.now() > deadline) throw new TorrentError('timeout', 'the sample did not verify in time');
    await session.waitForAlert(200);
    for (const a of session.popAlerts()) {
      if (a.type === 'torrent_error' || a.type === 'file_error') throw new TorrentError('hash_failed', alertMessage(a));
    }
  }
}

/** Starts tracker, seed and page server (building the page first by default). */
export async function startDemo(opts: DemoOptions = {}): Promise<DemoServer> {
  const log = opts.log ?? ((): void => {});
  if (!hasNodeWebRtc()) throw new TorrentError('not_supported', 'the web demo needs Node WebRTC: npm install @roamhq/wrtc');
  const dataDir = resolve(opts.dataDir ?? '.cache/demo/web');
  const webDir = resolve(opts.webDir ?? DEFAULT_WEB_OUT);
  if (opts.build ?? true) {
    log('building the page (vite) and the stream worker ...');
    await buildWeb(webDir);
  }
  const files = await readTree(webDir);
  if (!files.has('/index.html')) throw new TorrentError('invalid_argument', `no built page in ${webDir}`);
  log('making the sample video with ffmpeg (first start only) ...');
  await ensureSampleVideo(join(dataDir, SAMPLE_NAME));

  const tracker: TrackerServer = createTrackerServer({ ws: true, http: true, udp: false, intervalSec: 60 });
  const rtc: WebRtcTransport[] = [];
  let seed: Session | undefined;
  let server: Server | undefined;
  const closeAll = async (): Promise<void> => {
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((res) => server!.close(() => res()));
    }
    await seed?.close();
    await tracker.close();
  };
  try {
    const taddr = await tracker.listen(0, '127.0.0.1');
    const trackerUrl = `ws://127.0.0.1:${String(taddr.tcp)}`;
    const ct = new CreateTorrent({ version: 'v1', pieceLength: 64 * 1024, trackers: [trackerUrl], comment: 'swarmkit demo sample', creationDate: null });
    ct.addFile({ data: new Blob([await readFile(join(dataDir, SAMPLE_NAME))]), path: SAMPLE_NAME });
    const torrent = await ct.generate();
    const ti = await TorrentInfo.fromBytes(torrent);

    seed = new Session({
      settings: {
        listenInterfaces: '127.0.0.1:0', enableDht: false, enableLsd: false, allowMultipleConnectionsPerIp: true,
        alertMask: alertCategory.error | alertCategory.status,
      },
      webrtc: {
        createConnector: (l) => {
          const t = new WebRtcTransport({ rtcConfig: { iceServers: [] }, maxConnections: l.maxConnections, maxConnectionsPerKey: l.maxConnectionsPerTorrent });
          rtc.push(t);
          return t;
        },
      },
    });
    await seed.ready();
    const h = await seed.addTorrent({ ti, savePath: dataDir });
    await waitSeeding(seed, h, 120_000);
    log(`seeding ${ti.name} (${ti.totalLength} bytes, ${ti.pieceCount} pieces) through ${trackerUrl}`);
    // The seed's alert queue would only fill up: drain it.
    const s = seed;
    s.setAlertNotify(() => queueMicrotask(() => void s.popAlerts()));

    const config = Buffer.from(JSON.stringify({ tracker: trackerUrl, sample: { torrent: '/sample.torrent', infoHash: h.id, name: ti.name } }));
    const table = new Map<string, [string, Buffer]>();
    for (const [p, body] of files) table.set(p, [TYPES[extname(p)] ?? 'application/octet-stream', body]);
    table.set('/', table.get('/index.html')!);
    table.set('/demo.json', ['application/json', config]);
    table.set('/sample.torrent', ['application/x-bittorrent', Buffer.from(torrent)]);
    const csp = `default-src 'self'; connect-src 'self' ${trackerUrl}; media-src 'self' blob:; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'`;
    server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const f = req.method === 'GET' || req.method === 'HEAD' ? table.get(path) : undefined;
      if (f === undefined) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
        return;
      }
      res.writeHead(200, {
        'content-type': f[0], 'content-length': f[1].length, 'cache-control': 'no-cache',
        'x-content-type-options': 'nosniff', 'content-security-policy': csp,
      }).end(req.method === 'HEAD' ? undefined : f[1]);
    });
    await new Promise<void>((res, rej) => {
      server!.once('error', rej);
      server!.listen(opts.port ?? 8080, '127.0.0.1', () => res());
    });
    const port = (server.address() as AddressInfo).port;
    let closing: Promise<void> | undefined;
    return {
      url: `http://127.0.0.1:${port}/`,
      trackerUrl,
      infoHash: h.id,
      seed,
      rtcConnections: () => rtc.reduce((n, t) => n + t.connections, 0),
      close: () => (closing ??= closeAll()),
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
