// The session without the IPFilter class (src/session/ip-filter-default.ts): the session imports only the
// filter's types, so in a build whose code never imports IPFilter, getIpFilter() returns an allow-all
// stand-in. This file imports the session and the default module, never ip-filter.ts statically (Vitest runs
// each file in its own module graph), so the first tests see the stand-in; the last one loads the class.
import { afterEach, describe, expect, test } from 'vitest';
import { Session } from '../../../src/session/session.js';
import { alertCategory } from '../../../src/session/alert-category.js';
import { emptyIPFilter } from '../../../src/session/ip-filter-default.js';
import { isTorrentError } from '../../../src/errors.js';
import type { ErrorCode } from '../../../src/errors.js';
import type { Transport } from '../../../src/interfaces/transport.js';
import { MemoryNetwork, createMemoryTransport } from '../../../transports/memory/index.js';
import { createMemoryStorage } from '../../../storage-adapters/memory/index.js';
import { bytes, fillStorage, history, makeTorrent, waitFor } from '../session/helpers.js';

function codeOf(f: () => unknown): ErrorCode | 'none' | 'other' {
  try {
    f();
  } catch (e) {
    return isTorrentError(e) ? e.code : 'other';
  }
  return 'none';
}

const sessions: Session[] = [];
function session(transports: Transport[], storage = createMemoryStorage()): Session {
  const s = new Session({ storage, transports, settings: { alertMask: alertCategory.all, listenInterfaces: '0.0.0.0:0' } });
  sessions.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
});

/** What the stand-in exported (compared with an empty IPFilter's export once the class is loaded). */
let standInExport: unknown;

const SEED = { host: '10.77.0.1', port: 6881 };
const LEECH = { host: '10.77.0.2', port: 6881 };
const files = [{ path: 'f/a.bin', data: bytes(60_000, 11) }];

/** A seed at SEED and a leech at LEECH on one memory network; the leech has added the torrent. */
async function pair() {
  const net = new MemoryNetwork();
  const ti = await makeTorrent(files, 'v1', 16384);
  const storage = createMemoryStorage();
  await fillStorage(storage, ti, files);
  const seed = session([createMemoryTransport(net, SEED)], storage);
  await seed.addTorrent({ ti });
  await waitFor(seed, 'torrent_checked');
  const leech = session([createMemoryTransport(net, LEECH)]);
  const h = await leech.addTorrent({ ti });
  return { seed, leech, h };
}

describe('the session without the IPFilter class', () => {
  test('getIpFilter() before setIpFilter is an empty allow-all filter that cannot be edited', () => {
    const f = session([]).getIpFilter();
    expect(f.isAllowed('10.1.2.3')).toBe(true);
    expect(f.access('::ffff:1.2.3.4')).toBe(0);
    expect(codeOf(() => f.access('10.1.2.300'))).toBe('ip_invalid_address');
    expect(codeOf(() => f.isAllowed('01.2.3.4'))).toBe('ip_invalid_address'); // strict, as IPFilter's parser
    expect(f.rangeCount()).toEqual({ v4: 1, v6: 1 });
    standInExport = f.exportFilter();
    f.clear();
    expect(codeOf(() => f.addRule('10.0.0.0', '10.0.0.255', 1))).toBe('ip_filter_unavailable');
    expect(codeOf(() => f.importP2P('x:1.2.3.4-1.2.3.5'))).toBe('ip_filter_unavailable');
    expect(f.clone().isAllowed('1.2.3.4')).toBe(true);
  });

  test('a session with no filter set accepts and makes connections; setting the stand-in changes nothing', async () => {
    const { seed, leech, h } = await pair();
    seed.setIpFilter(seed.getIpFilter());
    await h.connectPeer(SEED);
    await waitFor(leech, 'torrent_finished');
    expect([...history(leech), ...history(seed)].some((a) => a.type === 'peer_blocked')).toBe(false);
  });

  test('once IPFilter is loaded, getIpFilter() returns an IPFilter, and setIpFilter blocks', async () => {
    const { IPFilter } = await import('../../../src/session/ip-filter.js');
    const empty = emptyIPFilter();
    expect(empty).toBeInstanceOf(IPFilter);
    expect(standInExport).toEqual(empty.exportFilter());
    expect(empty.rangeCount()).toEqual({ v4: 1, v6: 1 });
    const { seed, leech, h } = await pair();
    expect(seed.getIpFilter()).toBeInstanceOf(IPFilter);
    const f = seed.getIpFilter();
    f.addRule(LEECH.host, LEECH.host, IPFilter.BLOCKED);
    seed.setIpFilter(f);
    await h.connectPeer(SEED);
    const blocked = await waitFor(seed, 'peer_blocked');
    expect(blocked.endpoint.ip).toBe(LEECH.host);
    expect(h.status().numPieces).toBe(0);
  });
});
