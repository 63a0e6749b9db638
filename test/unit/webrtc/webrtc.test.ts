/**
 * WebRTC transport specifics in Node (@roamhq/wrtc): connection caps (total, per key), SDP checks, the
 * bounded receive buffer while paused, message splitting and packing, and no RTCPeerConnection left behind.
 */
import { describe, expect, it } from 'vitest';
import { isTorrentError } from '../../../src/errors.js';
import type { PeerStream } from '../../../src/interfaces/transport.js';
import { DEFAULT_MAX_MESSAGE_SIZE, WebRtcTransport } from '../../../transports/webrtc/index.js';
import type { WebRtcTransportOptions } from '../../../transports/webrtc/index.js';
import { Probe, waitFor } from '../../suites/transport.suite.js';

const base: WebRtcTransportOptions = { rtcConfig: { iceServers: [] }, iceCompleteTimeoutMs: 2000 };

async function pair(a: WebRtcTransport, b: WebRtcTransport): Promise<[PeerStream, PeerStream]> {
  const out = await a.createOffer({ key: 'x' });
  const inc = await b.acceptOffer(out.offer, { key: 'x' });
  return Promise.all([out.connect(inc.answer), inc.stream]);
}

describe('WebRtcTransport (node)', () => {
  it('caps RTCPeerConnections in total and per key, and frees them on cancel', async () => {
    const t = new WebRtcTransport({ ...base, maxConnections: 3, maxConnectionsPerKey: 2 });
    const o1 = await t.createOffer({ key: 'a' });
    const o2 = await t.createOffer({ key: 'a' });
    const e1: unknown = await t.createOffer({ key: 'a' }).catch((e: unknown) => e);
    expect(isTorrentError(e1, 'connection_failed')).toBe(true);
    const o3 = await t.createOffer({ key: 'b' });
    const e2: unknown = await t.createOffer({ key: 'c' }).catch((e: unknown) => e);
    expect(isTorrentError(e2, 'connection_failed')).toBe(true);
    expect([t.connections, t.connectionsFor('a'), t.hasCapacity('c')]).toEqual([3, 2, false]);
    for (const o of [o1, o2, o3]) o.cancel();
    expect(await waitFor(() => t.connections === 0)).toBe(true);
    await t.close();
    expect(isTorrentError(await t.createOffer().catch((e: unknown) => e), 'connection_failed')).toBe(true);
  });

  it('rejects oversized and malformed remote SDP without creating a peer', async () => {
    const t = new WebRtcTransport({ ...base, maxSdpBytes: 1000 });
    const big: unknown = await t.acceptOffer({ type: 'offer', sdp: 'v=0\r\n' + 'a'.repeat(2000) }).catch((e: unknown) => e);
    expect(isTorrentError(big, 'message_too_large')).toBe(true);
    const wrong: unknown = await t.acceptOffer({ type: 'answer', sdp: 'v=0' } as never).catch((e: unknown) => e);
    expect(isTorrentError(wrong, 'invalid_message')).toBe(true);
    const garbage: unknown = await t.acceptOffer({ type: 'offer', sdp: 'not an sdp' }).catch((e: unknown) => e);
    expect(isTorrentError(garbage)).toBe(true);
    expect(await waitFor(() => t.connections === 0)).toBe(true);
    await t.close();
  });

  it('parks data while paused up to maxParkedBytes, then fails the stream instead of growing', async () => {
    const a = new WebRtcTransport(base);
    const b = new WebRtcTransport({ ...base, maxParkedBytes: 256 * 1024 });
    const [sa, sb] = await pair(a, b);
    const pa = new Probe();
    const pb = new Probe();
    sa.setSink(pa);
    sb.pause();
    sb.setSink(pb);
    for (let i = 0; i < 24; i++) sa.write(new Uint8Array(16 * 1024));
    expect(await waitFor(() => pb.closeCount === 1, 5000)).toBe(true);
    expect(pb.received).toBe(0);
    expect(isTorrentError(pb.closeErr, 'connection_failed')).toBe(true);
    await pa.closed;
    expect(await waitFor(() => a.connections === 0 && b.connections === 0)).toBe(true);
    await a.close();
    await b.close();
  });

  it('splits large writes into 64 KiB messages and reassembles them in order', async () => {
    const a = new WebRtcTransport(base);
    const b = new WebRtcTransport(base);
    const [sa, sb] = await pair(a, b);
    const pb = new Probe(true);
    const sizes: number[] = [];
    pb.onData = (c) => sizes.push(c.byteLength);
    sb.setSink(pb);
    sa.setSink(new Probe());
    const data = crypto.getRandomValues(new Uint8Array(60_000));
    const big = new Uint8Array(600_000);
    for (let i = 0; i < 10; i++) big.set(data, i * 60_000);
    sa.write(big);
    expect(await waitFor(() => pb.received === big.length, 10_000)).toBe(true);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(DEFAULT_MAX_MESSAGE_SIZE);
    expect(sizes.length).toBeGreaterThanOrEqual(Math.ceil(big.length / DEFAULT_MAX_MESSAGE_SIZE));
    expect(Buffer.from(pb.bytes()).equals(Buffer.from(big))).toBe(true);
    await sa.close();
    expect(await waitFor(() => a.connections === 0 && b.connections === 0)).toBe(true);
    await a.close();
    await b.close();
  });
  it('packs the writes of one tick into one message: a piece header and its block arrive as one chunk', async () => {
    const a = new WebRtcTransport(base);
    const b = new WebRtcTransport(base);
    const [sa, sb] = await pair(a, b);
    const pb = new Probe(true);
    const sizes: number[] = [];
    pb.onData = (c) => sizes.push(c.byteLength);
    sb.setSink(pb);
    sa.setSink(new Probe());
    const header = Uint8Array.of(0, 0, 0x40, 9, 7, 0, 0, 0, 1, 0, 0, 0x40, 0);
    const block = crypto.getRandomValues(new Uint8Array(16 * 1024));
    sa.writev?.([header, block]);
    expect(await waitFor(() => pb.received === 13 + block.length, 10_000)).toBe(true);
    expect(sizes).toEqual([13 + block.length]);
    // Three more header + block pairs and a small message in one tick: one message while they fit in 64 KiB.
    sizes.length = 0;
    const small = Uint8Array.of(0, 0, 0, 1, 2);
    for (let i = 0; i < 3; i++) sa.writev?.([header, block]);
    sa.write(small);
    const want = 3 * (13 + block.length) + small.length;
    expect(await waitFor(() => pb.received === 13 + block.length + want, 10_000)).toBe(true);
    expect(sizes).toEqual([want]);
    const got = pb.bytes();
    expect(got.subarray(13 + block.length + 3 * (13 + block.length))).toEqual(small);
    expect(Buffer.from(got.subarray(13, 13 + block.length)).equals(Buffer.from(block))).toBe(true);
    await sa.close();
    expect(await waitFor(() => a.connections === 0 && b.connections === 0)).toBe(true);
    await a.close();
    await b.close();
  });
});
