/**
 * The small slice of simple-peer 9 (and of RTCDataChannel) this transport uses, typed here so the public
 * types do not pull in Node's stream typings. simple-peer is an EventEmitter-based Duplex; we use its
 * signalling (`signal` in, `'signal'` out), `send` (one data-channel message), the `'data'`, `'connect'`,
 * `'close'` and `'error'` events, and `_channel` for `bufferedAmount` and `bufferedamountlow`.
 */

/** A session description as simple-peer emits it with `trickle: false` (the complete SDP, no candidates). */
export interface SessionDescription {
  readonly type: 'offer' | 'answer';
  readonly sdp: string;
}

/** The RTCDataChannel members we read (browser, or @roamhq/wrtc which lacks `bufferedamountlow`). */
export interface DataChannelLike {
  readonly bufferedAmount: number;
  readonly readyState: string;
  bufferedAmountLowThreshold?: number;
  addEventListener?(type: 'bufferedamountlow', fn: () => void): void;
  removeEventListener?(type: 'bufferedamountlow', fn: () => void): void;
  close(): void;
}

/** One simple-peer instance. */
export interface SimplePeerLike {
  signal(data: SessionDescription): void;
  /** Sends one data-channel message; the bytes are copied before it returns (as RTCDataChannel.send does). */
  send(data: Uint8Array): void;
  destroy(err?: Error): void;
  readonly destroyed: boolean;
  readonly connected: boolean;
  on(event: 'signal', fn: (data: SessionDescription) => void): unknown;
  on(event: 'data', fn: (chunk: Uint8Array) => void): unknown;
  on(event: 'connect' | 'close', fn: () => void): unknown;
  on(event: 'error', fn: (err: Error) => void): unknown;
  removeAllListeners(event?: string): unknown;
  /** simple-peer's data channel (private in simple-peer 9, stable across its 9.x releases). */
  readonly _channel?: DataChannelLike | null;
  /** simple-peer's ICE-gathering timer (private; simple-peer 9 never clears it). */
  readonly _iceCompleteTimer?: ReturnType<typeof setTimeout> | null;
}

/** The WebRTC implementation handed to simple-peer's `wrtc` option (the browser's globals, or @roamhq/wrtc). */
export interface WrtcImpl {
  readonly RTCPeerConnection: unknown;
  readonly RTCSessionDescription: unknown;
  readonly RTCIceCandidate: unknown;
}

/** simple-peer's constructor options we set. */
export interface SimplePeerOptions {
  initiator: boolean;
  trickle: false;
  config?: RTCConfiguration;
  wrtc?: WrtcImpl;
  iceCompleteTimeout?: number;
  channelConfig?: RTCDataChannelInit;
}

/** simple-peer's default export. */
export type SimplePeerConstructor = new (opts: SimplePeerOptions) => SimplePeerLike;
