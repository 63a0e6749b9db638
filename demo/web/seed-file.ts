/**
 * Seeding a dropped file from the browser: CreateTorrent hashes the File (v1, announcing to the demo's
 * tracker), its pieces are written into the session's memory storage, and the torrent is added (it
 * checks and seeds). Returns the magnet link and a share URL (`#magnet=...`) for another tab.
 * The file is held in memory while it seeds (memory storage); a demo, not a file server.
 */
import { CreateTorrent } from '../../entry/browser.js';
import type { MemoryStorageAdapter, Session, TorrentHandle } from '../../entry/browser.js';

/** What {@link seedFile} made. */
export interface SeededFile {
  handle: TorrentHandle;
  magnet: string;
  shareUrl: string;
}

/** Creates a torrent of `file`, stores its bytes and seeds it through `tracker`. */
export async function seedFile(session: Session, storage: MemoryStorageAdapter, file: File, tracker: string): Promise<SeededFile> {
  const ct = new CreateTorrent({ version: 'v1', trackers: [tracker], creator: 'swarmkit demo', creationDate: null });
  ct.addFile({ data: file, path: file.name });
  const ti = await ct.generateInfo();
  const st = await storage.open(ti.layout());
  try {
    for (let i = 0; i < ti.pieceCount; i++) {
      const at = i * ti.pieceLength;
      await st.write(i, 0, new Uint8Array(await file.slice(at, at + ti.pieceSize(i)).arrayBuffer()));
    }
  } finally {
    await st.close();
  }
  const handle = await session.addTorrent({ ti, savePath: 'seeded' });
  const magnet = ti.toMagnet();
  const shareUrl = `${location.origin}/#magnet=${encodeURIComponent(magnet)}`;
  return { handle, magnet, shareUrl };
}
