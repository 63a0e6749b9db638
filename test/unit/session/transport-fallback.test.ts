// The session's choice of transport for a dial (src/session/connections.ts): transports are tried in order, a
// refused dial goes on to the next, a peer that accepts and hangs up before its handshake is redialled at once
// over the next transport, and enableOutgoing*/enableIncoming* govern TCP and uTP. Two memory networks stand in
// for TCP and uTP (the wrappers only rename memory transports), so each test decides which one answers.
import { afterEach, describe, expect, test } from 'vitest';
import { Session } from '../../../src/session/session.js';
import { alertCategory } from '../../../src/session/alert-category.js';
import type { SettingsPack } from '../../../src/session/settings.js';
import type { PeerAddress, PeerStream, Transport } from '../../../src/interfaces/transport.js';
import { MemoryNetwork, createMemoryTransport } from '../../../transports/memory/index.js';
import type { MemoryTransportHandle } from '../../../transports/memory/index.js';
import { createMemoryStorage } from '../../../storage-adapters/memory/index.js';
import { bytes, fillStorage, history, makeTorrent, waitFor } from './helpers.js';

/** `t` under another transport name (so the session's tcp/utp settings apply to it). */
function named(name: string, t: MemoryTransportHandle): Transport & { dials: number } {
  const strip = (a: PeerAddress): PeerAddress => ({ host: a.host, port: a.port });
  const out = {
    name,
    dials: 0,
    canDial: (a: PeerAddress) => (a.transport === undefined || a.transport === name) && t.canDial(strip(a)),
    dial: (a: PeerAddress, o: { signal: AbortSignal }) => {
      out.dials++;
      return t.dial(strip(a), o);
    },
    listen: (cb: (s: PeerStream) => void) => t.listen(cb),
    close: () => t.close(),
  };
  return out;
}

const HOST = '10.99.0.1';
const PORT = 6881;
const files = [{ path: 'f/a.bin', data: bytes(100_000, 7) }];
const sessions: Session[] = [];
const extra: Transport[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  await Promise.all(extra.splice(0).map((t) => t.close()));
});

function session(transports: Transport[], settings: Partial<SettingsPack> = {}): Session {
  const s = new Session({ storage: createMemoryStorage(), transports, settings: { alertMask: alertCategory.all, listenInterfaces: '0.0.0.0:0', ...settings } });
  sessions.push(s);
  return s;
}

/** A seed at HOST:PORT answering on the "utp" network only; `tcp` decides what the "tcp" network does there. */
async function setup(tcp: 'refuse' | 'hang-up' | 'serve') {
  const tcpNet = new MemoryNetwork();
  const utpNet = new MemoryNetwork();
  const ti = await makeTorrent(files, 'v1', 16384);
  const seedTransports: Transport[] = [named('utp', createMemoryTransport(utpNet, { host: HOST, port: PORT }))];
  if (tcp === 'serve') seedTransports.unshift(named('tcp', createMemoryTransport(tcpNet, { host: HOST, port: PORT })));
  if (tcp === 'hang-up') {
    // Accepts and closes at once, as libtorrent with incoming TCP off does.
    const t = createMemoryTransport(tcpNet, { host: HOST, port: PORT });
    extra.push(t);
    await t.listen((s) => s.destroy());
  }
  const storage = createMemoryStorage();
  await fillStorage(storage, ti, files);
  const seed = new Session({ storage, transports: seedTransports, settings: { alertMask: alertCategory.all, listenInterfaces: '0.0.0.0:0' } });
  sessions.push(seed);
  await seed.addTorrent({ ti });
  await waitFor(seed, 'torrent_checked');
  const lTcp = named('tcp', createMemoryTransport(tcpNet));
  const lUtp = named('utp', createMemoryTransport(utpNet));
  return { ti, lTcp, lUtp };
}

describe('transport fallback on dial', () => {
  test('a refused dial goes on to the next transport', async () => {
    const { ti, lTcp, lUtp } = await setup('refuse');
    const leech = session([lTcp, lUtp]);
    const h = await leech.addTorrent({ ti });
    await h.connectPeer({ host: HOST, port: PORT });
    await waitFor(leech, 'torrent_finished');
    expect(lTcp.dials).toBe(1);
    expect(lUtp.dials).toBe(1);
  });

  test('a peer that accepts and hangs up before its handshake is redialled at once over the next transport', async () => {
    const { ti, lTcp, lUtp } = await setup('hang-up');
    // minReconnectTime 60 s: only the immediate fallback can finish within the test's time.
    const leech = session([lTcp, lUtp], { minReconnectTime: 60 });
    const h = await leech.addTorrent({ ti });
    await h.connectPeer({ host: HOST, port: PORT });
    await waitFor(leech, 'torrent_finished');
    expect(lTcp.dials).toBe(1);
    expect(lUtp.dials).toBe(1);
  });

  test('TCP is preferred when it works', async () => {
    const { ti, lTcp, lUtp } = await setup('serve');
    const leech = session([lTcp, lUtp]);
    const h = await leech.addTorrent({ ti });
    await h.connectPeer({ host: HOST, port: PORT });
    await waitFor(leech, 'torrent_finished');
    expect(lTcp.dials).toBe(1);
    expect(lUtp.dials).toBe(0);
  });

  test('enableOutgoingUtp off: no uTP dial, the attempt fails', async () => {
    const { ti, lTcp, lUtp } = await setup('refuse');
    const leech = session([lTcp, lUtp], { enableOutgoingUtp: false });
    const h = await leech.addTorrent({ ti });
    await h.connectPeer({ host: HOST, port: PORT });
    await waitFor(leech, 'peer_disconnected');
    expect(lUtp.dials).toBe(0);
    expect(h.status().progress).toBe(0);
  });

  test('enableIncomingUtp off: the uTP transport does not listen', async () => {
    const net = new MemoryNetwork();
    const s = session([named('tcp', createMemoryTransport(net)), named('utp', createMemoryTransport(net))], { enableIncomingUtp: false });
    await s.ready();
    const listening = history(s).concat(s.popAlerts()).filter((a) => a.type === 'listen_succeeded').map((a) => ('socketType' in a ? a.socketType : ''));
    expect(listening).toEqual(['tcp']);
  });
});
