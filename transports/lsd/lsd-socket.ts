/**
 * Node sockets for BEP 14 Local Service Discovery: a UDP socket bound to the LSD port with SO_REUSEADDR
 * (several clients on one host share the port; the kernel hands every multicast datagram to each of them),
 * joined to the group, with multicast loopback on so clients on the same host hear each other.
 *
 * Design notes
 * - IPv4 joins 239.192.152.143, IPv6 ff15::efc0:988f; both on port 6771 unless told otherwise.
 * - `interface` picks the interface for joining and sending (an IPv4 address, or `::%ifname` for IPv6);
 *   absent, the OS picks the default route's interface.
 * - `target` is a test hook: datagrams go to that unicast address instead of the group, through the same
 *   socket and code path (for sandboxes without multicast).
 * - TTL 1 by default: LSD is for the local network.
 */
import dgram from 'node:dgram';
import { TorrentError } from '../../src/errors.js';
import type { DatagramSink } from '../../src/interfaces/datagram.js';

/** Options for {@link openLsdSocket}. */
export interface LsdSocketOptions {
  /** 4 → udp4 and the IPv4 group, 6 → udp6 and the IPv6 group. */
  family: 4 | 6;
  /** Port to bind and send to [6771]. */
  port?: number;
  /** Multicast group [239.192.152.143 / ff15::efc0:988f]. */
  group?: string;
  /** Interface for membership and sending (see module notes). */
  interface?: string;
  /** Multicast TTL / hop limit [1]. */
  ttl?: number;
  /** Test hook: send to this unicast address instead of the group. */
  target?: { host: string; port: number };
}

/** A bound LSD socket. */
export interface LsdSocket {
  readonly family: 4 | 6;
  /** The bound port. */
  readonly port: number;
  /** Sends one datagram to the group (or the test target). */
  send(data: Uint8Array): Promise<void>;
  /** Receives datagrams (view valid during the call) and the close notification. */
  setSink(sink: DatagramSink): void;
  /** Leaves the group and closes; resolves once the handle is released. */
  close(): Promise<void>;
}

const GROUPS = { 4: '239.192.152.143', 6: 'ff15::efc0:988f' } as const;

function fail(code: 'listen_failed' | 'connection_failed', what: string, err: unknown): TorrentError {
  const errno = typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string'
    ? (err as { code: string }).code
    : undefined;
  return new TorrentError(code, `lsd ${what} failed: ${err instanceof Error ? err.message : String(err)}`, {
    cause: err,
    details: { transport: 'lsd', errno },
  });
}

/** Binds a socket on the LSD port and joins the group. Rejects with `listen_failed`. */
export function openLsdSocket(opts: LsdSocketOptions): Promise<LsdSocket> {
  const group = opts.group ?? GROUPS[opts.family];
  const port = opts.port ?? 6771;
  const socket = dgram.createSocket({ type: opts.family === 4 ? 'udp4' : 'udp6', reuseAddr: true });
  return new Promise<LsdSocket>((resolve, reject) => {
    const onError = (err: Error): void => {
      socket.close();
      reject(fail('listen_failed', 'bind', err));
    };
    socket.once('error', onError);
    socket.bind({ port, address: opts.family === 4 ? '0.0.0.0' : '::' }, () => {
      socket.off('error', onError);
      try {
        socket.addMembership(group, opts.interface);
        socket.setMulticastLoopback(true);
        socket.setMulticastTTL(opts.ttl ?? 1);
        if (opts.interface !== undefined) socket.setMulticastInterface(opts.interface);
      } catch (err) {
        socket.close();
        reject(fail('listen_failed', 'join', err));
        return;
      }
      resolve(new NodeLsdSocket(socket, opts.family, group, opts.target));
    });
  });
}

class NodeLsdSocket implements LsdSocket {
  readonly port: number;
  #sink: DatagramSink | undefined;
  #closing: Promise<void> | undefined;
  #failure: Error | undefined;

  constructor(
    private readonly socket: dgram.Socket,
    readonly family: 4 | 6,
    private readonly group: string,
    private readonly target: { host: string; port: number } | undefined,
  ) {
    this.port = socket.address().port;
    socket.on('message', (msg: Buffer, rinfo: dgram.RemoteInfo) => {
      if (this.#closing === undefined) this.#sink?.message(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), { host: rinfo.address, port: rinfo.port });
    });
    socket.on('error', (err: Error) => {
      this.#failure = fail('connection_failed', 'socket', err);
      void this.close();
    });
  }

  send(data: Uint8Array): Promise<void> {
    if (this.#closing !== undefined) return Promise.reject(new TorrentError('connection_failed', 'lsd socket is closed'));
    const to = this.target ?? { host: this.group, port: this.port };
    return new Promise((resolve, reject) => {
      try {
        this.socket.send(data, to.port, to.host, (err) => (err ? reject(fail('connection_failed', 'send', err)) : resolve()));
      } catch (err) {
        reject(fail('connection_failed', 'send', err));
      }
    });
  }

  setSink(sink: DatagramSink): void {
    this.#sink = sink;
  }

  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      try {
        this.socket.close(() => setImmediate(() => setImmediate(resolve)));
      } catch {
        resolve();
      }
    }).then(() => this.#sink?.close(this.#failure));
    return this.#closing;
  }
}
