/**
 * The uTP Transport (BEP 29) over a shared UDP socket. Runtime-neutral: it needs a {@link UdpDemux} (the
 * session's shared socket, left open on close) or a bare {@link DatagramSocket} (wrapped in a demux of
 * its own, and closed with the transport). transports/utp/node.ts binds one for Node.
 *
 * Ownership: the transport tracks its listeners, streams and pending dials; `close()` aborts dials,
 * resets every connection (RESETs are handed to the OS before the socket closes) and unregisters from
 * the demux. A dial that fails leaves nothing behind: its connection is released with it.
 */
import { TorrentError } from '../../src/errors.js';
import type { DatagramSocket } from '../../src/interfaces/datagram.js';
import type { Listener, PeerAddress, PeerStream, Transport } from '../../src/interfaces/transport.js';
import { parseIPv4, parseIPv6Host } from '../../src/net/ip.js';
import { UdpDemux, isUtpPacket } from '../../src/net/udp-demux.js';
import type { UtpConnection } from './connection.js';
import { resolveUtpOptions } from './options.js';
import type { UtpOptions } from './options.js';
import { UtpSocketManager } from './socket-manager.js';
import type { UtpStats } from './socket-manager.js';
import { UtpStream } from './stream.js';

/** Options for {@link createUtpTransport}: exactly one of `demux` / `datagramSocket`, plus tunables. */
export interface UtpTransportOptions extends UtpOptions {
  /** The shared, demultiplexed UDP socket (not closed by the transport). */
  demux?: UdpDemux;
  /** A UDP socket for uTP alone (closed by the transport). */
  datagramSocket?: DatagramSocket;
  /** Registration name on the demux. Default `utp`. */
  demuxName?: string;
}

/** The uTP transport with its counters. */
export interface UtpTransport extends Transport {
  readonly name: 'utp';
  /** Protocol counters (malformed datagrams, refused SYNs, ...). */
  readonly stats: UtpStats;
  /** The bound UDP address. */
  readonly address: PeerAddress;
  /** Connections tracked (verified or half-open); for tests and status. */
  readonly connectionCount: number;
  listen(onStream: (s: PeerStream) => void): Promise<Listener>;
}

interface PendingDial {
  fail(err: TorrentError): void;
}

class UtpTransportImpl implements UtpTransport {
  readonly name = 'utp' as const;
  readonly #demux: UdpDemux;
  readonly #ownsSocket: boolean;
  readonly #unregister: () => void;
  readonly #mgr: UtpSocketManager;
  readonly #opts: Required<UtpOptions>;
  readonly #listeners: Array<{ onStream: (s: PeerStream) => void }> = [];
  readonly #streams = new Set<UtpStream>();
  readonly #dials = new Set<PendingDial>();
  #closing: Promise<void> | undefined;

  constructor(opts: UtpTransportOptions) {
    if ((opts.demux === undefined) === (opts.datagramSocket === undefined)) throw new TorrentError('invalid_argument', 'createUtpTransport needs exactly one of demux or datagramSocket');
    this.#opts = resolveUtpOptions(opts);
    this.#ownsSocket = opts.demux === undefined;
    this.#demux = opts.demux ?? new UdpDemux(opts.datagramSocket as DatagramSocket);
    this.#mgr = new UtpSocketManager({ send: (d, to) => this.#demux.send(d, to) }, this.#opts);
    this.#unregister = this.#demux.register(opts.demuxName ?? 'utp', (d) => isUtpPacket(d), {
      message: (d, from) => this.#mgr.onDatagram(d, from),
      close: () => void this.close(),
    });
  }

  get stats(): UtpStats {
    return this.#mgr.stats;
  }

  get address(): PeerAddress {
    return { host: this.#demux.address.host, port: this.#demux.address.port, transport: 'utp' };
  }

  get connectionCount(): number {
    return this.#mgr.size;
  }

  canDial(addr: PeerAddress): boolean {
    if (addr.transport !== undefined && addr.transport !== 'utp') return false;
    if (!Number.isInteger(addr.port) || addr.port <= 0 || addr.port > 65535) return false;
    return this.#demux.isIPv6 ? parseIPv6Host(addr.host) !== undefined : parseIPv4(addr.host) !== undefined;
  }

  dial(addr: PeerAddress, opts: { signal: AbortSignal }): Promise<PeerStream> {
    const details = { host: addr.host, port: addr.port, transport: 'utp' };
    if (this.#closing !== undefined) return Promise.reject(new TorrentError('connection_failed', 'transport closed', { details }));
    if (opts.signal.aborted) return Promise.reject(new TorrentError('aborted', `dial to ${addr.host}:${addr.port} aborted`, { cause: opts.signal.reason, details }));
    if (!this.canDial(addr)) return Promise.reject(new TorrentError('invalid_argument', `utp cannot dial ${addr.host}:${addr.port}`, { details }));
    if (!this.#mgr.canOpen()) return Promise.reject(new TorrentError('connection_failed', 'utp connection limit reached', { details }));
    const host = addr.host.startsWith('[') ? addr.host.slice(1, -1) : addr.host;
    return new Promise<PeerStream>((resolve, reject) => {
      const conn: UtpConnection = this.#mgr.dial({ host, port: addr.port });
      let settled = false;
      const pending: PendingDial = {
        fail: (err) => {
          if (settled) return;
          settled = true;
          opts.signal.removeEventListener('abort', onAbort);
          this.#dials.delete(pending);
          conn.events = undefined;
          conn.reset(undefined, true);
          reject(err);
        },
      };
      const onAbort = (): void => pending.fail(new TorrentError('aborted', `dial to ${addr.host}:${addr.port} aborted`, { cause: opts.signal.reason, details }));
      conn.events = {
        connected: () => {
          if (settled) return;
          settled = true;
          opts.signal.removeEventListener('abort', onAbort);
          this.#dials.delete(pending);
          resolve(this.#adopt(conn));
        },
        data: () => undefined,
        remoteEnd: () => undefined,
        sent: () => undefined,
        closed: (err) => pending.fail(err ?? new TorrentError('connection_failed', `utp connection to ${addr.host}:${addr.port} refused`, { details })),
      };
      opts.signal.addEventListener('abort', onAbort, { once: true });
      this.#dials.add(pending);
    });
  }

  #adopt(conn: UtpConnection): UtpStream {
    const s = new UtpStream(conn, this.#opts.sendHighWaterMark);
    this.#streams.add(s);
    const ev = conn.events;
    if (ev !== undefined) {
      const closed = ev.closed;
      ev.closed = (err) => {
        this.#streams.delete(s);
        closed(err);
      };
    }
    return s;
  }

  listen(onStream: (s: PeerStream) => void): Promise<Listener> {
    if (this.#closing !== undefined) return Promise.reject(new TorrentError('listen_failed', 'transport closed', { details: { transport: 'utp' } }));
    const entry = { onStream };
    this.#listeners.push(entry);
    this.#mgr.onAccept = (conn) => this.#accept(conn);
    const address = this.address;
    return Promise.resolve({
      address,
      close: () => {
        const i = this.#listeners.indexOf(entry);
        if (i >= 0) this.#listeners.splice(i, 1);
        if (this.#listeners.length === 0) this.#mgr.onAccept = undefined;
        return Promise.resolve();
      },
    });
  }

  #accept(conn: UtpConnection): void {
    const l = this.#listeners[this.#listeners.length - 1];
    if (l === undefined) {
      conn.reset(undefined, true);
      return;
    }
    l.onStream(this.#adopt(conn));
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const d of [...this.#dials]) d.fail(new TorrentError('aborted', 'utp transport closed while dialing', { details: { transport: 'utp' } }));
      this.#listeners.length = 0;
      await this.#mgr.close(() => new TorrentError('connection_failed', 'utp transport closed', { details: { transport: 'utp' } }));
      this.#streams.clear();
      this.#unregister();
      if (this.#ownsSocket) await this.#demux.close();
    })();
    return this.#closing;
  }
}

/** Creates a uTP transport over a demultiplexed shared UDP socket or a socket of its own. */
export function createUtpTransport(opts: UtpTransportOptions): UtpTransport {
  return new UtpTransportImpl(opts);
}
