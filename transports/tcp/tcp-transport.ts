/**
 * The TCP transport for Node (node:net). Listens on a port or on the first free port of a range, dials IP
 * literals with a connect timeout and an AbortSignal, and wraps each socket with {@link socketToPeerStream}.
 *
 * Ownership: the transport tracks every server, stream and pending dial it made, so `close()` can end
 * them all; a stream leaves the set when its socket closes. A dial that fails for any reason destroys its
 * socket and clears its timer before rejecting, so a failed dial leaves nothing open.
 */
import net from 'node:net';
import type { Server, Socket } from 'node:net';
import { TorrentError } from '../../src/errors.js';
import type { Listener, PeerAddress, PeerStream, Transport } from '../../src/interfaces/transport.js';
import { mapSocketError } from './errors.js';
import { SocketReader, socketToPeerStream } from './socket-stream.js';
import type { TcpPeerStream } from './socket-stream.js';

/** Options for {@link createTcpTransport}. */
export interface TcpTransportOptions {
  /** Interface to listen on. Default `0.0.0.0`; `::` for IPv6 (dual-stack where the OS allows). */
  listenHost?: string;
  /** Port to listen on; 0 picks any free port. Default 0. Ignored when `portRange` is set. */
  port?: number;
  /** Listen on the first free port in this inclusive range. */
  portRange?: readonly [number, number];
  /** Connect timeout for dials. Default 10 000 ms. */
  connectTimeoutMs?: number;
  /** How long a stream's `close()` waits for the remote before destroying. Default 5000 ms. */
  closeTimeoutMs?: number;
  /** Disable Nagle's algorithm on every socket. Default true. */
  noDelay?: boolean;
  /** Listen backlog. Default node's (511). */
  backlog?: number;
  /**
   * Per-socket read and write high-water mark in bytes (where `write` starts returning false). Default:
   * node's (16 KiB on Node 20). A larger mark lets several header + block writes share one syscall.
   */
  highWaterMark?: number;
  /**
   * Size of the one buffer each dialed socket reads into (net's `onread`, reused for every read, so
   * receiving allocates nothing per read). Default 256 KiB. Accepted sockets use node's own buffers.
   */
  readBufferSize?: number;
}

/** Strips the brackets of `[v6]` literals. */
function bareHost(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

interface PendingDial {
  fail(err: TorrentError): void;
}

class TcpTransport implements Transport {
  readonly name = 'tcp';
  readonly #opts: TcpTransportOptions;
  readonly #servers = new Set<Server>();
  readonly #streams = new Set<TcpPeerStream>();
  readonly #dials = new Set<PendingDial>();
  #closed = false;

  constructor(opts: TcpTransportOptions) {
    this.#opts = opts;
  }

  canDial(addr: PeerAddress): boolean {
    return (addr.transport === undefined || addr.transport === 'tcp') && net.isIP(bareHost(addr.host)) !== 0 && Number.isInteger(addr.port) && addr.port > 0 && addr.port <= 65535;
  }

  dial(addr: PeerAddress, opts: { signal: AbortSignal }): Promise<PeerStream> {
    const details = { host: addr.host, port: addr.port, transport: 'tcp' };
    if (this.#closed) return Promise.reject(new TorrentError('connection_failed', 'transport closed', { details }));
    if (opts.signal.aborted) return Promise.reject(new TorrentError('aborted', `dial to ${addr.host}:${addr.port} aborted`, { cause: opts.signal.reason, details }));
    if (!this.canDial(addr)) return Promise.reject(new TorrentError('invalid_argument', `tcp cannot dial ${addr.host}:${addr.port}`, { details }));
    const timeoutMs = this.#opts.connectTimeoutMs ?? 10_000;
    return new Promise<PeerStream>((resolve, reject) => {
      const reader = new SocketReader(this.#opts.readBufferSize);
      const connectOpts: net.TcpNetConnectOpts & { highWaterMark?: number } = {
        host: bareHost(addr.host), port: addr.port, allowHalfOpen: false, highWaterMark: this.#opts.highWaterMark, onread: reader.onread,
      };
      const socket: Socket = net.connect(connectOpts);
      let settled = false;
      const cleanup = (): void => {
        settled = true;
        clearTimeout(timer);
        opts.signal.removeEventListener('abort', onAbort);
        socket.off('connect', onConnect);
        socket.off('error', onError);
        this.#dials.delete(pending);
      };
      const pending: PendingDial = {
        fail: (err) => {
          if (settled) return;
          cleanup();
          socket.on('error', () => {}); // nothing may surface from a socket we gave up on
          socket.destroy();
          reject(err);
        },
      };
      const onError = (err: Error): void => pending.fail(mapSocketError(err, addr));
      const onAbort = (): void => pending.fail(new TorrentError('aborted', `dial to ${addr.host}:${addr.port} aborted`, { cause: opts.signal.reason, details }));
      const onConnect = (): void => {
        if (settled) return;
        cleanup();
        resolve(this.#adopt(socket, 'out', { host: addr.host, port: addr.port, transport: 'tcp' }, reader));
      };
      const timer = setTimeout(() => {
        pending.fail(new TorrentError('timeout', `connect to ${addr.host}:${addr.port} timed out after ${timeoutMs} ms`, { details: { ...details, timeoutMs } }));
      }, timeoutMs);
      socket.once('connect', onConnect);
      socket.once('error', onError);
      opts.signal.addEventListener('abort', onAbort, { once: true });
      this.#dials.add(pending);
    });
  }

  async listen(onStream: (s: PeerStream) => void): Promise<Listener> {
    const host = this.#opts.listenHost ?? '0.0.0.0';
    if (this.#closed) throw new TorrentError('listen_failed', 'transport closed', { details: { host, transport: 'tcp' } });
    const range = this.#opts.portRange;
    const [first, last] = range ?? [this.#opts.port ?? 0, this.#opts.port ?? 0];
    if (!Number.isInteger(first) || !Number.isInteger(last) || first < 0 || last > 65535 || first > last) {
      throw new TorrentError('invalid_argument', `invalid port range ${first}-${last}`, { details: { first, last } });
    }
    let lastErr: unknown;
    for (let port = first; port <= last; port++) {
      // `highWaterMark` (Node >= 20.1) is missing from @types/node 20's ServerOpts / connect options.
      const serverOpts: net.ServerOpts & { highWaterMark?: number } = { allowHalfOpen: false, noDelay: this.#opts.noDelay ?? true, highWaterMark: this.#opts.highWaterMark };
      const server = net.createServer(serverOpts);
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host, port, backlog: this.#opts.backlog }, () => {
            server.off('error', reject);
            resolve();
          });
        });
      } catch (err) {
        lastErr = err;
        server.close();
        const code = (err as { code?: unknown }).code;
        if (code === 'EADDRINUSE' || code === 'EACCES') continue;
        break;
      }
      if (this.#closed) {
        server.close();
        break;
      }
      return this.#serve(server, onStream);
    }
    const errno = (lastErr as { code?: unknown } | undefined)?.code;
    throw new TorrentError('listen_failed', `cannot listen on ${host} port ${first === last ? first : `${first}-${last}`}`, {
      cause: lastErr,
      details: { host, first, last, errno: typeof errno === 'string' ? errno : undefined, transport: 'tcp' },
    });
  }

  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      for (const server of this.#servers) server.close();
      this.#servers.clear();
      for (const d of [...this.#dials]) d.fail(new TorrentError('aborted', 'transport closed while dialing', { details: { transport: 'tcp' } }));
    }
    const streams = [...this.#streams];
    for (const s of streams) s.destroy();
    await Promise.all(streams.map((s) => s.closed));
  }

  #serve(server: Server, onStream: (s: PeerStream) => void): Listener {
    this.#servers.add(server);
    server.on('error', () => {}); // after listening, errors concern single accepts; node keeps serving
    server.on('connection', (socket: Socket) => {
      if (this.#closed || socket.remoteAddress === undefined || socket.remotePort === undefined) {
        socket.destroy();
        return;
      }
      onStream(this.#adopt(socket, 'in', { host: socket.remoteAddress, port: socket.remotePort, transport: 'tcp' }));
    });
    const bound = server.address();
    const address: PeerAddress =
      bound !== null && typeof bound === 'object'
        ? { host: bound.address, port: bound.port, transport: 'tcp' }
        : { host: this.#opts.listenHost ?? '0.0.0.0', port: 0, transport: 'tcp' };
    return {
      address,
      close: async () => {
        this.#servers.delete(server);
        server.close();
      },
    };
  }

  #adopt(socket: Socket, direction: 'in' | 'out', remote: PeerAddress, reader?: SocketReader): TcpPeerStream {
    const stream = socketToPeerStream(socket, direction, remote, {
      noDelay: this.#opts.noDelay ?? true,
      closeTimeoutMs: this.#opts.closeTimeoutMs,
    }, reader);
    this.#streams.add(stream);
    void stream.closed.then(() => this.#streams.delete(stream));
    return stream;
  }
}

/** A {@link Transport} whose `listen` is always present. */
export type ListeningTransport = Transport & Required<Pick<Transport, 'listen'>>;

/** A TCP {@link Transport} (Node only). */
export function createTcpTransport(opts: TcpTransportOptions = {}): ListeningTransport {
  return new TcpTransport(opts);
}
