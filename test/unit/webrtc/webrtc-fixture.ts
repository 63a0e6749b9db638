/** Transport-suite fixture for WebRTC: two signalled transports joined by an in-process hub. */
import type { TransportFixture } from '../../suites/transport.suite.js';
import { createSignalledWebRtcTransport } from '../../../transports/webrtc/index.js';
import type { SignalledWebRtcOptions } from '../../../transports/webrtc/index.js';
import { SignallingHub } from './signalling-hub.js';

/** Options every test transport uses: no STUN (loopback only), short ICE gathering. */
export const testRtcOptions: SignalledWebRtcOptions = { rtcConfig: { iceServers: [] }, iceCompleteTimeoutMs: 2000 };

export function webrtcFixture(extra: SignalledWebRtcOptions = {}) {
  return async ({ connectTimeoutMs }: { connectTimeoutMs: number }): Promise<TransportFixture> => {
    const hub = new SignallingHub();
    const a = createSignalledWebRtcTransport(hub.signaller(), { ...testRtcOptions, ...extra, dialTimeoutMs: connectTimeoutMs });
    const b = createSignalledWebRtcTransport(hub.signaller(), { ...testRtcOptions, ...extra });
    return {
      a,
      b,
      addressOf: (l) => l.address,
      closedAddress: async () => hub.freeAddress('closed'),
      blackhole: async () => ({ address: hub.freeAddress('blackhole'), close: async () => {} }),
      cleanup: async () => {
        await a.close();
        await b.close();
      },
    };
  };
}
