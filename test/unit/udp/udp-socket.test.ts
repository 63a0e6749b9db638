import { describe, expect, it } from 'vitest';
import { isTorrentError } from '../../../src/errors.js';
import type { DatagramSocket } from '../../../src/interfaces/datagram.js';
import type { PeerAddress } from '../../../src/interfaces/transport.js';
import { createUdpFactory } from '../../../transports/udp/index.js';

const udpHandles = (): number => process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap').length;

function inbox(sock: DatagramSocket): { got: { data: Uint8Array; from: PeerAddress }[]; closed: (Error | undefined)[]; next(): Promise<void> } {
  const got: { data: Uint8Array; from: PeerAddress }[] = [];
  const closed: (Error | undefined)[] = [];
  let wake: (() => void) | undefined;
  sock.setSink({
    message: (data, from) => {
      got.push({ data: data.slice(), from });
      wake?.();
    },
    close: (err) => closed.push(err),
  });
  return { got, closed, next: () => new Promise<void>((r) => (wake = r)) };
}

describe('transports/udp', () => {
  const factory = createUdpFactory();

  it('binds udp4 on an ephemeral port, exchanges datagrams and closes without leaving handles', async () => {
    const before = udpHandles();
    const a = await factory.bind({ host: '127.0.0.1' });
    const b = await factory.bind({ host: '127.0.0.1', port: 0 });
    expect(a.address.host).toBe('127.0.0.1');
    expect(a.address.port).toBeGreaterThan(0);
    const ib = inbox(b);
    const arrived = ib.next();
    await a.send(Uint8Array.from([1, 2, 3]), b.address);
    await arrived;
    expect(ib.got[0]).toEqual({ data: Uint8Array.from([1, 2, 3]), from: { host: '127.0.0.1', port: a.address.port } });
    const ia = inbox(a);
    await Promise.all([a.close(), b.close(), a.close()]);
    expect(ia.closed).toEqual([undefined]);
    expect(ib.closed).toEqual([undefined]);
    expect(udpHandles()).toBe(before);
  });

  it('rejects send after close and bad destinations with typed errors', async () => {
    const a = await factory.bind({ host: '127.0.0.1' });
    await expect(a.send(Uint8Array.of(1), { host: '127.0.0.1', port: 0 })).rejects.toSatisfy((e) => isTorrentError(e, 'connection_failed'));
    await expect(a.send(Uint8Array.of(1), { host: 'no-such-host.invalid', port: 9 })).rejects.toSatisfy((e) => isTorrentError(e, 'connection_failed'));
    await a.close();
    await expect(a.send(Uint8Array.of(1), { host: '127.0.0.1', port: 9 })).rejects.toSatisfy((e) => isTorrentError(e, 'connection_failed'));
  });

  it('reports a taken port as listen_failed', async () => {
    const a = await factory.bind({ host: '127.0.0.1' });
    try {
      await expect(factory.bind({ host: '127.0.0.1', port: a.address.port })).rejects.toSatisfy((e) => isTorrentError(e, 'listen_failed'));
    } finally {
      await a.close();
    }
  });

  it('binds udp6 for an IPv6 host', async (ctx) => {
    let a: DatagramSocket;
    try {
      a = await factory.bind({ host: '::1' });
    } catch {
      ctx.skip();
      return;
    }
    const b = await factory.bind({ host: '::1' });
    const ib = inbox(b);
    const arrived = ib.next();
    await a.send(Uint8Array.of(9), b.address);
    await arrived;
    expect(ib.got[0]?.from).toEqual({ host: '::1', port: a.address.port });
    await Promise.all([a.close(), b.close()]);
  });

  it('a sink set after close still hears close once', async () => {
    const a = await factory.bind({ host: '127.0.0.1' });
    await a.close();
    const ia = inbox(a);
    await new Promise((r) => setTimeout(r, 5));
    expect(ia.closed).toEqual([undefined]);
  });
});
