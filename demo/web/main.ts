/**
 * The web demo page. One browser Session (memory storage, WebRTC through the demo's tracker) that:
 *   - downloads the sample video from the Node seed and plays it while downloading, through the stream
 *     service worker (registerStreamWorker / streamTo: the <video> reads torrent bytes by Range request,
 *     and the read-ahead window sets piece deadlines, so a seek fetches the pieces it needs first);
 *   - or, with `#magnet=...` in the URL, downloads that torrent instead (and plays it when it is a video);
 *   - seeds files dropped on the page and shows their magnet link and share URL.
 * It shows the torrent list, a piece map of the selected torrent and a 60 s speed chart, refreshed each
 * second. Everything from data (names, errors) is set with textContent, never as HTML.
 */
import {
  Session, TorrentInfo, alertCategory, alertMessage, createMemoryStorage, parseMagnetUri, registerStreamWorker,
  streamTo, webRtcOption,
} from '../../entry/browser.js';
import type { StreamWorker, TorrentHandle } from '../../entry/browser.js';
import { renderTorrentList } from './torrent-list.js';
import { drawPieceMap } from './piece-map.js';
import { SpeedHistory, drawSpeedChart } from './speed-chart.js';
import { seedFile } from './seed-file.js';

interface DemoConfig { tracker: string; sample: { torrent: string; infoHash: string; name: string } }

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el as T;
};
const video = $<HTMLVideoElement>('video');
const statusEl = $('status');
const logEl = $('log');

function log(text: string, error = false): void {
  const li = document.createElement('li');
  li.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  if (error) li.className = 'error';
  logEl.prepend(li);
  while (logEl.childElementCount > 100) logEl.lastElementChild?.remove();
}
const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

async function loadConfig(): Promise<DemoConfig> {
  const c = (await (await fetch('/demo.json')).json()) as Partial<DemoConfig>;
  if (typeof c.tracker !== 'string' || typeof c.sample?.torrent !== 'string') throw new Error('bad /demo.json');
  return c as DemoConfig;
}

const PLAYABLE = /\.(webm|mp4|m4v|ogv|ogg|mp3|m4a|opus|wav)$/i;

async function main(): Promise<void> {
  const cfg = await loadConfig();
  const storage = createMemoryStorage();
  const session = new Session({
    storage,
    settings: { enableDht: false, enableLsd: false, allowMultipleConnectionsPerIp: true, alertMask: alertCategory.error | alertCategory.status },
    // Loopback only: no STUN/TURN servers.
    webrtc: webRtcOption({ rtcConfig: { iceServers: [] } }),
  });
  const worker: StreamWorker = await registerStreamWorker({ url: '/swarmkit-stream-sw.js' });
  let selected: string | undefined;
  let stopStream: (() => void) | undefined;

  /** Plays `h`'s first playable file in the <video> once its metadata is there. */
  const play = async (h: TorrentHandle): Promise<void> => {
    while (h.isValid() && !h.status().hasMetadata) await new Promise((r) => setTimeout(r, 200));
    const ti = h.torrentFile();
    const index = ti?.files.findIndex((f) => !f.pad && PLAYABLE.test(f.path.join('/'))) ?? -1;
    if (!ti || index < 0) return;
    stopStream?.();
    stopStream = streamTo(video, h, index);
    $('now-playing').textContent = `Playing ${ti.files[index]?.path.join('/') ?? ''} while it downloads`;
    await video.play().catch((err: unknown) => log(`press play: ${errorText(err)}`));
  };

  const openMagnet = async (uri: string): Promise<void> => {
    const p = parseMagnetUri(uri);
    // A magnet without trackers still finds peers through the demo's tracker.
    if ((p.trackers ?? []).length === 0) p.trackers = [[cfg.tracker]];
    const existing = p.infoHashes !== undefined ? session.findTorrent(p.infoHashes) : undefined;
    const h = existing ?? await session.addTorrent({ ...p, savePath: 'shared' });
    selected = h.id;
    log(`opened magnet ${p.name ?? h.id}`);
    await play(h);
  };

  const hashMagnet = (): string | undefined => {
    const m = /^#magnet=(.+)$/.exec(location.hash);
    return m?.[1] === undefined ? undefined : decodeURIComponent(m[1]);
  };
  const magnet = hashMagnet();
  if (magnet !== undefined) {
    await openMagnet(magnet);
  } else {
    const ti = await TorrentInfo.fromBytes(new Uint8Array(await (await fetch(cfg.sample.torrent)).arrayBuffer()));
    const h = await session.addTorrent({ ti, savePath: 'sample' });
    selected = h.id;
    log(`downloading the sample ${ti.name} from the Node seed over WebRTC`);
    await play(h);
  }
  window.addEventListener('hashchange', () => {
    const m = hashMagnet();
    if (m !== undefined) openMagnet(m).catch((err: unknown) => log(errorText(err), true));
  });

  // Dropping (or picking) a file seeds it.
  const drop = $('drop');
  const seed = (file: File | undefined): void => {
    if (!file) return;
    log(`hashing ${file.name} …`);
    seedFile(session, storage, file, cfg.tracker).then((s) => {
      selected = s.handle.id;
      $<HTMLInputElement>('magnet').value = s.magnet;
      const a = $<HTMLAnchorElement>('share-url');
      a.href = s.shareUrl;
      a.textContent = s.shareUrl;
      $('shared').hidden = false;
      log(`seeding ${file.name}`);
    }, (err: unknown) => log(`could not seed ${file.name}: ${errorText(err)}`, true));
  };
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    seed(e.dataTransfer?.files[0]);
  });
  const input = $<HTMLInputElement>('file');
  input.addEventListener('change', () => seed(input.files?.[0]));

  // Once a second: alerts to the log, the list, the piece map and the chart.
  const history = new SpeedHistory(60);
  const tbody = $<HTMLTableSectionElement>('torrent-rows');
  const tick = (): void => {
    for (const a of session.popAlerts()) {
      if ((a.category & alertCategory.error) !== 0) log(alertMessage(a), true);
      else if (a.type === 'torrent_finished') log(alertMessage(a));
    }
    const handles = session.getTorrents();
    let down = 0;
    let up = 0;
    for (const h of handles) {
      const s = h.status();
      down += s.downloadPayloadRate;
      up += s.uploadPayloadRate;
    }
    history.push(down, up);
    renderTorrentList(tbody, handles, selected, (id) => {
      selected = id;
      tick();
    });
    const sel = handles.find((h) => h.id === selected && h.isValid());
    const ti = sel?.torrentFile();
    $('map-name').textContent = sel ? `— ${sel.status().name}` : '';
    drawPieceMap($<HTMLCanvasElement>('piece-map'), sel?.status().pieces, ti?.pieceCount ?? 0);
    drawSpeedChart($<HTMLCanvasElement>('speed-chart'), history);
    statusEl.textContent = `${handles.length} torrent(s), tracker ${cfg.tracker}`;
  };
  tick();
  const timer = setInterval(tick, 1000);
  // For tests and the console: the page's session, and a way to stop it.
  Object.assign(globalThis, {
    swarmkitDemo: {
      session,
      close: async () => {
        clearInterval(timer);
        stopStream?.();
        worker.close();
        await session.close();
      },
    },
  });
}

main().catch((err: unknown) => {
  statusEl.textContent = 'failed';
  log(`the demo could not start: ${errorText(err)}`, true);
});
