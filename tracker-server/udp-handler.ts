/**
 * UDP tracker (BEP 15). Connection ids are stateless: an HMAC of the source address and the current
 * two-minute epoch under a per-server secret, accepted for the current and the previous epoch. Short,
 * unknown or unauthenticated packets get no reply (so spoofed sources cannot be amplified); replies to
 * announces carry at most numwant (capped at `maxNumwant`) IPv4 peers.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { RemoteInfo, Socket } from 'node:dgram';
import type { SwarmStore } from './swarm.js';

const PROTOCOL_ID = 0x41727101980n;
const EPOCH_MS = 120_000;
const EVENTS = [undefined, 'completed', 'started', 'stopped'] as const;

/** UDP tracker limits. */
export interface UdpTrackerLimits {
  intervalSec: number;
  defaultNumwant: number;
  maxNumwant: number;
}

/** Creates the packet handler for one UDP socket. */
export function udpHandler(sock: Socket, store: SwarmStore, limits: UdpTrackerLimits): (msg: Buffer, rinfo: RemoteInfo) => void {
  const secret = randomBytes(32);
  const connId = (r: RemoteInfo, epoch: number): Buffer => createHmac('sha256', secret).update(`${r.address}|${r.port}|${epoch}`).digest().subarray(0, 8);
  const valid = (r: RemoteInfo, id: Buffer): boolean => {
    const e = Math.floor(Date.now() / EPOCH_MS);
    return id.equals(connId(r, e)) || id.equals(connId(r, e - 1));
  };
  const send = (b: Buffer, r: RemoteInfo): void => sock.send(b, r.port, r.address);
  const error = (tx: number, msg: string, r: RemoteInfo): void => {
    const b = Buffer.alloc(8 + Buffer.byteLength(msg));
    b.writeUInt32BE(3, 0);
    b.writeUInt32BE(tx, 4);
    b.write(msg, 8);
    send(b, r);
  };

  return (msg, r) => {
    if (msg.length < 16) return;
    const action = msg.readUInt32BE(8);
    const tx = msg.readUInt32BE(12);
    if (action === 0) {
      if (msg.readBigUInt64BE(0) !== PROTOCOL_ID) return;
      const b = Buffer.alloc(16);
      b.writeUInt32BE(0, 0);
      b.writeUInt32BE(tx, 4);
      connId(r, Math.floor(Date.now() / EPOCH_MS)).copy(b, 8);
      return send(b, r);
    }
    if (!valid(r, msg.subarray(0, 8))) return;
    if (action === 1) {
      if (msg.length < 98) return error(tx, 'announce packet too short', r);
      const ih = msg.subarray(16, 36).toString('latin1');
      const pid = msg.subarray(36, 56).toString('latin1');
      const left = Number(msg.readBigUInt64BE(64));
      const event = EVENTS[msg.readUInt32BE(80)];
      const nw = msg.readInt32BE(92);
      const port = msg.readUInt16BE(96);
      if (port === 0) return error(tx, 'invalid port', r);
      const ip = r.address.replace(/^::ffff:/, '');
      const swarm = store.announce(ih, { peerId: pid, ip, port, left }, event, Date.now());
      if (typeof swarm === 'string') return error(tx, swarm, r);
      // IPv4 peers only (BEP 15's 6-byte form); an IPv6 asker gets counts and no peers.
      const want = ip.includes(':') ? 0 : Math.min(nw < 0 ? limits.defaultNumwant : nw, limits.maxNumwant);
      const peers = (event === 'stopped' ? [] : swarm.pick(limits.maxNumwant * 2, pid, false))
        .filter((p) => /^\d+\.\d+\.\d+\.\d+$/.test(p.ip))
        .slice(0, want);
      const b = Buffer.alloc(20 + peers.length * 6);
      b.writeUInt32BE(1, 0);
      b.writeUInt32BE(tx, 4);
      b.writeUInt32BE(limits.intervalSec, 8);
      b.writeUInt32BE(swarm.incomplete, 12);
      b.writeUInt32BE(swarm.complete, 16);
      peers.forEach((p, i) => {
        p.ip.split('.').forEach((o, k) => b.writeUInt8(Number(o) & 255, 20 + i * 6 + k));
        b.writeUInt16BE(p.port, 24 + i * 6);
      });
      return send(b, r);
    }
    if (action === 2) {
      const n = Math.min(Math.floor((msg.length - 16) / 20), 74);
      const b = Buffer.alloc(8 + n * 12);
      b.writeUInt32BE(2, 0);
      b.writeUInt32BE(tx, 4);
      for (let i = 0; i < n; i++) {
        const s = store.get(msg.subarray(16 + i * 20, 36 + i * 20).toString('latin1'));
        b.writeUInt32BE(s?.complete ?? 0, 8 + i * 12);
        b.writeUInt32BE(s?.downloaded ?? 0, 12 + i * 12);
        b.writeUInt32BE(s?.incomplete ?? 0, 16 + i * 12);
      }
      return send(b, r);
    }
    error(tx, 'unknown action', r);
  };
}
