/**
 * Lazy loading of simple-peer and of a WebRTC implementation, so importing the transport costs nothing
 * until a connection is made, and Node installs without @roamhq/wrtc (an optionalDependency) still load.
 *
 * - simple-peer: `import('simple-peer')` (its Node entry). Browser bundles that cannot polyfill Node's
 *   `process`/`events` should pass the pre-built `simple-peer/simplepeer.min.js` default export as the
 *   `SimplePeer` option instead.
 * - WebRTC: the global `RTCPeerConnection` where one exists (browsers, Deno); otherwise `@roamhq/wrtc`.
 */
import { TorrentError } from '../../src/errors.js';
import type { SimplePeerConstructor, WrtcImpl } from './peer-types.js';

let simplePeer: Promise<SimplePeerConstructor> | undefined;
let nodeWrtc: Promise<WrtcImpl> | undefined;

/** Imports simple-peer once. */
export function loadSimplePeer(): Promise<SimplePeerConstructor> {
  simplePeer ??= import('simple-peer').then((m: { default?: unknown }) => (m.default ?? m) as SimplePeerConstructor);
  return simplePeer;
}

interface WrtcGlobals {
  RTCPeerConnection?: unknown;
  RTCSessionDescription?: unknown;
  RTCIceCandidate?: unknown;
}

/**
 * The runtime's WebRTC: the globals when present, else `@roamhq/wrtc` (loaded once). Rejects with
 * `not_supported` when neither exists.
 */
export function loadWrtc(): Promise<WrtcImpl> {
  const g = globalThis as WrtcGlobals;
  if (g.RTCPeerConnection !== undefined && g.RTCSessionDescription !== undefined && g.RTCIceCandidate !== undefined) {
    return Promise.resolve({ RTCPeerConnection: g.RTCPeerConnection, RTCSessionDescription: g.RTCSessionDescription, RTCIceCandidate: g.RTCIceCandidate });
  }
  const name = '@roamhq/wrtc'; // a variable, so browser bundlers do not try to resolve it
  nodeWrtc ??= import(/* @vite-ignore */ name).then(
    (m: { default?: WrtcImpl } & WrtcImpl) => m.default ?? m,
    (cause: unknown) => {
      nodeWrtc = undefined;
      throw new TorrentError('not_supported', 'no WebRTC implementation: install the optional dependency @roamhq/wrtc', { cause });
    },
  );
  return nodeWrtc;
}
