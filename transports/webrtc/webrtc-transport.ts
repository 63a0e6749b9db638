/**
 * WebRTC connections made from signalling supplied by the caller (the WebSocket tracker, or any
 * {@link Signaller}). Non-trickle SDP (`trickle: false`) as WebTorrent does: one complete offer, one
 * complete answer.
 *
 * - `createOffer()` makes an initiator peer and resolves its offer; feed the remote answer to
 *   `OutgoingOffer.connect(answer)`, which resolves the connected {@link PeerStream}.
 * - `acceptOffer(offer)` makes an answering peer and resolves its answer plus a promise of the stream.
 *
 * Invariants: every RTCPeerConnection this transport creates is counted from creation until simple-peer
 * reports `close`; creation is refused (`connection_failed`, details.reason = 'limit') once
 * `maxConnections` are open, or `maxConnectionsPerKey` for the caller's key (a torrent). Any failure,
 * timeout, cancel or abort destroys the peer, so nothing is left open; `close()` destroys all.
 */
import { TorrentError } from '../../src/errors.js';
import type { PeerAddress, PeerStream } from '../../src/interfaces/transport.js';
import { ChannelStream } from './channel-stream.js';
import type { ChannelStreamOptions } from './channel-stream.js';
import { loadSimplePeer, loadWrtc } from './load.js';
import type { SessionDescription, SimplePeerConstructor, SimplePeerLike, WrtcImpl } from './peer-types.js';

/** Options for {@link WebRtcTransport}. */
export interface WebRtcTransportOptions extends ChannelStreamOptions {
  /** WebRTC implementation. Default: the runtime's globals, else `@roamhq/wrtc` (loaded lazily). */
  wrtc?: WrtcImpl;
  /** simple-peer's constructor. Default: `import('simple-peer')`. */
  SimplePeer?: SimplePeerConstructor;
  /** RTCPeerConnection configuration (ICE servers). Default: simple-peer's (public STUN servers). */
  rtcConfig?: RTCConfiguration;
  /** Open RTCPeerConnections allowed in total. Default 55 (WebTorrent's maxConns). */
  maxConnections?: number;
  /** Open RTCPeerConnections allowed per key (torrent). Default 40. */
  maxConnectionsPerKey?: number;
  /** Time from the remote description to a connected channel. Default 25 000 ms. */
  connectTimeoutMs?: number;
  /** Longest SDP accepted from a remote. Default 16 KiB. */
  maxSdpBytes?: number;
  /** How long non-trickle ICE gathering may take before the SDP is sent as is. Default 5000 ms. */
  iceCompleteTimeoutMs?: number;
}

/** Per-connection options. */
export interface WebRtcConnectOptions {
  /** Counted against `maxConnectionsPerKey` (e.g. the info-hash). */
  key?: string;
  /** Aborts creation, signalling and connecting; destroys the peer. */
  signal?: AbortSignal;
  /** What the stream reports as `remote` (e.g. the remote peer id). */
  remote?: PeerAddress;
}

/** An offer waiting for its answer. */
export interface OutgoingOffer {
  /** The complete offer SDP to send. */
  readonly offer: SessionDescription;
  /** Applies the remote answer; resolves once the data channel is open. Rejects `connection_failed` / `timeout` / `aborted`. */
  connect(answer: SessionDescription, opts?: { signal?: AbortSignal; remote?: PeerAddress }): Promise<PeerStream>;
  /** Gives up (offer expired): destroys the peer. Idempotent; no effect once connected. */
  cancel(): void;
}

/** An answer to a remote offer. */
export interface IncomingAnswer {
  /** The complete answer SDP to send back. */
  readonly answer: SessionDescription;
  /** Resolves once the data channel is open. */
  readonly stream: Promise<PeerStream>;
}

/** Checks the shape and size of a remote session description. */
export function checkDescription(d: unknown, type: 'offer' | 'answer', maxSdpBytes: number): SessionDescription {
  if (typeof d !== 'object' || d === null) throw new TorrentError('invalid_message', `${type} is not an object`);
  const { type: t, sdp } = d as { type?: unknown; sdp?: unknown };
  if (t !== type || typeof sdp !== 'string') throw new TorrentError('invalid_message', `malformed ${type}`);
  if (sdp.length > maxSdpBytes) {
    throw new TorrentError('message_too_large', `${type} SDP over ${maxSdpBytes} bytes`, { details: { length: sdp.length, limit: maxSdpBytes } });
  }
  return { type, sdp };
}

const abortError = (): TorrentError => new TorrentError('aborted', 'WebRTC connection aborted');
const isAborted = (s: AbortSignal | undefined): boolean => s?.aborted === true;

/** Makes WebRTC peer connections and wraps them as PeerStreams. */
export class WebRtcTransport {
  readonly name = 'webrtc';
  readonly #opts: WebRtcTransportOptions;
  readonly #peers = new Set<SimplePeerLike>();
  readonly #perKey = new Map<string, number>();
  #closed = false;

  constructor(opts: WebRtcTransportOptions = {}) {
    this.#opts = opts;
  }

  /** RTCPeerConnections currently open (connecting or connected). */
  get connections(): number {
    return this.#peers.size;
  }

  /** RTCPeerConnections currently open for `key`. */
  connectionsFor(key: string): number {
    return this.#perKey.get(key) ?? 0;
  }

  /** True when one more connection (for `key`) would be allowed now. */
  hasCapacity(key?: string): boolean {
    if (this.#closed || this.#peers.size >= (this.#opts.maxConnections ?? 55)) return false;
    return key === undefined || this.connectionsFor(key) < (this.#opts.maxConnectionsPerKey ?? 40);
  }

  /** Creates an initiator peer and resolves its complete offer. */
  async createOffer(opts: WebRtcConnectOptions = {}): Promise<OutgoingOffer> {
    const peer = await this.#create(true, opts.key, opts.signal);
    let sdp: SessionDescription;
    try {
      sdp = await this.#nextSignal(peer, 'offer', opts.signal);
    } catch (err) {
      peer.destroy();
      throw err;
    }
    const connected = this.#whenConnected(peer, 'out', opts.remote);
    let started = false;
    return {
      offer: sdp,
      connect: (answer, c = {}) => {
        if (started) return Promise.reject(new TorrentError('invalid_argument', 'answer already applied'));
        started = true;
        try {
          peer.signal(checkDescription(answer, 'answer', this.#maxSdp()));
        } catch (err) {
          peer.destroy();
          return Promise.reject(err instanceof TorrentError ? err : new TorrentError('connection_failed', 'bad answer', { cause: err }));
        }
        return connected(c.signal ?? opts.signal, c.remote);
      },
      cancel: () => {
        if (!peer.connected) peer.destroy();
      },
    };
  }

  /** Creates an answering peer for a remote offer; resolves the answer and a promise of the stream. */
  async acceptOffer(offer: SessionDescription, opts: WebRtcConnectOptions = {}): Promise<IncomingAnswer> {
    const checked = checkDescription(offer, 'offer', this.#maxSdp());
    const peer = await this.#create(false, opts.key, opts.signal);
    const connected = this.#whenConnected(peer, 'in', opts.remote);
    let answer: SessionDescription;
    try {
      const pending = this.#nextSignal(peer, 'answer', opts.signal);
      peer.signal(checked);
      answer = await pending;
    } catch (err) {
      peer.destroy();
      throw err instanceof TorrentError ? err : new TorrentError('connection_failed', 'bad offer', { cause: err });
    }
    const stream = connected(opts.signal, undefined);
    stream.catch(() => {}); // the caller may never look at it; the peer is destroyed either way
    return { answer, stream };
  }

  /** Destroys every peer and stream this transport made. New connections are refused afterwards. */
  async close(): Promise<void> {
    this.#closed = true;
    const peers = [...this.#peers];
    await Promise.all(peers.map((p) => new Promise<void>((resolve) => {
      if (p.destroyed) return resolve();
      const t = setTimeout(resolve, 1000);
      p.on('close', () => {
        clearTimeout(t);
        resolve();
      });
      p.destroy();
    })));
  }

  #maxSdp(): number {
    return this.#opts.maxSdpBytes ?? 16 * 1024;
  }

  async #create(initiator: boolean, key: string | undefined, signal: AbortSignal | undefined): Promise<SimplePeerLike> {
    if (isAborted(signal)) throw abortError();
    if (this.#closed) throw new TorrentError('connection_failed', 'WebRTC transport closed');
    const [Peer, wrtc] = await Promise.all([this.#opts.SimplePeer ?? loadSimplePeer(), this.#opts.wrtc ?? loadWrtc()]);
    if (isAborted(signal)) throw abortError();
    if (!this.hasCapacity(key)) {
      throw new TorrentError('connection_failed', 'too many WebRTC connections', {
        details: { reason: 'limit', open: this.#peers.size, key },
      });
    }
    const peer = new Peer({
      initiator,
      trickle: false,
      wrtc,
      ...(this.#opts.rtcConfig !== undefined ? { config: this.#opts.rtcConfig } : {}),
      iceCompleteTimeout: this.#opts.iceCompleteTimeoutMs ?? 5000,
    });
    this.#peers.add(peer);
    if (key !== undefined) this.#perKey.set(key, this.connectionsFor(key) + 1);
    peer.on('error', () => {}); // errors are reported through the promises and the stream
    // simple-peer 9 never clears its non-trickle ICE timer; once the SDP is out it is useless.
    const clearIceTimer = (): void => clearTimeout(peer._iceCompleteTimer ?? undefined);
    peer.on('signal', clearIceTimer);
    peer.on('close', () => {
      clearIceTimer();
      if (!this.#peers.delete(peer) || key === undefined) return;
      const n = this.connectionsFor(key) - 1;
      if (n > 0) this.#perKey.set(key, n);
      else this.#perKey.delete(key);
    });
    return peer;
  }

  /** Resolves the peer's first `signal` (the complete SDP, since trickle is off). */
  #nextSignal(peer: SimplePeerLike, type: 'offer' | 'answer', signal: AbortSignal | undefined): Promise<SessionDescription> {
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        reject(abortError());
        peer.destroy();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      peer.on('signal', (d) => {
        signal?.removeEventListener('abort', onAbort);
        if (d.type === type) resolve({ type, sdp: d.sdp });
      });
      peer.on('close', () => {
        signal?.removeEventListener('abort', onAbort);
        reject(new TorrentError('connection_failed', `WebRTC peer closed before its ${type}`));
      });
    });
  }

  /** Returns a function that waits (with timeout and abort) for the data channel, then wraps it. */
  #whenConnected(peer: SimplePeerLike, direction: 'in' | 'out', fallbackRemote: PeerAddress | undefined) {
    let lastError: Error | undefined;
    let isOpen = false;
    let isClosed = false;
    const waiters: Array<() => void> = [];
    peer.on('error', (err) => (lastError = err));
    peer.on('connect', () => {
      isOpen = true;
      for (const w of waiters.splice(0)) w();
    });
    peer.on('close', () => {
      isClosed = true;
      for (const w of waiters.splice(0)) w();
    });
    return (signal: AbortSignal | undefined, remote: PeerAddress | undefined): Promise<PeerStream> =>
      new Promise<PeerStream>((resolve, reject) => {
        const addr = remote ?? fallbackRemote ?? { host: 'webrtc', port: 0, transport: 'webrtc' };
        const finish = (): void => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          if (isOpen && !peer.destroyed) {
            resolve(new ChannelStream(peer, addr, direction, this.#opts));
          } else {
            reject(new TorrentError('connection_failed', `WebRTC connection failed${lastError ? `: ${lastError.message}` : ''}`, { cause: lastError }));
          }
        };
        const onAbort = (): void => {
          clearTimeout(timer);
          reject(abortError());
          peer.destroy();
        };
        const timer = setTimeout(() => {
          signal?.removeEventListener('abort', onAbort);
          reject(new TorrentError('timeout', 'WebRTC connection timed out'));
          peer.destroy();
        }, this.#opts.connectTimeoutMs ?? 25_000);
        if (signal?.aborted === true) return onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        if (isOpen || isClosed) finish();
        else waiters.push(finish);
      });
  }
}
