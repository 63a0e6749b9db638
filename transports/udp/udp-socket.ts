/**
 * node:dgram adapted to the DatagramSocket contract (src/interfaces/datagram.ts).
 *
 * Design notes
 * - The family follows the bind host: an IPv6 literal (contains ':') binds `udp6`, anything else `udp4`
 *   (default host 0.0.0.0). `send` may name a hostname: node:dgram resolves it through the OS per send,
 *   in the socket's family. Replies always arrive from IP literals.
 * - Datagrams received before a sink is set are dropped and counted (UDP is lossy; callers set the sink
 *   right after bind).
 * - `close()` closes the OS handle and resolves once node reports it closed; the sink's `close` fires
 *   exactly once (after `close()`, or with the error when the socket fails). After close, `send`
 *   rejects with `connection_failed` and nothing is left open.
 */
import dgram from 'node:dgram';
import { TorrentError } from '../../src/errors.js';
import type { DatagramFactory, DatagramSink, DatagramSocket } from '../../src/interfaces/datagram.js';
import type { PeerAddress } from '../../src/interfaces/transport.js';

/** A node:dgram error as a typed {@link TorrentError} (`connection_failed`, errno in details). */
export function mapUdpError(err: unknown, to: PeerAddress | undefined, what: string): TorrentError {
  if (err instanceof TorrentError) return err;
  const code = typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string'
    ? (err as { code: string }).code
    : undefined;
  const msg = err instanceof Error ? err.message : String(err);
  const where = to === undefined ? '' : ` to ${to.host}:${to.port}`;
  return new TorrentError(what === 'bind' ? 'listen_failed' : 'connection_failed', `udp ${what}${where} failed: ${msg}`, {
    cause: err,
    details: { host: to?.host, port: to?.port, transport: 'udp', errno: code },
  });
}

/** Options for {@link createUdpFactory}. */
export interface UdpFactoryOptions {
  /** SO_RCVBUF / SO_SNDBUF in bytes (default: the OS default). */
  bufferSize?: number;
}

class NodeUdpSocket implements DatagramSocket {
  readonly address: PeerAddress;
  /** Datagrams received while no sink was set. */
  droppedWithoutSink = 0;
  private sink: DatagramSink | undefined;
  private closed = false;
  private closeNotified = false;
  private closing: Promise<void> | undefined;
  private failure: Error | undefined;

  constructor(private readonly socket: dgram.Socket) {
    const a = socket.address();
    this.address = { host: a.address, port: a.port, transport: 'udp' };
    socket.on('message', (msg: Buffer, rinfo: dgram.RemoteInfo) => {
      const sink = this.sink;
      if (sink === undefined || this.closed) {
        this.droppedWithoutSink++;
        return;
      }
      sink.message(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), { host: rinfo.address, port: rinfo.port });
    });
    socket.on('error', (err: Error) => {
      this.failure = mapUdpError(err, undefined, 'socket');
      void this.close();
    });
  }

  send(data: Uint8Array, to: PeerAddress): Promise<void> {
    if (this.closed) return Promise.reject(new TorrentError('connection_failed', 'udp socket is closed', { details: { transport: 'udp' } }));
    return new Promise((resolve, reject) => {
      try {
        this.socket.send(data, to.port, to.host, (err) => (err ? reject(mapUdpError(err, to, 'send')) : resolve()));
      } catch (err) {
        reject(mapUdpError(err, to, 'send'));
      }
    });
  }

  setSink(sink: DatagramSink): void {
    this.sink = sink;
    if (this.closed && this.closing !== undefined) void this.closing.then(() => this.notifyClose());
  }

  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    this.closed = true;
    this.closing = new Promise<void>((resolve) => {
      try {
        // node releases the handle one turn after the close callback; resolve after that, so a caller
        // that awaits close() sees no UDP handle left (process.getActiveResourcesInfo()).
        this.socket.close(() => setImmediate(() => setImmediate(resolve)));
      } catch {
        resolve(); // already closed by node
      }
    }).then(() => this.notifyClose());
    return this.closing;
  }

  private notifyClose(): void {
    if (this.closeNotified || this.sink === undefined) return;
    this.closeNotified = true;
    this.sink.close(this.failure);
  }
}

/** Creates the Node UDP {@link DatagramFactory} (udp4 / udp6 by the bind host). */
export function createUdpFactory(opts: UdpFactoryOptions = {}): DatagramFactory {
  return {
    bind({ host, port }) {
      const bindHost = host ?? '0.0.0.0';
      const type = bindHost.includes(':') ? 'udp6' : 'udp4';
      const socket = dgram.createSocket({
        type,
        ...(opts.bufferSize === undefined ? {} : { recvBufferSize: opts.bufferSize, sendBufferSize: opts.bufferSize }),
      });
      return new Promise<DatagramSocket>((resolve, reject) => {
        const onError = (err: Error): void => {
          socket.close();
          reject(mapUdpError(err, { host: bindHost, port: port ?? 0 }, 'bind'));
        };
        socket.once('error', onError);
        socket.bind({ address: bindHost, port: port ?? 0, exclusive: true }, () => {
          socket.off('error', onError);
          resolve(new NodeUdpSocket(socket));
        });
      });
    },
  };
}
