/**
 * The shared transport suite over real WebRTC data channels in Node (@roamhq/wrtc), signalled in process.
 *
 * `remoteBackpressure: false`: a data channel has no receive-side flow control (the remote's SCTP stack hands every message to the
 * page), so pausing a WebRTC stream cannot hold the writer back; the stream parks what arrives, up to
 * `maxParkedBytes`, and then fails (tested in webrtc.test.ts).
 */
import { blockReleaseSuite } from '../../suites/block-release.suite.js';
import { transportSuite } from '../../suites/transport.suite.js';
import { webrtcFixture } from './webrtc-fixture.js';

transportSuite('webrtc (node, @roamhq/wrtc)', webrtcFixture(), {
  remoteBackpressure: false,
  largeBytes: 8 * 1024 * 1024,
  maxAcceptedWhilePaused: 0,
  maxBufferedAmount: 1024 * 1024 + 64 * 1024,
  connections: 8,
});
blockReleaseSuite('webrtc (node, @roamhq/wrtc)', webrtcFixture());
