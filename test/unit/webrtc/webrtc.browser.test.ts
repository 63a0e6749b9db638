/**
 * The WebRTC transport in Chromium: two peers in the same page over the browser's RTCPeerConnection,
 * with simple-peer's pre-built browser bundle. Runs the shared transport suite (with `remoteBackpressure: false`:
 * a data channel has no receive-side flow control, see webrtc-suite.test.ts) and a direct offer/answer round trip.
 */
import SimplePeer from 'simple-peer/simplepeer.min.js';
import { expect, it } from 'vitest';
import { WebRtcTransport } from '../../../transports/webrtc/index.js';
import type { SimplePeerConstructor } from '../../../transports/webrtc/index.js';
import { Probe, transportSuite, waitFor } from '../../suites/transport.suite.js';
import { blockReleaseSuite } from '../../suites/block-release.suite.js';
import { webrtcFixture } from './webrtc-fixture.js';

const Peer = SimplePeer as unknown as SimplePeerConstructor;

it('offer → answer → connected pair moving bytes both ways, then closed', async () => {
  const a = new WebRtcTransport({ SimplePeer: Peer, rtcConfig: { iceServers: [] } });
  const b = new WebRtcTransport({ SimplePeer: Peer, rtcConfig: { iceServers: [] } });
  const out = await a.createOffer({ key: 't' });
  expect(out.offer.type).toBe('offer');
  expect(out.offer.sdp).toMatch(/a=candidate/);
  const inc = await b.acceptOffer(out.offer, { key: 't' });
  const [sa, sb] = await Promise.all([out.connect(inc.answer), inc.stream]);
  expect(a.connectionsFor('t')).toBe(1);
  const pa = new Probe(true);
  const pb = new Probe(true);
  sa.setSink(pa);
  sb.setSink(pb);
  const big = crypto.getRandomValues(new Uint8Array(65_536));
  sa.write(big);
  sa.write(big); // 128 KiB in one go: split into 16 KiB messages
  sb.write(new Uint8Array([1, 2, 3]));
  expect(await waitFor(() => pb.received === 131_072 && pa.received === 3, 10_000)).toBe(true);
  expect(Array.from(pb.bytes().subarray(65_536, 65_546))).toEqual(Array.from(big.subarray(0, 10)));
  await sa.close();
  await pb.closed;
  expect(await waitFor(() => a.connections === 0 && b.connections === 0)).toBe(true);
  await a.close();
  await b.close();
});

it('refuses connections over the per-key cap', async () => {
  const a = new WebRtcTransport({ SimplePeer: Peer, rtcConfig: { iceServers: [] }, maxConnectionsPerKey: 2 });
  const o1 = await a.createOffer({ key: 'k' });
  const o2 = await a.createOffer({ key: 'k' });
  const err: unknown = await a.createOffer({ key: 'k' }).catch((e: unknown) => e);
  expect((err as { code?: string }).code).toBe('connection_failed');
  expect(a.connections).toBe(2);
  o1.cancel();
  o2.cancel();
  expect(await waitFor(() => a.connections === 0)).toBe(true);
  await a.close();
});

transportSuite('webrtc (chromium)', webrtcFixture({ SimplePeer: Peer }), {
  remoteBackpressure: false,
  largeBytes: 8 * 1024 * 1024,
  maxAcceptedWhilePaused: 0,
  maxBufferedAmount: 1024 * 1024 + 64 * 1024,
  connections: 8,
});

blockReleaseSuite('webrtc (chromium)', webrtcFixture({ SimplePeer: Peer }));
