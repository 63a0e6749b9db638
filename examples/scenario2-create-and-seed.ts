/**
 * Scenario 2 of the libtorrent seed doc, "Creating and Seeding a Torrent", in TypeScript:
 *
 *   creator = lt.create_torrent(); creator.add_file(...); creator.set_comment(...); creator.set_creator(...)
 *   open("my_torrent.torrent", "wb").write(lt.bencode(creator.generate()))
 *   ses = lt.session(); handle = ses.add_torrent(creator.generate()); print(handle.info_hash())
 *
 * Here the torrent is made from a real directory, written to disk, added with its data in place, and
 * checked: once every piece verifies the torrent is seeding. (Uploading to peers lands with the swarm.)
 *
 * Run: npx tsx --conditions=node examples/scenario2-create-and-seed.ts <dir-or-file> <out.torrent>
 */
import { writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { CreateTorrent, Session, TorrentInfo, alertCategory, alertMessage } from '../entry/node.js';
import type { TorrentStatus } from '../entry/node.js';

/** Creates a torrent of `path`, writes it to `torrentOut`, adds it and waits until it seeds. */
export async function scenario2(path: string, torrentOut: string, log: (s: string) => void = console.log): Promise<{ infoHash: string; status: TorrentStatus }> {
  const creator = new CreateTorrent();
  await creator.addPath(path);
  creator.setComment('My first torrent');
  creator.setCreator('swarmkit');
  const torrentFile = await creator.generate();
  await writeFile(torrentOut, torrentFile);

  const ses = new Session({ settings: { alertMask: alertCategory.error | alertCategory.status } });
  try {
    const ti = await TorrentInfo.fromBytes(torrentFile);
    // The data lives where it was created from: save path = the directory holding `path`.
    const handle = await ses.addTorrent({ ti, savePath: dirname(resolve(path)) });
    log(`Seeding started with info hash: ${handle.id}`);
    for await (const a of ses.alerts()) {
      log(alertMessage(a));
      if (a.type === 'torrent_error') throw new Error(alertMessage(a));
      if (a.type === 'torrent_checked' && !handle.isSeed()) throw new Error('the data did not verify');
      if (a.type === 'torrent_finished' && handle.isSeed()) break;
    }
    return { infoHash: handle.id, status: handle.status() };
  } finally {
    await ses.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [path, out = 'my_torrent.torrent'] = process.argv.slice(2);
  if (!path) {
    console.error('usage: scenario2-create-and-seed.ts <dir-or-file> [out.torrent]');
    process.exit(2);
  }
  scenario2(path, out).then((r) => console.log(`state: ${r.status.state}`), (err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
