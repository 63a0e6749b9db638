/**
 * Scenario 3 of the libtorrent seed doc, "Advanced Configuration and Monitoring", in TypeScript:
 *
 *   lt::session ses(settings_pack); ses.set_alert_mask(error_notification | status_notification);
 *   add_torrent_params params; params.ti = ...; params.save_path = "/downloads/";
 *   while (!handle.is_seed()) { a = ses.wait_for_alert(5s); print a->message(); if error_alert: print }
 *
 * Today's features: settings, alert mask, waitForAlert, typed error alerts, state_update posts. Without
 * the swarm it completes when the data is already in savePath; `maxSeconds` bounds the wait.
 *
 * Run: npx tsx --conditions=node examples/scenario3-monitoring.ts example.torrent /downloads/
 */
import { readFile } from 'node:fs/promises';
import { Session, TorrentInfo, alertCategory, alertMessage } from '../entry/node.js';
import type { AddTorrentParams, Alert } from '../entry/node.js';

/** Adds the torrent with custom settings and reports alerts until it seeds; returns what it saw. */
export async function scenario3(torrentPath: string, savePath: string, maxSeconds = 30, log: (s: string) => void = console.log): Promise<Alert[]> {
  const ses = new Session({ settings: { listenInterfaces: '0.0.0.0:6881,[::]:6881', connectionsLimit: 100 } });
  ses.applySettings({ alertMask: alertCategory.error | alertCategory.status });
  const seen: Alert[] = [];
  try {
    const params: AddTorrentParams = {
      ti: await TorrentInfo.fromBytes(await readFile(torrentPath)),
      savePath,
    };
    const handle = await ses.addTorrent(params);
    const report = (): void => {
      for (const alert of ses.popAlerts()) {
        seen.push(alert);
        log(`Alert: ${alertMessage(alert)}`);
        // libtorrent's alert_cast<error_alert>: narrow on the category bit or the type.
        if (alert.category & alertCategory.error) log(`Error: ${alertMessage(alert)}`);
        if (alert.type === 'state_update') for (const st of alert.status) log(`  ${st.name}: ${st.state} ${(st.progress * 100).toFixed(1)}%`);
      }
    };
    const deadline = Date.now() + maxSeconds * 1000;
    while (!handle.isSeed() && Date.now() < deadline) {
      if (await ses.waitForAlert(5000)) report();
    }
    ses.postTorrentUpdates();
    report();
    return seen;
  } finally {
    await ses.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [torrent, save = '.'] = process.argv.slice(2);
  if (!torrent) {
    console.error('usage: scenario3-monitoring.ts <file.torrent> [savePath]');
    process.exit(2);
  }
  scenario3(torrent, save).then(() => undefined, (err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
