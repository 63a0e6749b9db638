/**
 * Our tracker server (Node): WebSocket signalling relay for WebTorrent-compatible clients, HTTP
 * announce/scrape, UDP announce/scrape (BEP 15), all in memory with peer expiry and limits.
 * HTTP and WebSocket share one TCP port (WebSocket upgrades on any path); UDP binds the same port number.
 * `close()` ends every socket, timer and server it made.
 */
import http from 'node:http';
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { TorrentError } from '../src/errors.js';
import { handleHttpRequest } from './http-handler.js';
import { SwarmStore } from './swarm.js';
import { udpHandler } from './udp-handler.js';
import { handleWsConnection } from './ws-handler.js';
import type { WsRelayStats } from './ws-handler.js';

/** Options for {@link createTrackerServer}. Booleans default to true. */
export interface TrackerServerOptions {
  http?: boolean;
  udp?: boolean;
  ws?: boolean;
  /** Announce interval told to clients (seconds). Default 600 (WebSocket: a fifth, as bittorrent-tracker). */
  intervalSec?: number;
  /** Peers forgotten after this long without an announce. Default 2 × interval. */
  peerTtlMs?: number;
  maxTorrents?: number;
  maxPeersPerTorrent?: number;
  /** Largest WebSocket frame (bytes). Default 64 KiB. */
  maxMessageBytes?: number;
  /** Largest SDP relayed. Default 16 KiB. */
  maxSdpBytes?: number;
  /** Offers relayed per announce. Default 10. */
  maxOffersPerAnnounce?: number;
  /** WebSocket frames per second per socket (burst twice that). Default 20. */
  messagesPerSecond?: number;
  /** Concurrent WebSocket connections per IP. Default 32. */
  maxConnectionsPerIp?: number;
  /** Largest numwant honoured (HTTP/UDP). Default 50. */
  maxNumwant?: number;
}

/** Ports actually bound. */
export interface TrackerServerAddress {
  /** HTTP and WebSocket port (when either is on). */
  tcp?: number;
  /** UDP port (when on). */
  udp?: number;
  host: string;
}

/** A tracker server instance. */
export interface TrackerServer {
  /** Binds; resolves the bound ports. Rejects `listen_failed`. */
  listen(port?: number, host?: string): Promise<TrackerServerAddress>;
  /** Stops everything. */
  close(): Promise<void>;
  /** Swarms and peers, for tests and status. */
  readonly store: SwarmStore;
  readonly stats: WsRelayStats;
}

/** Creates (does not bind) a tracker server. */
export function createTrackerServer(opts: TrackerServerOptions = {}): TrackerServer {
  const useHttp = opts.http ?? true;
  const useUdp = opts.udp ?? true;
  const useWs = opts.ws ?? true;
  const interval = opts.intervalSec ?? 600;
  const store = new SwarmStore({
    maxTorrents: opts.maxTorrents ?? 100_000,
    maxPeersPerTorrent: opts.maxPeersPerTorrent ?? 1000,
    peerTtlMs: opts.peerTtlMs ?? interval * 2000,
  });
  const stats: WsRelayStats = { offersRelayed: 0, answersRelayed: 0, rejected: 0 };
  const numwant = { intervalSec: interval, defaultNumwant: 50, maxNumwant: opts.maxNumwant ?? 50 };
  const perIp = new Map<string, number>();
  const maxPerIp = opts.maxConnectionsPerIp ?? 32;
  let httpServer: http.Server | undefined;
  let wss: WebSocketServer | undefined;
  let udp: dgram.Socket | undefined;
  let sweeper: ReturnType<typeof setInterval> | undefined;

  if (useHttp || useWs) {
    httpServer = http.createServer((req, res) => {
      if (!useHttp) {
        res.writeHead(404).end();
        return;
      }
      handleHttpRequest(req, res, (req.socket.remoteAddress ?? '').replace(/^::ffff:/, ''), store, { ...numwant, maxUrlLength: 4096 });
    });
    httpServer.headersTimeout = 10_000;
    httpServer.requestTimeout = 15_000;
    httpServer.keepAliveTimeout = 5_000;
  }
  if (useWs && httpServer !== undefined) {
    wss = new WebSocketServer({ server: httpServer, maxPayload: opts.maxMessageBytes ?? 64 * 1024, perMessageDeflate: false, clientTracking: true });
    wss.on('connection', (ws, req) => {
      const ip = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
      const n = (perIp.get(ip) ?? 0) + 1;
      if (n > maxPerIp) {
        ws.close(1008, 'too many connections');
        return;
      }
      perIp.set(ip, n);
      ws.on('close', () => {
        const left = (perIp.get(ip) ?? 1) - 1;
        if (left > 0) perIp.set(ip, left);
        else perIp.delete(ip);
      });
      handleWsConnection(ws, ip, req.socket.remotePort ?? 0, store, {
        maxMessageBytes: opts.maxMessageBytes ?? 64 * 1024,
        maxSdpBytes: opts.maxSdpBytes ?? 16 * 1024,
        maxOffersPerAnnounce: Math.min(opts.maxOffersPerAnnounce ?? 10, 10),
        messagesPerSecond: opts.messagesPerSecond ?? 20,
        maxTorrentsPerSocket: 100,
        intervalSec: Math.max(1, Math.ceil(interval / 5)),
      }, stats);
    });
    wss.on('error', () => {});
  }

  return {
    store,
    stats,
    async listen(port = 0, host = '0.0.0.0') {
      const out: TrackerServerAddress = { host };
      try {
        if (httpServer !== undefined) {
          const s = httpServer;
          await new Promise<void>((resolve, reject) => {
            s.once('error', reject);
            s.listen(port, host, () => {
              s.off('error', reject);
              resolve();
            });
          });
          out.tcp = (s.address() as AddressInfo).port;
        }
        if (useUdp) {
          const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
          udp = sock;
          sock.on('message', udpHandler(sock, store, numwant));
          sock.on('error', () => {});
          await new Promise<void>((resolve, reject) => {
            sock.once('error', reject);
            sock.bind(out.tcp ?? port, host, () => {
              sock.off('error', reject);
              resolve();
            });
          });
          out.udp = sock.address().port;
        }
      } catch (cause) {
        throw new TorrentError('listen_failed', `tracker server cannot bind ${host}:${port}`, { cause });
      }
      sweeper = setInterval(() => store.sweep(Date.now()), Math.min(60_000, opts.peerTtlMs ?? 60_000));
      sweeper.unref?.();
      return out;
    },
    async close() {
      clearInterval(sweeper);
      if (wss !== undefined) {
        for (const c of wss.clients) c.terminate();
        await new Promise<void>((r) => (wss as WebSocketServer).close(() => r()));
      }
      if (udp !== undefined) {
        const u = udp;
        udp = undefined;
        await new Promise<void>((r) => u.close(() => r()));
      }
      if (httpServer?.listening === true) {
        const s = httpServer;
        s.closeAllConnections();
        await new Promise<void>((r) => s.close(() => r()));
      }
    },
  };
}

/** Starts a server (the CLI's `tracker` command calls this); resolves the running server and its address. */
export async function runTrackerServer(opts: TrackerServerOptions & { port?: number; host?: string } = {}): Promise<{ server: TrackerServer; address: TrackerServerAddress }> {
  const server = createTrackerServer(opts);
  const address = await server.listen(opts.port ?? 8000, opts.host ?? '0.0.0.0');
  return { server, address };
}
