/**
 * Outstanding KRPC queries. Each query gets a random 4-byte transaction id; a response or error is
 * matched on (transaction id, source address), so a reply from anyone else is dropped. Every query
 * ends exactly once: response, KRPC error, timeout, send failure, or `close()`.
 */
import { TorrentError } from '../errors.js';
import type { PeerAddress } from '../interfaces/transport.js';
import type { BEncodable } from '../metainfo/bencode.js';
import { ipKey } from './addr.js';
import type { TimerSet } from './clock.js';
import { encodeQuery } from './krpc.js';
import type { KrpcErrorMessage, KrpcResponse } from './krpc.js';
import { randomBytes } from './node-id.js';

/** Sends a datagram; resolves false when it was not sent (traffic cap, socket error). */
export type SendFn = (data: Uint8Array, to: PeerAddress) => Promise<boolean>;

/** A response with the sizes of its query and of itself on the wire (amplification checks). */
export interface RpcReply extends KrpcResponse {
  readonly querySize: number;
  readonly replySize: number;
}

interface Pending {
  readonly key: string;
  readonly to: PeerAddress;
  readonly querySize: number;
  readonly resolve: (r: RpcReply) => void;
  readonly reject: (e: Error) => void;
  readonly cancel: () => void;
}

/** Options for {@link RpcManager}. */
export interface RpcOptions {
  /** Query timeout in ms (default 5000). */
  timeoutMs?: number;
  /** Most queries outstanding at once (default 512); beyond it `query` fails at once. */
  maxOutstanding?: number;
  /** Sets BEP 43's read-only flag on our queries. */
  readOnly?: boolean;
}

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const addrKey = (a: PeerAddress): string => `${ipKey(a.host)}|${a.port}`;

/** Tracks outstanding queries. */
export class RpcManager {
  private readonly pending = new Map<string, Pending>();
  private readonly timeoutMs: number;
  private readonly maxOutstanding: number;
  private closed = false;

  constructor(
    private readonly send: SendFn,
    private readonly timers: TimerSet,
    private readonly opts: RpcOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.maxOutstanding = opts.maxOutstanding ?? 512;
  }

  /** Number of queries in flight. */
  get outstanding(): number {
    return this.pending.size;
  }

  /**
   * Sends a query and resolves with the response. Rejects with `timeout`, with `connection_failed`
   * when it could not be sent, with `invalid_message` for a KRPC error reply, or `aborted` on close.
   */
  query(to: PeerAddress, method: string, args: Record<string, BEncodable>): Promise<RpcReply> {
    if (this.closed) return Promise.reject(new TorrentError('aborted', 'DHT closed'));
    if (this.pending.size >= this.maxOutstanding) {
      return Promise.reject(new TorrentError('connection_failed', 'too many outstanding DHT queries'));
    }
    let t = randomBytes(2);
    while (this.pending.has(hex(t))) t = randomBytes(2);
    const key = hex(t);
    return new Promise<RpcReply>((resolve, reject) => {
      const cancel = this.timers.after(this.timeoutMs, () => {
        if (this.pending.get(key)?.to !== to) return;
        this.pending.delete(key);
        reject(new TorrentError('timeout', `DHT ${method} to ${to.host}:${to.port} timed out`));
      });
      const data = encodeQuery(t, method, args, this.opts.readOnly ?? false);
      this.pending.set(key, { key, to, querySize: data.length, resolve, reject, cancel });
      this.send(data, to).then(
        (ok) => {
          if (!ok) this.fail(key, new TorrentError('connection_failed', 'DHT query not sent (traffic cap or socket error)'));
        },
        (err: unknown) => this.fail(key, new TorrentError('connection_failed', 'DHT query send failed', { cause: err })),
      );
    });
  }

  /**
   * Routes a response or error; false when it matches no outstanding query from that address.
   * `size` is the datagram's length.
   */
  handle(msg: KrpcResponse | KrpcErrorMessage, from: PeerAddress, size = 0): boolean {
    const key = hex(msg.t);
    const p = this.pending.get(key);
    if (!p || addrKey(p.to) !== addrKey(from)) return false;
    this.pending.delete(key);
    p.cancel();
    if (msg.y === 'r') p.resolve({ ...msg, querySize: p.querySize, replySize: size });
    else p.reject(new TorrentError('invalid_message', `DHT error ${msg.code}: ${msg.message}`, { details: { code: msg.code } }));
    return true;
  }

  /** Fails every outstanding query with `aborted`. */
  close(): void {
    this.closed = true;
    for (const p of this.pending.values()) {
      p.cancel();
      p.reject(new TorrentError('aborted', 'DHT closed'));
    }
    this.pending.clear();
  }

  private fail(key: string, err: Error): void {
    const p = this.pending.get(key);
    if (!p) return;
    this.pending.delete(key);
    p.cancel();
    p.reject(err);
  }
}
