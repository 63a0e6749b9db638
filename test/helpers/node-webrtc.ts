/**
 * The session `webrtc` option for Node tests and benches: WebRTC over @roamhq/wrtc with no ICE servers (host
 * candidates on loopback only). Every transport it makes is pushed to `into`, so a test can check that none is
 * left open at the end.
 */
import type { SessionWebRtcOptions } from '../../src/session/webrtc.js';
import { WebRtcTransport } from '../../transports/webrtc/index.js';

export function trackedWebRtc(into: WebRtcTransport[]): SessionWebRtcOptions {
  return {
    createConnector: (l) => {
      const t = new WebRtcTransport({ rtcConfig: { iceServers: [] }, maxConnections: l.maxConnections, maxConnectionsPerKey: l.maxConnectionsPerTorrent });
      into.push(t);
      return t;
    },
  };
}
