// handle.connectPeer called the moment a torrent's check ends (state_changed → downloading, its swarm
// about to start) dials the peer; and a dial the remote refuses is not silent: it posts peer_disconnected,
// so the caller can try again (a long reconnect time keeps the swarm's own back-off retry out of the way).
import { describe, test, expect } from 'vitest';
import type { Alert, AlertOf } from '../../src/session/alerts.js';
import type { Session } from '../../src/session/session.js';
import type { TorrentHandle } from '../../src/session/torrent-handle.js';
import { createMemoryStorage } from '../../storage-adapters/memory/index.js';
import { bytes, fillStorage, makeTorrent, waitFor } from '../unit/session/helpers.js';
import { expectData, useSwarmHarness, waitFinished } from './helpers/swarm.js';

const harness = useSwarmHarness();

const SLOW_RETRY = { minReconnectTime: 60 };
const files = [{ path: 'early.bin', data: bytes(300_000, 11) }];

/**
 * Adds `ti` to `session` and calls `act` from the alert-notify callback (a microtask after the alert is
 * posted) when state_changed → downloading arrives. Resolves with what `act` returned; alerts seen go to `seen`.
 */
async function atDownloading<R>(session: Session, add: () => Promise<TorrentHandle>, act: (h: TorrentHandle) => R, seen: Alert[]): Promise<{ h: TorrentHandle; result: R }> {
  seen.push(...session.popAlerts()); // the notify fires when the queue goes from empty to non-empty
  let h: TorrentHandle | undefined;
  let out: { result: R } | undefined;
  const early: Alert[] = [];
  const onAlerts = (): void => {
    for (const a of session.popAlerts()) {
      seen.push(a);
      if (!h) early.push(a);
      else if (!out && a.type === 'state_changed' && a.state === 'downloading') out = { result: act(h) };
    }
  };
  session.setAlertNotify(onAlerts);
  h = await add();
  if (early.some((a) => a.type === 'state_changed' && a.state === 'downloading')) out = { result: act(h) };
  const deadline = Date.now() + 10_000;
  while (!out && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  session.setAlertNotify(undefined);
  onAlerts();
  if (!out) throw new Error('no state_changed → downloading');
  return { h, result: out.result };
}

describe('connectPeer right after checking (TCP loopback)', () => {
  test('connectPeer at state_changed → downloading dials the peer and the download completes', async () => {
    const ti = await makeTorrent(files, 'v1', 32768);
    const sw = harness.swarmlet('tcp');
    const { node: seed } = await sw.seed(ti, files, { settings: SLOW_RETRY });
    const leech = await sw.node({ settings: SLOW_RETRY });
    const seen: Alert[] = [];
    const { h, result } = await atDownloading(leech.session, () => leech.session.addTorrent({ ti, savePath: 'leech' }), (hh) => hh.connectPeer(seed.address()), seen);
    await result;
    await waitFinished(h, 10_000);
    seen.push(...leech.session.popAlerts());
    expect(seen.some((a) => a.type === 'peer_connect' && a.direction === 'out' && a.endpoint.port === seed.address().port)).toBe(true);
    await expectData(leech.storage, ti, files);
  });

  test('a remote that refuses the handshake (its torrent paused) posts peer_disconnected; connectPeer again once it runs', async () => {
    const ti = await makeTorrent(files, 'v1', 32768);
    const sw = harness.swarmlet('tcp');
    const storage = createMemoryStorage();
    await fillStorage(storage, ti, files);
    const seed = await sw.node({ storage, settings: SLOW_RETRY });
    // Paused: its session refuses handshakes for this torrent (as libtorrent does for a paused torrent).
    const sh = await seed.session.addTorrent({ ti, savePath: 'seed', flags: { paused: true, seedMode: true } });
    const leech = await sw.node({ settings: SLOW_RETRY });
    const seen: Alert[] = [];
    const port = seed.address().port;
    const { h, result } = await atDownloading(leech.session, () => leech.session.addTorrent({ ti, savePath: 'leech' }), (hh) => hh.connectPeer(seed.address()), seen);
    await result;
    const early = seen.find((a): a is AlertOf<'peer_disconnected'> => a.type === 'peer_disconnected' && a.endpoint.port === port);
    const refused = early ?? await waitFor(leech.session, 'peer_disconnected', (a) => a.endpoint.port === port, 10_000);
    expect(refused.error?.code).toBeTruthy();
    expect(h.status().numPeers).toBe(0);
    sh.resume();
    await h.connectPeer(seed.address()); // an explicit retry skips the back-off
    await waitFinished(h, 10_000);
    await waitFor(leech.session, 'peer_connect', (a) => a.endpoint.port === port && a.direction === 'out');
    await expectData(leech.storage, ti, files);
  });
});
