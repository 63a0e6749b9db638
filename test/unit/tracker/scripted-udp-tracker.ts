/**
 * A scripted BEP 15 tracker on a real UDP socket (127.0.0.1 or ::1). By default it answers correctly;
 * `before` can rewrite, duplicate or swallow replies to play a hostile or lossy tracker.
 */
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';

/** One decoded request the tracker received. */
export interface SeenPacket {
  action: number;
  txid: number;
  data: Buffer;
  from: dgram.RemoteInfo;
}

/** Called before each reply: return replies to send instead (empty = stay silent). */
export type Script = (req: SeenPacket, reply: Buffer) => Buffer[];

export interface ScriptedUdpTracker {
  readonly port: number;
  readonly host: string;
  readonly seen: SeenPacket[];
  /** Peers returned by announce (raw compact bytes). */
  peers: Buffer;
  interval: number;
  script: Script | undefined;
  close(): Promise<void>;
}

export const CONN_ID = 0x0102030405060708n;

export async function startScriptedUdpTracker(host = '127.0.0.1'): Promise<ScriptedUdpTracker> {
  const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((r) => sock.bind(0, host, r));
  const state: ScriptedUdpTracker = {
    port: (sock.address() as AddressInfo).port,
    host,
    seen: [],
    peers: Buffer.from([1, 2, 3, 4, 0x1a, 0xe1]),
    interval: 1800,
    script: undefined,
    close: () => new Promise<void>((r) => sock.close(() => setTimeout(r, 5))),
  };
  sock.on('message', (data, from) => {
    if (data.length < 16) return;
    const action = data.readUInt32BE(8);
    const txid = data.readUInt32BE(12);
    const seen = { action, txid, data: Buffer.from(data), from };
    state.seen.push(seen);
    let reply: Buffer;
    if (action === 0 && data.readBigUInt64BE(0) === 0x41727101980n) {
      reply = Buffer.alloc(16);
      reply.writeUInt32BE(0, 0);
      reply.writeUInt32BE(txid, 4);
      reply.writeBigUInt64BE(CONN_ID, 8);
    } else if (data.readBigUInt64BE(0) !== CONN_ID) {
      reply = Buffer.concat([Buffer.from([0, 0, 0, 3]), u32(txid), Buffer.from('bad connection id')]);
    } else if (action === 1) {
      reply = Buffer.concat([u32(1), u32(txid), u32(state.interval), u32(7), u32(5), state.peers]);
    } else if (action === 2) {
      const n = (data.length - 16) / 20;
      const parts = [u32(2), u32(txid)];
      for (let i = 0; i < n; i++) parts.push(u32(10 + i), u32(20 + i), u32(30 + i));
      reply = Buffer.concat(parts);
    } else return;
    const out = state.script ? state.script(seen, reply) : [reply];
    for (const b of out) sock.send(b, from.port, from.address);
  });
  return state;
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}
