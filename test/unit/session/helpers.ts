// Helpers for session tests (Node and browser): deterministic data, real torrents built with
// CreateTorrent, filling a storage adapter with a torrent's data, and waiting for alerts.
import { CreateTorrent } from '../../../src/metainfo/create-torrent.js';
import type { TorrentVersion } from '../../../src/metainfo/create-torrent.js';
import type { TorrentInfo } from '../../../src/metainfo/torrent-info.js';
import type { StorageAdapter } from '../../../src/interfaces/storage.js';
import type { Session } from '../../../src/session/session.js';
import type { Alert, AlertType, AlertOf } from '../../../src/session/alerts.js';

/** Deterministic pseudo-random bytes (xorshift32). */
export function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

export interface TestFile { path: string; data: Uint8Array }

/** A torrent over in-memory files, hashed by CreateTorrent. Paths: "name/dir/file" (first element = torrent name). */
export async function makeTorrent(files: readonly TestFile[], version: TorrentVersion, pieceLength: number): Promise<TorrentInfo> {
  const ct = new CreateTorrent({ version, pieceLength, creationDate: null, creator: 'swarmkit tests' });
  for (const f of files) ct.addFile({ data: f.data, path: f.path });
  return ct.generateInfo();
}

/** The torrent's byte space (pad files as zeroes), assembled from files matched by their path. */
export function torrentBytes(ti: TorrentInfo, files: readonly TestFile[]): Uint8Array {
  const all = new Uint8Array(ti.totalLength);
  const byPath = new Map(files.map((f) => [f.path, f.data]));
  for (const fe of ti.files) {
    if (fe.pad || fe.length === 0) continue;
    const data = byPath.get(fe.path.join('/'));
    if (!data) throw new Error(`no data for ${fe.path.join('/')}`);
    all.set(data, fe.offset);
  }
  return all;
}

/** Writes every piece of the torrent into `adapter` (so a session finds the data in place). */
export async function fillStorage(adapter: StorageAdapter, ti: TorrentInfo, files: readonly TestFile[]): Promise<void> {
  const all = torrentBytes(ti, files);
  const s = await adapter.open(ti.layout());
  for (let i = 0; i < ti.pieceCount; i++) {
    const off = i * ti.pieceLength;
    // Pad ranges are zeroes; adapters ignore them on write.
    await s.write(i, 0, all.subarray(off, off + ti.pieceSize(i)));
  }
  await s.close();
}

/** Alerts seen by {@link waitFor}, per session, so earlier waits do not lose later alerts. */
const seen = new WeakMap<Session, Alert[]>();

/** All alerts popped so far from `session` by these helpers. */
export function history(session: Session): Alert[] {
  let h = seen.get(session);
  if (!h) seen.set(session, (h = []));
  return h;
}

/** Waits until an alert of `type` (matching `pred`) has been posted; returns it. */
export async function waitFor<K extends AlertType>(
  session: Session,
  type: K,
  pred: (a: AlertOf<K>) => boolean = () => true,
  timeoutMs = 20_000,
): Promise<AlertOf<K>> {
  const h = history(session);
  const deadline = Date.now() + timeoutMs;
  for (let from = 0; ; ) {
    for (; from < h.length; from++) {
      const a = h[from]!;
      if (a.type === type && pred(a as AlertOf<K>)) return a as AlertOf<K>;
    }
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out waiting for ${type}; saw ${h.map((a) => a.type).join(', ')}`);
    await session.waitForAlert(left);
    h.push(...session.popAlerts());
  }
}
