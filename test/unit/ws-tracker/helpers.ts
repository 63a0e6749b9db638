/** Shared helpers for the WebSocket tracker tests: two clients in one swarm with real WebRTC (Node). */
import WebSocket from 'ws';
import type { PeerStream } from '../../../src/interfaces/transport.js';
import { WebSocketPool } from '../../../src/tracker/websocket-pool.js';
import type { WebSocketConstructor } from '../../../src/tracker/websocket-pool.js';
import { WebSocketTrackerClient } from '../../../src/tracker/websocket.js';
import type { WebSocketTrackerOptions } from '../../../src/tracker/websocket.js';
import { WebRtcTransport } from '../../../transports/webrtc/index.js';
import { Probe, waitFor } from '../../suites/transport.suite.js';

export const WS = WebSocket as unknown as WebSocketConstructor;

export function randomId(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(20));
}

/** One side: a pool, a WebRTC transport, a tracker client, and the streams it got. */
export interface Side {
  pool: WebSocketPool;
  rtc: WebRtcTransport;
  client: WebSocketTrackerClient;
  streams: PeerStream[];
  warnings: Error[];
  close(): Promise<void>;
}

export function makeSide(url: string, infoHash: Uint8Array, extra: Partial<WebSocketTrackerOptions> = {}): Side {
  const pool = new WebSocketPool({ WebSocket: WS, reconnectMinMs: 100, reconnectMaxMs: 1000 });
  const rtc = new WebRtcTransport({ rtcConfig: { iceServers: [] }, iceCompleteTimeoutMs: 2000, closeLingerMs: 50 });
  const streams: PeerStream[] = [];
  const warnings: Error[] = [];
  const client = new WebSocketTrackerClient({
    url, infoHash, peerId: randomId(), pool, connector: rtc,
    onPeer: (s) => streams.push(s),
    onWarning: (e) => warnings.push(e),
    ...extra,
  });
  return {
    pool, rtc, client, streams, warnings,
    close: async () => {
      client.destroy();
      for (const s of streams) s.destroy();
      await rtc.close();
      pool.destroy();
    },
  };
}

/** Moves `n` bytes each way over a connected pair and checks them. */
export async function exchangeBytes(a: PeerStream, b: PeerStream, n: number): Promise<void> {
  const pa = new Probe(true);
  const pb = new Probe(true);
  a.setSink(pa);
  b.setSink(pb);
  const da = crypto.getRandomValues(new Uint8Array(n));
  const db = crypto.getRandomValues(new Uint8Array(n));
  a.write(da);
  b.write(db);
  if (!(await waitFor(() => pa.received === n && pb.received === n, 10_000))) throw new Error(`bytes did not arrive: ${pa.received} ${pb.received}`);
  if (!Buffer.from(pb.bytes()).equals(Buffer.from(da)) || !Buffer.from(pa.bytes()).equals(Buffer.from(db))) throw new Error('bytes differ');
}

/** Active handles the tests must not leave behind. */
export function handleCounts(): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) if (['TCPSocketWrap', 'TCPServerWrap', 'UDPWrap', 'Timeout'].includes(r)) m.set(r, (m.get(r) ?? 0) + 1);
  return m;
}

export async function expectNoLeaks(before: Map<string, number>): Promise<string[]> {
  const extra = (): string[] => {
    const now = handleCounts();
    return [...now].filter(([k, v]) => v > (before.get(k) ?? 0)).map(([k, v]) => `${k}: ${before.get(k) ?? 0} -> ${v}`);
  };
  await waitFor(() => extra().length === 0, 2000);
  return extra();
}
