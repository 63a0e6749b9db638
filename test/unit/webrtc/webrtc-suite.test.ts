/**
 * The shared transport suite over real WebRTC data channels in Node (@roamhq/wrtc), signalled in process.
 *
 * One suite test does not apply and is skipped by name: "applies backpressure while the peer is paused".
 * A data channel has no receive-side flow control (the remote's SCTP stack hands every message to the
 * page), so pausing a WebRTC stream cannot hold the writer back; the stream parks what arrives, up to
 * `maxParkedBytes`, and then fails (tested in webrtc.test.ts).
 */
import { beforeEach } from 'vitest';
import { transportSuite } from '../../suites/transport.suite.js';
import { webrtcFixture } from './webrtc-fixture.js';

const NOT_APPLICABLE = ['applies backpressure while the peer is paused'];
beforeEach((ctx) => {
  if (NOT_APPLICABLE.some((n) => ctx.task.name.startsWith(n))) ctx.skip();
});

transportSuite('webrtc (node, @roamhq/wrtc)', webrtcFixture(), {
  largeBytes: 8 * 1024 * 1024,
  maxAcceptedWhilePaused: 0,
  maxBufferedAmount: 1024 * 1024 + 64 * 1024,
  connections: 8,
});
