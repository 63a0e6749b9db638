/**
 * An in-process "network" of memory transports. Listeners register `host:port` on a {@link MemoryNetwork};
 * dials look the address up and get one side of a {@link memoryStreamPair}, the listener the other.
 *
 * Hosts default to IPv4-looking literals (10.77.x.y) so layers above (IP filter, peer lists) treat memory
 * peers like TCP ones. A dial to an address nobody listens on fails like a refused TCP connect; a dial to
 * a host marked with {@link MemoryNetwork.blackhole} never answers, so connect timeouts can be tested.
 */
import { TorrentError } from '../../src/errors.js';
import type { Listener, PeerAddress, PeerStream, Transport } from '../../src/interfaces/transport.js';
import { runSoon } from './scheduler.js';
import { MemoryPeerStream, newLink } from './stream.js';
import type { MemoryLinkOptions } from './stream.js';

interface Registration {
  readonly owner: MemoryTransport;
  readonly onStream: (s: PeerStream) => void;
}

const key = (host: string, port: number): string => `${host}|${port}`;

/** A shared address space for memory transports (one per test, usually). */
export class MemoryNetwork {
  /** Default link behaviour of every connection made on this network. */
  readonly link: MemoryLinkOptions;
  readonly #listeners = new Map<string, Registration>();
  readonly #blackholes = new Set<string>();
  #nextHost = 1;
  #nextPort = 40000;

  /** @param link default link behaviour (high-water mark, latency, bandwidth, faults) for every connection. */
  constructor(link: MemoryLinkOptions = {}) {
    this.link = link;
  }

  /** Makes dials to `host` hang (no answer) until they time out or are aborted. */
  blackhole(host: string): void {
    this.#blackholes.add(host);
  }

  /** @internal a fresh unique host literal */
  allocateHost(): string {
    const n = this.#nextHost++;
    return `10.77.${(n >> 8) & 255}.${n & 255}`;
  }

  /** @internal an unused ephemeral port */
  allocatePort(): number {
    if (this.#nextPort > 65535) this.#nextPort = 40000;
    return this.#nextPort++;
  }

  /** @internal */
  register(host: string, port: number, reg: Registration): boolean {
    const k = key(host, port);
    if (this.#listeners.has(k)) return false;
    this.#listeners.set(k, reg);
    return true;
  }

  /** @internal */
  unregister(host: string, port: number, reg: Registration): void {
    const k = key(host, port);
    if (this.#listeners.get(k) === reg) this.#listeners.delete(k);
  }

  /** @internal */
  lookup(addr: PeerAddress): Registration | 'blackhole' | undefined {
    if (this.#blackholes.has(addr.host)) return 'blackhole';
    return this.#listeners.get(key(addr.host, addr.port));
  }
}

/** Options for {@link createMemoryTransport}. */
export interface MemoryTransportOptions {
  /** This endpoint's host on the network. Default: a fresh 10.77.x.y literal. */
  host?: string;
  /** Port for `listen`. Default: a fresh ephemeral port per listener. */
  port?: number;
  /** Connect timeout (only reachable for blackholed hosts). Default 10 000 ms. */
  connectTimeoutMs?: number;
  /** Link behaviour overriding the network's defaults for connections this transport dials. */
  link?: MemoryLinkOptions;
}

/** A memory transport: always listens, and knows its own host on the network. */
export type MemoryTransportHandle = Transport & Required<Pick<Transport, 'listen'>> & { readonly host: string };

/** The default network used when {@link createMemoryTransport} is given none. */
export const defaultMemoryNetwork = new MemoryNetwork();

interface PendingDial {
  fail(err: TorrentError): void;
}

class MemoryTransport implements Transport {
  readonly name = 'memory';
  readonly host: string;
  readonly #net: MemoryNetwork;
  readonly #opts: MemoryTransportOptions;
  readonly #streams = new Set<MemoryPeerStream>();
  readonly #listeners = new Set<() => void>();
  readonly #dials = new Set<PendingDial>();
  readonly #forget = (s: MemoryPeerStream): void => {
    this.#streams.delete(s);
  };
  #closed = false;

  constructor(net: MemoryNetwork, opts: MemoryTransportOptions) {
    this.#net = net;
    this.#opts = opts;
    this.host = opts.host ?? net.allocateHost();
  }

  canDial(addr: PeerAddress): boolean {
    return (addr.transport === undefined || addr.transport === 'memory') && addr.host.length > 0 && Number.isInteger(addr.port) && addr.port > 0 && addr.port <= 65535;
  }

  dial(addr: PeerAddress, opts: { signal: AbortSignal }): Promise<PeerStream> {
    if (this.#closed) return Promise.reject(new TorrentError('connection_failed', 'transport closed', { details: { transport: 'memory' } }));
    if (opts.signal.aborted) return Promise.reject(abortError(addr, opts.signal));
    return new Promise<PeerStream>((resolve, reject) => {
      const timeoutMs = this.#opts.connectTimeoutMs ?? 10_000;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let done = false;
      const finish = (): boolean => {
        if (done) return false;
        done = true;
        if (timer !== undefined) clearTimeout(timer);
        opts.signal.removeEventListener('abort', onAbort);
        this.#dials.delete(pending);
        return true;
      };
      const pending: PendingDial = {
        fail: (err) => {
          if (finish()) reject(err);
        },
      };
      const onAbort = (): void => pending.fail(abortError(addr, opts.signal));
      opts.signal.addEventListener('abort', onAbort);
      this.#dials.add(pending);
      timer = setTimeout(() => {
        pending.fail(new TorrentError('timeout', `connect to ${addr.host}:${addr.port} timed out`, { details: { host: addr.host, port: addr.port, timeoutMs } }));
      }, timeoutMs);
      // Answer in a later task, as a network would.
      runSoon(() => {
        if (done) return;
        const found = this.#net.lookup(addr);
        if (found === 'blackhole') return;
        if (found === undefined || found.owner.#closed) {
          pending.fail(new TorrentError('connection_failed', `connection refused: ${addr.host}:${addr.port}`, { details: { host: addr.host, port: addr.port, transport: 'memory' } }));
          return;
        }
        if (!finish()) return;
        const local: PeerAddress = { host: this.host, port: this.#net.allocatePort(), transport: 'memory' };
        const link = newLink({ ...this.#net.link, ...this.#opts.link });
        const remote: PeerAddress = { host: addr.host, port: addr.port, transport: 'memory' };
        const { a, b } = MemoryPeerStream.createPair(link, remote, local, (s) => {
          this.#forget(s);
          found.owner.#forget(s);
        });
        this.#streams.add(a);
        found.owner.#streams.add(b);
        found.onStream(b);
        resolve(a);
      });
    });
  }

  listen(onStream: (s: PeerStream) => void): Promise<Listener> {
    if (this.#closed) return Promise.reject(new TorrentError('listen_failed', 'transport closed', { details: { transport: 'memory' } }));
    const port = this.#opts.port ?? this.#net.allocatePort();
    const reg: Registration = { owner: this, onStream };
    if (!this.#net.register(this.host, port, reg)) {
      return Promise.reject(new TorrentError('listen_failed', `address in use: ${this.host}:${port}`, { details: { host: this.host, port, transport: 'memory' } }));
    }
    const stop = (): void => {
      this.#net.unregister(this.host, port, reg);
      this.#listeners.delete(stop);
    };
    this.#listeners.add(stop);
    const address: PeerAddress = { host: this.host, port, transport: 'memory' };
    return Promise.resolve({
      address,
      close: async () => {
        stop();
      },
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const stop of [...this.#listeners]) stop();
    for (const d of [...this.#dials]) d.fail(new TorrentError('aborted', 'transport closed while dialing', { details: { transport: 'memory' } }));
    for (const s of [...this.#streams]) s.destroy();
    this.#streams.clear();
  }
}

function abortError(addr: PeerAddress, signal: AbortSignal): TorrentError {
  return new TorrentError('aborted', `dial to ${addr.host}:${addr.port} aborted`, { cause: signal.reason, details: { host: addr.host, port: addr.port } });
}

/**
 * An in-process {@link Transport} on `network` (default {@link defaultMemoryNetwork}). Runs in Node and
 * browsers; the test double for every layer above the transports.
 */
export function createMemoryTransport(network: MemoryNetwork = defaultMemoryNetwork, opts: MemoryTransportOptions = {}): MemoryTransportHandle {
  return new MemoryTransport(network, opts);
}
