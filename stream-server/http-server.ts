/**
 * A local HTTP server that streams torrent files while they download (GitHub issue 6), after
 * WebTorrent's server and libtorrent's streaming advice.
 *
 * Routes (GET and HEAD):
 * - `/` — an HTML index of torrents and files; names escaped (case 35).
 * - `/<infoHash>/<fileIndex>/<name>` — the file, with Range support (range.ts decides 200/206/400/416;
 *   case 36). `<name>` is cosmetic (for players that look at the extension); the index picks the file.
 * Everything else is 404; other methods 405. The Host header must pass the allow-list (case 34) before
 * anything else happens: 403 otherwise. CORS is off unless `cors` is set.
 *
 * File responses carry `X-Content-Type-Options: nosniff` and `Content-Security-Policy: sandbox`: a
 * torrent's HTML or SVG file opens in an opaque origin with scripts off, so it cannot script this server
 * (read the index or other torrents' files). The ETag is `"<infoHash>-<fileIndex>"`: a torrent's content
 * never changes for a given info-hash, so it is a valid strong validator; `If-Range` is honoured with it.
 *
 * Lifetime: a client that goes away destroys its stream (pipeline), which closes the reader and resets
 * its deadlines. close() destroys every live stream and connection and resolves once the listening
 * socket is closed, leaving no handles.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream';
import type { Readable } from 'node:stream';
import { TorrentError } from '../src/errors.js';
import type { ReadAheadOptions } from '../src/stream/read-ahead.js';
import { contentRange, parseRange, unsatisfiedRange } from '../src/stream/range.js';
import { contentTypeFor } from '../src/stream/mime.js';
import { filePath, renderIndexPage } from '../src/stream/index-page.js';
import type { StreamProvider } from '../src/stream/provider.js';
import type { StreamSource } from '../src/stream/source.js';
import { HostAllowList } from './host-check.js';
import { createReadStream } from './node-readable.js';

/** Options of {@link createStreamServer}. */
export interface StreamServerOptions {
  /** Where torrents and file sources come from (e.g. sessionStreamProvider(session)). */
  provider: StreamProvider;
  /** Port to listen on (default 0: any free port). */
  port?: number;
  /** Address to listen on (default '127.0.0.1'). Binding elsewhere still needs allowedHosts for the names used. */
  host?: string;
  /** Host names accepted besides localhost / 127.0.0.1 / [::1]: `name` or `name:port`. */
  allowedHosts?: readonly string[];
  /** CORS: true sends `Access-Control-Allow-Origin: *`, a string sends that origin; default off. */
  cors?: boolean | string;
  /** Read-ahead tuning of every file stream. */
  readAhead?: ReadAheadOptions;
}

/** A running stream server. */
export interface StreamServer {
  /** The port it listens on. */
  readonly port: number;
  /** The address it listens on. */
  readonly host: string;
  /** Base URL, e.g. `http://127.0.0.1:8888`. */
  readonly url: string;
  /** The URL of a file (its path is built from the provider's listing), or undefined if unknown. */
  fileUrl(infoHash: string, fileIndex: number): string | undefined;
  /** Stops listening, ends every response and connection. Idempotent. */
  close(): Promise<void>;
}

const HASH_RE = /^[0-9a-fA-F]{40}$/;
const INDEX_RE = /^\d{1,9}$/;

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)), ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** Starts a stream server; resolves once it listens. */
export async function createStreamServer(opts: StreamServerOptions): Promise<StreamServer> {
  const provider = opts.provider;
  const host = opts.host ?? '127.0.0.1';
  const streams = new Set<Readable>();
  const corsOrigin = opts.cors === true ? '*' : typeof opts.cors === 'string' ? opts.cors : undefined;
  let hosts = new HostAllowList(opts.port ?? 0, opts.allowedHosts);

  const corsHeaders = (): Record<string, string> =>
    corsOrigin === undefined ? {} : {
      'Access-Control-Allow-Origin': corsOrigin,
      'Access-Control-Expose-Headers': 'Accept-Ranges, Content-Length, Content-Range, Content-Type, ETag',
      ...(corsOrigin === '*' ? {} : { Vary: 'Origin' }),
    };

  const serveFile = (req: IncomingMessage, res: ServerResponse, infoHash: string, index: number, source: StreamSource): void => {
    const size = source.fileLength;
    const etag = `"${infoHash}-${index}"`;
    const base: Record<string, string> = {
      ...corsHeaders(),
      'Accept-Ranges': 'bytes',
      'Content-Type': contentTypeFor(source.filePath),
      ETag: etag,
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': 'sandbox',
    };
    const ifRange = req.headers['if-range'];
    const decision = ifRange !== undefined && ifRange !== etag ? { kind: 'full' as const } : parseRange(req.headers.range, size);
    if (decision.kind === 'malformed') return send(res, 400, 'malformed Range header\n', corsHeaders());
    if (decision.kind === 'unsatisfiable') return send(res, 416, 'range not satisfiable\n', { ...base, 'Content-Range': unsatisfiedRange(size) });
    const [start, end] = decision.kind === 'partial' ? [decision.start, decision.end] : [0, size - 1];
    const length = end - start + 1;
    const headers: Record<string, string> = { ...base, 'Content-Length': String(length) };
    if (decision.kind === 'partial') headers['Content-Range'] = contentRange(start, end, size);
    res.writeHead(decision.kind === 'partial' ? 206 : 200, headers);
    if (req.method === 'HEAD' || length === 0) return void res.end();
    // Headers go out now, not with the first byte: that byte may wait for the swarm.
    res.flushHeaders();
    const body = createReadStream(source, { start, end, readAhead: opts.readAhead });
    streams.add(body);
    pipeline(body, res, () => {
      streams.delete(body);
      body.destroy();
    });
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (!hosts.allows(req.headers.host)) return send(res, 403, 'forbidden host\n');
    const method = req.method ?? '';
    if (method === 'OPTIONS' && corsOrigin !== undefined) {
      res.writeHead(204, { ...corsHeaders(), 'Access-Control-Allow-Methods': 'GET, HEAD', 'Access-Control-Allow-Headers': 'Range, If-Range', 'Access-Control-Max-Age': '600' });
      return void res.end();
    }
    if (method !== 'GET' && method !== 'HEAD') return send(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
    const url = req.url ?? '';
    if (!url.startsWith('/')) return send(res, 400, 'bad request target\n');
    const pathname = url.split(/[?#]/, 1)[0]!;
    if (pathname === '/') {
      const html = renderIndexPage(provider.listTorrents());
      return send(res, 200, html, { ...corsHeaders(), 'Content-Type': 'text/html; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'" });
    }
    const [, hash = '', idx = ''] = pathname.split('/');
    if (!HASH_RE.test(hash) || !INDEX_RE.test(idx)) return send(res, 404, 'not found\n', corsHeaders());
    const infoHash = hash.toLowerCase();
    const index = Number(idx);
    const source = provider.getSource(infoHash, index);
    if (!source) return send(res, 404, 'no such torrent or file\n', corsHeaders());
    serveFile(req, res, infoHash, index, source);
  };

  const server: Server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (err) {
      // A provider failing for one request (torrent removed meanwhile, ...) fails that request only.
      const missing = err instanceof TorrentError && (err.code === 'invalid_handle' || err.code === 'metadata_not_available');
      if (!res.headersSent) send(res, missing ? 404 : 500, missing ? 'no such torrent or file\n' : 'internal error\n');
      else res.destroy();
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  hosts = new HostAllowList(port, opts.allowedHosts);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;

  return {
    port,
    host,
    url: `http://${urlHost}:${port}`,
    fileUrl(infoHash, fileIndex) {
      const t = provider.getTorrent(infoHash.toLowerCase());
      const f = t?.files.find((x) => x.index === fileIndex);
      return t && f ? `http://${urlHost}:${port}${filePath(t.infoHash, f)}` : undefined;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const s of streams) s.destroy();
        streams.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
