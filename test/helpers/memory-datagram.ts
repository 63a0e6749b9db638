/**
 * In-memory DatagramSocket network: a test double for DHT unit tests (real UDP is used in e2e).
 * Delivery is asynchronous (a microtask), independent of any fake clock. `inject` sends a datagram
 * with an arbitrary (spoofable) source; `sent` records every datagram for assertions.
 */
import { TorrentError } from '../../src/errors.js';
import type { DatagramFactory, DatagramSink, DatagramSocket } from '../../src/interfaces/datagram.js';
import type { PeerAddress } from '../../src/interfaces/transport.js';

/** One recorded datagram. */
export interface SentDatagram {
  readonly from: PeerAddress;
  readonly to: PeerAddress;
  readonly data: Uint8Array;
}

class MemorySocket implements DatagramSocket {
  sink: DatagramSink | undefined;
  closed = false;
  constructor(
    readonly address: PeerAddress,
    private readonly net: MemoryDatagramNetwork,
  ) {}

  send(data: Uint8Array, to: PeerAddress): Promise<void> {
    if (this.closed) return Promise.reject(new TorrentError('connection_failed', 'socket closed'));
    this.net.deliver(data.slice(), this.address, to);
    return Promise.resolve();
  }

  setSink(sink: DatagramSink): void {
    this.sink = sink;
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.net.unbind(this);
      this.sink?.close();
    }
    return Promise.resolve();
  }
}

/** A set of in-memory sockets that can reach each other. */
export class MemoryDatagramNetwork implements DatagramFactory {
  private readonly sockets = new Map<string, MemorySocket>();
  private nextPort = 40000;
  /** Every datagram sent or injected. */
  readonly sent: SentDatagram[] = [];
  /** Drop datagrams for which this returns true (loss, partitions). */
  drop: ((d: SentDatagram) => boolean) | undefined;

  bind(opts: { host?: string; port?: number } = {}): Promise<DatagramSocket> {
    const host = opts.host ?? '127.0.0.1';
    const port = opts.port || this.nextPort++;
    const key = `${host}|${port}`;
    if (this.sockets.has(key)) return Promise.reject(new TorrentError('listen_failed', `address in use ${key}`));
    const s = new MemorySocket({ host, port }, this);
    this.sockets.set(key, s);
    return Promise.resolve(s);
  }

  /** Sends `data` to `to` as if it came from `from` (which need not be bound). */
  inject(data: Uint8Array, from: PeerAddress, to: PeerAddress): void {
    this.deliver(data, from, to);
  }

  /** @internal */
  deliver(data: Uint8Array, from: PeerAddress, to: PeerAddress): void {
    const d = { from, to, data };
    this.sent.push(d);
    if (this.drop?.(d)) return;
    queueMicrotask(() => {
      const s = this.sockets.get(`${to.host}|${to.port}`);
      if (s && !s.closed) s.sink?.message(data, { host: from.host, port: from.port });
    });
  }

  /** @internal */
  unbind(s: MemorySocket): void {
    this.sockets.delete(`${s.address.host}|${s.address.port}`);
  }
}
