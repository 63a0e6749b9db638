/**
 * One UDP socket shared by the DHT, uTP and the UDP tracker client.
 *
 * Each protocol registers a classifier; every datagram goes to the first registered classifier (in
 * registration order) that claims it. The formats are disjoint by their first bytes:
 * - UDP tracker replies (BEP 15) start with a 32-bit action 0..3 (so byte 0 is 0) followed by a
 *   transaction id the tracker client itself registered; the tracker client claims only those.
 * - uTP (BEP 29): byte 0 holds version 1 in the low nibble and the type 0..4 in the high nibble
 *   (0x01, 0x11, 0x21, 0x31, 0x41), and a header is at least 20 bytes.
 * - DHT (BEP 5): a bencoded dict, so byte 0 is 'd' (0x64) and the last byte is 'e'.
 * Unclaimed packets are dropped and counted in {@link UdpDemux.stats}. A classifier or sink that throws
 * is counted as an error and never takes the socket down.
 */
import type { DatagramSocket } from '../interfaces/datagram.js';
import type { PeerAddress } from '../interfaces/transport.js';

/** Decides whether a datagram belongs to a protocol; must be cheap and must not keep `data`. */
export type DatagramClassifier = (data: Uint8Array, from: PeerAddress) => boolean;

/** Receives the datagrams a classifier claimed (the view is valid until `message` returns). */
export interface DemuxSink {
  message(data: Uint8Array, from: PeerAddress): void;
  /** The shared socket closed or failed. */
  close?(err?: Error): void;
}

/** Counters kept by {@link UdpDemux}. */
export interface UdpDemuxStats {
  /** Datagrams no classifier claimed. */
  dropped: number;
  /** Classifiers or sinks that threw. */
  errors: number;
  /** Datagrams delivered, by registration name. */
  delivered: Record<string, number>;
}

/** True for a datagram that looks like a bencoded DHT message (starts with 'd', ends with 'e'). */
export function isDhtPacket(data: Uint8Array): boolean {
  return data.length >= 2 && data[0] === 0x64 && data[data.length - 1] === 0x65;
}

/** True for a datagram that looks like a uTP packet: version 1, type 0..4, at least 20 bytes. */
export function isUtpPacket(data: Uint8Array): boolean {
  if (data.length < 20) return false;
  const b = data[0] ?? 0;
  return (b & 0x0f) === 1 && b >> 4 <= 4;
}

interface Registration {
  readonly name: string;
  readonly classify: DatagramClassifier;
  readonly sink: DemuxSink;
}

/** Demultiplexes one {@link DatagramSocket} between protocols. Takes over the socket's sink. */
export class UdpDemux {
  private readonly regs: Registration[] = [];
  private closed = false;
  /** Counters (live object). */
  readonly stats: UdpDemuxStats = { dropped: 0, errors: 0, delivered: {} };

  constructor(readonly socket: DatagramSocket) {
    socket.setSink({
      message: (data, from) => this.dispatch(data, from),
      close: (err) => this.onClose(err),
    });
  }

  /** The bound address of the shared socket. */
  get address(): PeerAddress {
    return this.socket.address;
  }

  /** True when the shared socket is IPv6. */
  get isIPv6(): boolean {
    return this.socket.address.host.includes(':');
  }

  /**
   * Registers a protocol. Names are unique (`dht`, `utp`, `udp-tracker`, ...). Returns a function that
   * unregisters it. Throws when the name is taken.
   */
  register(name: string, classify: DatagramClassifier, sink: DemuxSink): () => void {
    if (this.regs.some((r) => r.name === name)) throw new Error(`udp demux: '${name}' is already registered`);
    const reg: Registration = { name, classify, sink };
    this.regs.push(reg);
    this.stats.delivered[name] = 0;
    return () => {
      const i = this.regs.indexOf(reg);
      if (i >= 0) this.regs.splice(i, 1);
    };
  }

  /** Sends one datagram on the shared socket. */
  send(data: Uint8Array, to: PeerAddress): Promise<void> {
    return this.socket.send(data, to);
  }

  /** Closes the shared socket (registered sinks get `close`). */
  close(): Promise<void> {
    return this.socket.close();
  }

  private dispatch(data: Uint8Array, from: PeerAddress): void {
    for (const reg of this.regs) {
      let claimed: boolean;
      try {
        claimed = reg.classify(data, from);
      } catch {
        this.stats.errors++;
        continue;
      }
      if (!claimed) continue;
      this.stats.delivered[reg.name] = (this.stats.delivered[reg.name] ?? 0) + 1;
      try {
        reg.sink.message(data, from);
      } catch {
        this.stats.errors++;
      }
      return;
    }
    this.stats.dropped++;
  }

  private onClose(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    for (const reg of [...this.regs]) {
      try {
        reg.sink.close?.(err);
      } catch {
        this.stats.errors++;
      }
    }
  }
}
