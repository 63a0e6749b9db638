/**
 * A loopback HTTP tracker for tests (node:http on 127.0.0.1) that can behave well or badly.
 *
 * Built-in routes (override or add with `routes.set(path, handler)`):
 *   /announce      a valid compact reply built from `tracker.reply` (bencoded by the test oracle)
 *   /scrape        a scrape reply built from `tracker.scrapeReply`
 *   /garbage       200 with bytes that are not bencode
 *   /big           a well-formed start and then 1.5 MiB of peers (over the 1 MiB limit)
 *   /gzip-bomb     64 MiB of zeros gzip-compressed (~64 KiB on the wire), Content-Encoding: gzip
 *   /slow          headers after `slowMs` (default: never until close)
 *   /trickle       headers at once, then a byte every 200 ms forever
 *   /redirect?to=U 302 to U (absolute or relative)
 *   /status?code=N answers with that HTTP status
 * Every request is logged in `requests` (path and raw query) before routing.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import bencode from 'bencode';

/** Handles one request. */
export type RouteHandler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => void;

/** A running hostile tracker. */
export interface HostileTracker {
  /** `http://127.0.0.1:PORT` */
  readonly base: string;
  readonly port: number;
  /** Requests seen, in order. */
  readonly requests: { path: string; query: string }[];
  /** Routes by path. */
  readonly routes: Map<string, RouteHandler>;
  /** Reply dict for /announce (mutable). */
  reply: Record<string, unknown>;
  /** Reply dict for /scrape (mutable). */
  scrapeReply: Record<string, unknown>;
  /** Delay for /slow, ms (undefined = never answer). */
  slowMs: number | undefined;
  close(): Promise<void>;
}

let bomb: Buffer | undefined;
function gzipBomb(): Buffer {
  bomb ??= zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 });
  return bomb;
}

/** Starts the tracker on 127.0.0.1 with an ephemeral port. */
export async function startHostileTracker(): Promise<HostileTracker> {
  const timers = new Set<NodeJS.Timeout>();
  const routes = new Map<string, RouteHandler>();
  const state = {
    reply: { interval: 1800, peers: Buffer.from([10, 0, 0, 1, 0x1a, 0xe1]) } as Record<string, unknown>,
    scrapeReply: { files: {} } as Record<string, unknown>,
    slowMs: undefined as number | undefined,
  };
  const requests: { path: string; query: string }[] = [];
  const send = (res: http.ServerResponse, body: Uint8Array | string, headers: http.OutgoingHttpHeaders = {}): void => {
    res.writeHead(200, { 'content-type': 'text/plain', ...headers });
    res.end(body);
  };
  routes.set('/announce', (_q, res) => send(res, bencode.encode(state.reply)));
  routes.set('/scrape', (_q, res) => send(res, bencode.encode(state.scrapeReply)));
  routes.set('/garbage', (_q, res) => send(res, '<html><body>502 Bad Gateway</body></html>'));
  routes.set('/big', (_q, res) => {
    const n = 1.5 * 1024 * 1024;
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write(`d8:intervali1800e5:peers${n}:`);
    const chunk = Buffer.alloc(64 * 1024, 7);
    for (let i = 0; i < n / chunk.length; i++) res.write(chunk);
    res.end('e');
  });
  routes.set('/gzip-bomb', (_q, res) => send(res, gzipBomb(), { 'content-encoding': 'gzip' }));
  routes.set('/slow', (_q, res) => {
    if (state.slowMs === undefined) return;
    const t = setTimeout(() => send(res, bencode.encode(state.reply)), state.slowMs);
    timers.add(t);
  });
  routes.set('/trickle', (_q, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('d8:interval');
    const t = setInterval(() => res.write('1'), 200);
    timers.add(t);
  });
  routes.set('/redirect', (_q, res, url) => {
    res.writeHead(302, { location: url.searchParams.get('to') ?? '/' });
    res.end();
  });
  routes.set('/status', (_q, res, url) => {
    res.writeHead(Number(url.searchParams.get('code') ?? 500));
    res.end('no');
  });

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const q = (req.url ?? '').indexOf('?');
    requests.push({ path: url.pathname, query: q >= 0 ? (req.url ?? '').slice(q + 1) : '' });
    const route = routes.get(url.pathname);
    if (route === undefined) {
      res.writeHead(404);
      res.end('not found');
      return;
    }
    route(req, res, url);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    requests,
    routes,
    get reply() { return state.reply; },
    set reply(v) { state.reply = v; },
    get scrapeReply() { return state.scrapeReply; },
    set scrapeReply(v) { state.scrapeReply = v; },
    get slowMs() { return state.slowMs; },
    set slowMs(v) { state.slowMs = v; },
    close: async () => {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
