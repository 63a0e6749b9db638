import { describe, test, expect, afterEach } from 'vitest';
import { Session } from '../../../src/session/session.js';
import { alertCategory } from '../../../src/session/alert-category.js';
import { IPFilter } from '../../../src/session/ip-filter.js';
import { parseMagnetUri } from '../../../src/session/magnet-uri.js';
import { isTorrentError } from '../../../src/errors.js';
import type { ErrorCode } from '../../../src/errors.js';
import { createMemoryStorage } from '../../../storage-adapters/memory/index.js';
import { bytes, fillStorage, makeTorrent, waitFor, history } from './helpers.js';

async function codeOf(f: () => unknown): Promise<ErrorCode | 'none' | 'other'> {
  try {
    await f();
  } catch (e) {
    return isTorrentError(e) ? e.code : 'other';
  }
  return 'none';
}

const sessions: Session[] = [];
function session(opts: ConstructorParameters<typeof Session>[0] = {}): Session {
  const s = new Session({ storage: createMemoryStorage(), settings: { alertMask: alertCategory.all }, ...opts });
  sessions.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
});

const files = [{ path: 'multi/a.bin', data: bytes(70_000, 3) }, { path: 'multi/b.bin', data: bytes(40_000, 4) }, { path: 'multi/c.bin', data: bytes(9_000, 5) }];

describe('Session and TorrentHandle', () => {
  test('add → handle; duplicates rejected; find and list; remove invalidates the handle', async () => {
    const ti = await makeTorrent(files, 'hybrid', 16384);
    const s = session();
    const h = await s.addTorrent({ ti, savePath: 'x' });
    expect(h.id).toBe(ti.id);
    expect(h.isValid()).toBe(true);
    expect(h.torrentFile()).toBe(ti);
    expect(await codeOf(() => s.addTorrent({ ti }))).toBe('duplicate_torrent');
    const dupAlert = history(s).length; // alerts popped later include the failed add_torrent
    expect(dupAlert).toBe(0);
    expect(s.findTorrent(ti.id)?.equals(h)).toBe(true);
    expect(s.findTorrent(ti.infoHashes)?.equals(h)).toBe(true);
    expect(s.findTorrent('00'.repeat(20))).toBeUndefined();
    expect(s.getTorrents().map((x) => x.id)).toEqual([ti.id]);
    await waitFor(s, 'torrent_checked');
    await s.removeTorrent(h);
    expect(h.isValid()).toBe(false);
    expect(await codeOf(() => h.status())).toBe('invalid_handle');
    expect(await codeOf(() => h.pause())).toBe('invalid_handle');
    expect(await codeOf(() => s.removeTorrent(h))).toBe('invalid_handle');
    await waitFor(s, 'torrent_removed');
    const adds = history(s).filter((a) => a.type === 'add_torrent');
    expect(adds).toHaveLength(2);
    expect(adds[1]!.type === 'add_torrent' && adds[1]!.error?.code).toBe('duplicate_torrent');
    // Re-adding gives a new handle; the old one stays invalid.
    const h2 = await s.addTorrent({ ti });
    expect(h2.isValid()).toBe(true);
    expect(h.isValid()).toBe(false);
    expect(h2.equals(h)).toBe(false);
  });

  test('priorities: validation, derivation from files, state follows wanted pieces', async () => {
    const ti = await makeTorrent(files, 'v1', 16384);
    const storage = createMemoryStorage();
    // Only a.bin's bytes are present: pieces 0..3 hold only a.bin (70000 B = 4.27 pieces).
    const partial = [files[0]!, { ...files[1]!, data: new Uint8Array(40_000) }, { ...files[2]!, data: new Uint8Array(9_000) }];
    await fillStorage(storage, ti, partial);
    const s = session({ storage });
    const h = await s.addTorrent({ ti, filePriorities: [4, 0, 0] });
    await waitFor(s, 'torrent_checked');
    expect(h.filePriorities()).toEqual([4, 0, 0]);
    expect(h.piecePriorities().slice(0, 5)).toEqual([4, 4, 4, 4, 4]);
    expect(h.piecePriorities().slice(5)).toEqual(new Array(ti.pieceCount - 5).fill(0));
    // Piece 4 spans a.bin and b.bin: b.bin's bytes are wrong, so it fails; a.bin is unfinished.
    expect(h.status().state).toBe('downloading');
    expect(h.havePiece(3)).toBe(true);
    expect(h.havePiece(4)).toBe(false);
    h.piecePriority(4, 0);
    expect(h.status().state).toBe('finished');
    expect(h.status().isFinished).toBe(true);
    expect(h.status().isSeeding).toBe(false);
    await waitFor(s, 'torrent_finished');
    for (const bad of [8, -1, 1.5, Number.NaN]) expect(await codeOf(() => h.filePriority(0, bad))).toBe('invalid_argument');
    expect(await codeOf(() => h.filePriority(3, 1))).toBe('invalid_argument');
    expect(await codeOf(() => h.piecePriority(ti.pieceCount, 1))).toBe('invalid_argument');
    expect(await codeOf(() => h.prioritizeFiles([1, 2, 3, 4]))).toBe('invalid_argument');
    expect(await codeOf(() => h.prioritizePieces([[0, 9]]))).toBe('invalid_argument');
    expect(h.piecePriority(0)).toBe(4); // a rejected pair list changes nothing
    h.prioritizePieces([[1, 7], [2, 1]]);
    expect(h.piecePriorities().slice(0, 3)).toEqual([4, 7, 1]);
    h.prioritizeFiles([1]); // missing entries default to 4
    expect(h.filePriorities()).toEqual([1, 4, 4]);
    expect(h.status().state).toBe('downloading');
    const single = await makeTorrent([files[0]!], 'v1', 16384);
    expect(await codeOf(() => s.addTorrent({ ti: single, filePriorities: [9] }))).toBe('invalid_argument');
  });

  test('pause/resume alerts, postTorrentUpdates, connectPeer and piece deadlines', async () => {
    const ti = await makeTorrent(files, 'v2', 16384);
    const s = session();
    const h = await s.addTorrent({ ti, flags: { paused: true } });
    expect(h.status().paused).toBe(true);
    expect(h.status().state).toBe('checking_files');
    s.postTorrentUpdates();
    const u1 = await waitFor(s, 'state_update');
    expect(u1.status.map((x) => x.infoHash)).toEqual([ti.id]);
    s.postTorrentUpdates();
    const u2 = await waitFor(s, 'state_update', (a) => a !== u1);
    expect(u2.status).toEqual([]);
    h.resume();
    await waitFor(s, 'torrent_resumed');
    await waitFor(s, 'torrent_checked');
    expect(h.status().state).toBe('downloading'); // memory storage is empty: nothing verifies
    expect(h.status().progress).toBe(0);
    h.pause();
    await waitFor(s, 'torrent_paused');
    expect(await codeOf(() => h.connectPeer({ host: '127.0.0.1', port: 6881 }))).toBe('not_supported');
    expect(await codeOf(() => h.connectPeer({ host: '', port: 6881 }))).toBe('invalid_argument');
    expect(await codeOf(() => h.connectPeer({ host: '127.0.0.1', port: 0 }))).toBe('invalid_argument');
    h.setPieceDeadline(2, 1000);
    h.setPieceDeadline(0, 0);
    expect(h.pieceDeadlines().map((d) => d.piece)).toEqual([0, 2]);
    expect(await codeOf(() => h.setPieceDeadline(ti.pieceCount, 5))).toBe('invalid_argument');
    expect(await codeOf(() => h.setPieceDeadline(1, -5))).toBe('invalid_argument');
    h.resetPieceDeadline(2);
    expect(h.pieceDeadlines().map((d) => d.piece)).toEqual([0]);
    h.clearPieceDeadlines();
    expect(h.pieceDeadlines()).toEqual([]);
    expect(await codeOf(() => h.readPiece(0))).toBe('invalid_argument');
  });

  test('magnet links: downloading_metadata, name, trackers; metadata-only calls are refused', async () => {
    const ti = await makeTorrent(files, 'hybrid', 16384);
    const s = session();
    const uri = `${ti.toMagnet()}&tr=${encodeURIComponent('http://tracker.example/announce')}`;
    const p = parseMagnetUri(uri);
    expect(p.infoHashes?.v1).toEqual(ti.infoHashes.v1);
    const h = await s.addTorrent({ url: uri, savePath: 'dl' });
    expect(h.id).toBe(ti.id);
    const st = h.status();
    expect(st.state).toBe('downloading_metadata');
    expect(st.hasMetadata).toBe(false);
    expect(st.name).toBe(ti.name);
    expect(h.torrentFile()).toBeUndefined();
    expect(await codeOf(() => h.filePriorities())).toBe('metadata_not_available');
    expect(await codeOf(() => h.havePiece(0))).toBe('metadata_not_available');
    expect(await codeOf(() => s.addTorrent({ ti }))).toBe('duplicate_torrent');
    await h.moveStorage('elsewhere');
    expect(h.status().savePath).toBe('elsewhere');
    expect(await codeOf(() => s.addTorrent({}))).toBe('invalid_argument');
    expect(await codeOf(() => s.addTorrent({ url: 'magnet:?xt=urn:btih:zz' }))).not.toBe('none');
  });

  test('IP filter is copied in and out', async () => {
    const s = session();
    expect(s.getIpFilter().isAllowed('10.1.2.3')).toBe(true); // none set: an empty filter, everything allowed
    const f = new IPFilter();
    f.addRule('10.0.0.0', '10.255.255.255', IPFilter.BLOCKED);
    s.setIpFilter(f);
    f.addRule('1.1.1.1', '1.1.1.1', IPFilter.BLOCKED);
    const got = s.getIpFilter();
    expect(got.isAllowed('10.1.2.3')).toBe(false);
    expect(got.isAllowed('1.1.1.1')).toBe(true);
  });

  test('no storage configured → invalid_argument; closed session → session_closed; close is idempotent', async () => {
    const ti = await makeTorrent(files, 'v1', 16384);
    const bare = new Session();
    expect(await codeOf(() => bare.addTorrent({ ti }))).toBe('invalid_argument');
    const failed = bare.popAlerts();
    expect(failed.map((a) => a.type)).toEqual(['add_torrent']); // always posted, even with the default mask
    expect(failed[0]!.type === 'add_torrent' && failed[0]!.error?.code).toBe('invalid_argument');
    await bare.close();
    await bare.close();
    expect(await codeOf(() => bare.addTorrent({ ti, storage: createMemoryStorage() }))).toBe('session_closed');
    expect(await bare.waitForAlert(10_000)).toBeNull();
  });

  test('session pause stops checking; resume finishes it', async () => {
    const ti = await makeTorrent(files, 'v1', 16384);
    const storage = createMemoryStorage();
    await fillStorage(storage, ti, files);
    const s = session({ storage });
    s.pause();
    expect(s.isPaused()).toBe(true);
    const h = await s.addTorrent({ ti });
    await new Promise((r) => setTimeout(r, 50));
    expect(h.status().state).toBe('checking_files');
    expect(h.status().sessionPaused).toBe(true);
    expect(h.status().numPieces).toBe(0);
    s.resume();
    await waitFor(s, 'torrent_finished');
    expect(h.status().state).toBe('seeding');
    expect(h.isSeed()).toBe(true);
  });
});
