/**
 * Scenario 1 of the libtorrent seed doc, "Basic Torrent Download", in TypeScript:
 *
 *   ses = lt.session(); ses.listen_on(6881, 6891)
 *   info = lt.torrent_info(open("example.torrent").read()); handle = ses.add_torrent(info)
 *   while not handle.is_seed(): print progress; print alerts
 *
 * Listening is the `listenInterfaces` setting (TCP). Peers come from `peers` (host:port of seeds, e.g.
 * another swarmkit or libtorrent session; trackers and DHT feed the peer list once they are wired in);
 * with the data already in `savePath` it is checked and seeds at once. Without peers it keeps waiting,
 * as libtorrent would; `maxSeconds` bounds the wait.
 *
 * Run: npx tsx --conditions=node examples/scenario1-download.ts example.torrent ./downloads
 */
import { readFile } from 'node:fs/promises';
import { Session, TorrentInfo, alertCategory, alertMessage } from '../entry/node.js';

/** Downloads `torrentPath` into `savePath` from `peers`; resolves true once seeding. */
export async function scenario1(torrentPath: string, savePath: string, maxSeconds = 30, log: (s: string) => void = console.log, peers: Array<{ host: string; port: number }> = []): Promise<boolean> {
  const ses = new Session({
    settings: { listenInterfaces: '0.0.0.0:6881', alertMask: alertCategory.error | alertCategory.status | alertCategory.storage },
  });
  try {
    const info = await TorrentInfo.fromBytes(await readFile(torrentPath));
    const handle = await ses.addTorrent({ ti: info, savePath, peers });
    const deadline = Date.now() + maxSeconds * 1000;
    while (!handle.isSeed() && Date.now() < deadline) {
      log(`Progress: ${(handle.status().progress * 100).toFixed(2)}%`);
      await ses.waitForAlert(1000);
      for (const a of ses.popAlerts()) log(alertMessage(a));
    }
    for (const a of ses.popAlerts()) log(alertMessage(a));
    if (handle.isSeed()) log('Download complete!');
    return handle.isSeed();
  } finally {
    await ses.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [torrent, save = '.'] = process.argv.slice(2);
  if (!torrent) {
    console.error('usage: scenario1-download.ts <file.torrent> [savePath]');
    process.exit(2);
  }
  scenario1(torrent, save).then((done) => process.exit(done ? 0 : 1), (err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
