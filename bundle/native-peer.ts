/**
 * A simple-peer-compatible data-channel peer over the browser's own RTCPeerConnection, for the browser
 * bundle. Why not simple-peer: its Node entry needs Node's `events`/`process`/`buffer`/`stream`, and its
 * pre-built `simplepeer.min.js` carries browserify copies of them (Buffer, EventEmitter, readable-stream,
 * debug): 97 KB minified / 28 KB gzipped, more than half of what the whole library costs. The WebRTC
 * transport uses only a small slice of simple-peer (transports/webrtc/peer-types.ts), which the browser
 * provides natively; this file implements exactly that slice.
 *
 * Wire compatibility with simple-peer / WebTorrent: one negotiated-in-band data channel created by the
 * initiator (random 40-hex label, `channelConfig`), binary messages, non-trickle SDP (the complete SDP
 * once ICE gathering is complete or `iceCompleteTimeout` passes, as simple-peer's `trickle: false`).
 *
 * Event contract (as simple-peer's): `signal` once per local description; `connect` when the channel
 * opens; `data` per message (queued until a `data` listener exists, as a paused stream would);
 * `error` (if any) then `close`, once, asynchronously after `destroy`.
 */
import { TorrentError } from '../src/errors.js';
import type { DataChannelLike, SessionDescription, SimplePeerLike, WrtcImpl } from '../transports/webrtc/index.js';

/** The options the WebRTC transport passes (simple-peer's names). */
export interface NativePeerOptions {
  initiator: boolean;
  trickle: false;
  config?: RTCConfiguration;
  wrtc?: WrtcImpl;
  iceCompleteTimeout?: number;
  channelConfig?: RTCDataChannelInit;
}

type Listener = (arg?: never) => void;

/** simple-peer's `bufferedAmountLowThreshold` (its MAX_BUFFERED_AMOUNT). */
const LOW_WATER = 64 * 1024;

/**
 * One WebRTC data-channel peer with simple-peer 9's API slice. Pass the class as the WebRTC transport's
 * `SimplePeer` option (the bundle also makes it the default).
 */
export class NativePeer implements SimplePeerLike {
  destroyed = false;
  connected = false;
  /** The data channel (named as simple-peer's private field, which the transport reads). */
  _channel: (RTCDataChannel & DataChannelLike) | null = null;
  /** The non-trickle ICE-gathering timer (named as simple-peer's). */
  _iceCompleteTimer: ReturnType<typeof setTimeout> | null = null;
  readonly #pc: RTCPeerConnection;
  readonly #iceTimeout: number;
  readonly #listeners = new Map<string, Array<Listener>>();
  readonly #pendingData: Uint8Array[] = [];

  constructor(opts: NativePeerOptions) {
    const Pc = (opts.wrtc?.RTCPeerConnection ?? (globalThis as { RTCPeerConnection?: unknown }).RTCPeerConnection) as
      typeof RTCPeerConnection | undefined;
    if (Pc === undefined) throw new TorrentError('not_supported', 'this runtime has no RTCPeerConnection');
    this.#iceTimeout = opts.iceCompleteTimeout ?? 5000;
    this.#pc = new Pc(opts.config ?? { iceServers: [{ urls: 'stun:stun.l.google.com:19302' }] });
    this.#pc.addEventListener('connectionstatechange', () => {
      if (this.#pc.connectionState === 'failed') this.destroy(new Error('connection failed'));
    });
    if (opts.initiator) {
      const label = Array.from(crypto.getRandomValues(new Uint8Array(20)), (b) => b.toString(16).padStart(2, '0')).join('');
      this.#setChannel(this.#pc.createDataChannel(label, opts.channelConfig ?? {}));
      this.#describe(() => this.#pc.createOffer());
    } else {
      this.#pc.addEventListener('datachannel', (e) => this.#setChannel(e.channel));
    }
  }

  /** Applies a remote offer (answerer) or answer (initiator). */
  signal(data: SessionDescription): void {
    if (this.destroyed) return;
    this.#pc.setRemoteDescription(data).then(
      () => { if (data.type === 'offer') this.#describe(() => this.#pc.createAnswer()); },
      (err: unknown) => this.destroy(asError(err)),
    );
  }

  /** Sends one data-channel message. */
  send(data: Uint8Array): void {
    if (this._channel === null || this._channel.readyState !== 'open') throw new TorrentError('connection_failed', 'data channel not open');
    this._channel.send(data as Uint8Array<ArrayBuffer>);
  }

  /** Closes the channel and the connection; emits `error` (if given) then `close`, asynchronously. */
  destroy(err?: Error): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.connected = false;
    if (this._iceCompleteTimer !== null) clearTimeout(this._iceCompleteTimer);
    this._iceCompleteTimer = null;
    const ch = this._channel;
    if (ch !== null) {
      ch.onopen = ch.onmessage = ch.onclose = ch.onerror = null;
      try { ch.close(); } catch { /* already closed */ }
    }
    try { this.#pc.close(); } catch { /* already closed */ }
    queueMicrotask(() => {
      if (err !== undefined) this.#emit('error', err);
      this.#emit('close');
      this.#listeners.clear();
    });
  }

  on(event: 'signal', fn: (data: SessionDescription) => void): this;
  on(event: 'data', fn: (chunk: Uint8Array) => void): this;
  on(event: 'connect' | 'close', fn: () => void): this;
  on(event: 'error', fn: (err: Error) => void): this;
  /** Adds a listener. */
  on(event: string, fn: (arg: never) => void): this {
    const list = this.#listeners.get(event) ?? [];
    list.push(fn as Listener);
    this.#listeners.set(event, list);
    if (event === 'data') for (const chunk of this.#pendingData.splice(0)) this.#emit('data', chunk);
    return this;
  }

  /** Removes every listener (of one event, or all). */
  removeAllListeners(event?: string): this {
    if (event === undefined) this.#listeners.clear();
    else this.#listeners.delete(event);
    return this;
  }

  #emit(event: string, arg?: unknown): void {
    for (const fn of [...(this.#listeners.get(event) ?? [])]) (fn as (a: unknown) => void)(arg);
  }

  #setChannel(ch: RTCDataChannel): void {
    const channel = ch as RTCDataChannel & DataChannelLike;
    this._channel = channel;
    channel.binaryType = 'arraybuffer';
    channel.bufferedAmountLowThreshold = LOW_WATER;
    channel.onopen = () => {
      if (this.destroyed) return;
      this.connected = true;
      this.#emit('connect');
    };
    channel.onmessage = (e: MessageEvent<unknown>) => {
      const d = e.data;
      const chunk = d instanceof ArrayBuffer ? new Uint8Array(d) : typeof d === 'string' ? new TextEncoder().encode(d) : undefined;
      if (chunk === undefined) return;
      if ((this.#listeners.get('data')?.length ?? 0) === 0) this.#pendingData.push(chunk);
      else this.#emit('data', chunk);
    };
    channel.onclose = () => this.destroy();
    channel.onerror = (e) => this.destroy(new Error(`data channel error: ${(e as RTCErrorEvent).error?.message ?? 'unknown'}`));
  }

  /** Creates and sets a local description, then signals it once ICE gathering completes (or times out). */
  #describe(create: () => Promise<RTCSessionDescriptionInit>): void {
    const pc = this.#pc;
    const sendSdp = (): void => {
      if (this._iceCompleteTimer === null || this.destroyed) return;
      clearTimeout(this._iceCompleteTimer);
      this._iceCompleteTimer = null;
      pc.removeEventListener('icegatheringstatechange', onState);
      const d = pc.localDescription;
      if (d !== null && (d.type === 'offer' || d.type === 'answer')) this.#emit('signal', { type: d.type, sdp: d.sdp });
    };
    const onState = (): void => { if (pc.iceGatheringState === 'complete') sendSdp(); };
    create()
      .then((desc) => pc.setLocalDescription(desc))
      .then(() => {
        if (this.destroyed) return;
        this._iceCompleteTimer = setTimeout(sendSdp, this.#iceTimeout);
        pc.addEventListener('icegatheringstatechange', onState);
        onState();
      })
      .catch((err: unknown) => this.destroy(asError(err)));
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
