/**
 * What `download` and `seed` share: peer / port options, the session they run, the once-a-second status
 * loop, process figures (CPU seconds, peak RSS) and signal handling.
 *
 * Both commands drive the session by polling `handle.status()` on a short tick instead of reacting to
 * alerts: status is always available whatever the alert mask, and a 100 ms tick costs nothing next to a
 * transfer. Alerts are drained on the same tick only for messages (peer errors, storage errors).
 */
import { TorrentError } from '../../src/errors.js';
import type { PeerAddress } from '../../src/interfaces/transport.js';
import { alertCategory } from '../../src/session/alert-category.js';
import { alertMessage } from '../../src/session/alerts.js';
import type { Alert } from '../../src/session/alerts.js';
import type { TorrentHandle } from '../../src/session/torrent-handle.js';
import type { TorrentStatus } from '../../src/session/torrent-status.js';
import { Session, createUdpFactory } from '../../entry/node-session.js';
import type { DatagramFactory } from '../../src/interfaces/datagram.js';
import { UsageError } from '../errors.js';
import { escapeTerminal as esc } from '../escape.js';
import type { Output } from '../output.js';

/** Options both commands take (node:util parseArgs specs). */
export const swarmOptions = {
  port: { type: 'string' },
  host: { type: 'string' },
  peer: { type: 'string', multiple: true },
} as const;

/** Milliseconds between status polls. */
export const TICK_MS = 100;
/** Milliseconds between status polls while a torrent checks its data. */
const CHECK_TICK_MS = 10;
/** Milliseconds between progress events / bar redraws. */
export const PROGRESS_MS = 1000;

/** Parses `--port`: an integer 0..65535 (0 = any free port). */
export function parsePort(command: string, text: string | undefined): number {
  if (text === undefined) return 0;
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw new UsageError(`${command}: --port '${text}' is not a port number (0..65535)`);
  return Number(text);
}

/** Parses `host:port` or `[v6]:port`. */
export function parsePeer(command: string, text: string): PeerAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(text.trim());
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || port < 1 || port > 65535) throw new UsageError(`${command}: --peer '${text}' is not host:port (IPv6 as [addr]:port, port 1..65535)`);
  return { host: (m[1] ?? m[2])!, port };
}

/** Formats a peer address for messages. */
export function peerText(p: PeerAddress): string {
  return p.host.includes(':') ? `[${p.host}]:${p.port}` : `${p.host}:${p.port}`;
}

/**
 * Dials the `--peer` addresses of a torrent and remembers, per address, why the last attempt failed (cleared
 * when one succeeds), so a command can say why it has no peers.
 */
export class PeerDialer {
  readonly #lastError = new Map<string, string>();

  constructor(
    private readonly handle: TorrentHandle,
    private readonly peers: readonly PeerAddress[],
  ) {}

  /** Dials every given peer (connected ones are skipped by the session). */
  dial(): void {
    for (const p of this.peers) {
      this.handle.connectPeer(p).then(
        () => this.#lastError.delete(peerText(p)),
        (err: unknown) => this.#lastError.set(peerText(p), err instanceof Error ? err.message : String(err)),
      );
    }
  }

  /** Why no peer is connected: the last dial errors, or what was tried (terminal-escaped). */
  noPeerText(): string {
    if (this.peers.length === 0) return 'no peer connected (no --peer given; only trackers, the DHT or LSD can find peers)';
    const errs = [...this.#lastError].map(([p, e]) => `${esc(p)}: ${esc(e)}`);
    return `no peer connected${errs.length > 0 ? ` (${errs.join('; ')})` : ` (tried ${this.peers.map(peerText).join(', ')})`}`;
  }
}

/** The listen_interfaces value for `--host` / `--port`. */
export function listenInterfaces(command: string, host: string | undefined, port: number): string {
  const h = host ?? '0.0.0.0';
  if (h === '' || /[\s,]/.test(h)) throw new UsageError(`${command}: --host '${host ?? ''}' is not an address`);
  return h.includes(':') ? `[${h.replace(/^\[|\]$/g, '')}]:${port}` : `${h}:${port}`;
}

/**
 * Discovery options both commands take (issue 4). Defaults, chosen so that nothing reaches beyond the
 * machine unless asked: the DHT runs (as in libtorrent) but with no bootstrap router — it only learns
 * nodes from `--dht-bootstrap` and from nodes that contact it; LSD (multicast on the LAN) is off unless
 * `--lsd`. Trackers come from the torrent / magnet and from `--tracker`.
 */
export const discoveryOptions = {
  tracker: { type: 'string', multiple: true },
  dht: { type: 'boolean' },
  'no-dht': { type: 'boolean' },
  'dht-port': { type: 'string' },
  'dht-bootstrap': { type: 'string', multiple: true },
  lsd: { type: 'boolean' },
  'no-lsd': { type: 'boolean' },
} as const;

/** Parsed {@link discoveryOptions}. */
export interface DiscoveryFlags {
  trackers: string[];
  dht: boolean;
  /** 0 = the TCP listen port when free, else any. */
  dhtPort: number;
  dhtBootstrap: PeerAddress[];
  lsd: boolean;
}

/** Help text lines for {@link discoveryOptions}. */
export const discoveryUsage = `  --tracker URL       announce to this tracker (http, https, udp) too; repeatable
  --dht, --no-dht     the DHT (default on, but with no bootstrap router: it knows only --dht-bootstrap
                      nodes and nodes that contact it)
  --dht-port N        UDP port of the DHT and UDP trackers (default: the TCP port when free, else any)
  --dht-bootstrap HOST:PORT  a DHT node to bootstrap from; repeatable (e.g. router.bittorrent.com:6881)
  --lsd, --no-lsd     local service discovery by multicast (default off)`;

/** Validates the discovery options. */
export function parseDiscoveryFlags(
  command: string,
  v: { tracker?: string[]; dht?: boolean; 'no-dht'?: boolean; 'dht-port'?: string; 'dht-bootstrap'?: string[]; lsd?: boolean; 'no-lsd'?: boolean },
): DiscoveryFlags {
  if (v.dht === true && v['no-dht'] === true) throw new UsageError(`${command}: --dht and --no-dht contradict each other`);
  if (v.lsd === true && v['no-lsd'] === true) throw new UsageError(`${command}: --lsd and --no-lsd contradict each other`);
  const trackers = (v.tracker ?? []).map((u) => {
    if (!/^(https?|udp):\/\/[^\s/]+/i.test(u)) throw new UsageError(`${command}: --tracker '${u}' is not an http(s):// or udp:// URL`);
    return u;
  });
  const dht = v['no-dht'] !== true;
  const dhtBootstrap = (v['dht-bootstrap'] ?? []).map((p) => {
    try {
      return parsePeer(command, p);
    } catch {
      throw new UsageError(`${command}: --dht-bootstrap '${p}' is not host:port`);
    }
  });
  if (!dht && (dhtBootstrap.length > 0 || v['dht-port'] !== undefined)) throw new UsageError(`${command}: --dht-bootstrap / --dht-port need the DHT (drop --no-dht)`);
  const dhtPort = v['dht-port'] === undefined ? 0 : parsePort(command, v['dht-port']);
  return { trackers, dht, dhtPort, dhtBootstrap, lsd: v.lsd === true };
}

/** The validated swarm options of a command: where to listen, the peers to dial and the discovery flags. */
export interface SwarmFlags {
  /** listen_interfaces for `--host` / `--port`. */
  readonly listen: string;
  /** `--peer` addresses, in the order given. */
  readonly peers: PeerAddress[];
  readonly disc: DiscoveryFlags;
}

/** Validates `--port`, `--host`, `--peer` and the discovery options, in that order (the first bad one throws). */
export function parseSwarmFlags(
  command: string,
  v: { port?: string; host?: string; peer?: string[] } & Parameters<typeof parseDiscoveryFlags>[1],
): SwarmFlags {
  const port = parsePort(command, v.port);
  const listen = listenInterfaces(command, v.host, port);
  const peers = (v.peer ?? []).map((p) => parsePeer(command, p));
  return { listen, peers, disc: parseDiscoveryFlags(command, v) };
}

/** A UDP factory that binds `port` whatever port the session asks for (for --dht-port). */
function udpOnPort(port: number): DatagramFactory {
  const base = createUdpFactory();
  return { bind: (o) => base.bind({ ...o, port }) };
}

/** Creates the session, waits for its listener and returns it with the bound port. Closes it on failure. */
export async function openSession(listen: string, disc?: DiscoveryFlags): Promise<{ session: Session; port: number }> {
  const session = new Session({
    settings: {
      listenInterfaces: listen,
      alertMask: alertCategory.error | alertCategory.status | alertCategory.storage | alertCategory.connect,
      enableDht: disc?.dht ?? false,
      enableLsd: disc?.lsd ?? false,
      dhtBootstrapNodes: (disc?.dhtBootstrap ?? []).map(peerText).join(','),
      enableUpnp: false,
      enableNatpmp: false,
    },
    ...(disc !== undefined && disc.dhtPort > 0 ? { datagram: udpOnPort(disc.dhtPort) } : {}),
  });
  try {
    await session.ready();
    return { session, port: session.listenPort() };
  } catch (err) {
    await session.close().catch(() => undefined);
    throw err;
  }
}

/** CPU seconds (user + system) and peak RSS in bytes of this process so far. */
export function processFigures(): { cpuSeconds: number; maxRSS: number } {
  const ru = process.resourceUsage();
  return { cpuSeconds: (ru.userCPUTime + ru.systemCPUTime) / 1e6, maxRSS: ru.maxRSS * 1024 };
}

/** The fields of a `progress` event. */
export function progressFields(s: TorrentStatus): Record<string, unknown> {
  return {
    progress: s.progress,
    downloadRate: s.downloadPayloadRate,
    uploadRate: s.uploadPayloadRate,
    numPeers: s.numPeers,
    state: s.state,
    totalDone: s.totalDone,
    totalWanted: s.totalWanted,
    totalDownload: s.totalPayloadDownload,
    totalUpload: s.totalPayloadUpload,
  };
}

/** Throws the torrent's error, if it stopped on one. */
export function throwIfFailed(s: TorrentStatus): void {
  if (s.errorCode !== undefined) throw new TorrentError(s.errorCode, s.error ?? 'the torrent stopped on an error');
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Waits up to `ms`, returning as soon as the session posts an alert (so a state change such as
 * torrent_finished is seen at once, not at the next tick) or `signal` aborts. Pop the alerts before
 * calling: with alerts already queued it returns at once.
 */
export function tick(session: Session, signal: AbortSignal, ms = TICK_MS): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    let settled = false;
    const done = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    session.waitForAlert(ms).then(done, done);
  });
}

/**
 * Aborts the returned signal on SIGINT or SIGTERM (recording which); `dispose()` removes the handlers.
 * While installed, the signals no longer kill the process: the command shuts down cleanly instead.
 */
export function onStopSignals(): { signal: AbortSignal; received: () => NodeJS.Signals | undefined; dispose: () => void } {
  const ac = new AbortController();
  let got: NodeJS.Signals | undefined;
  const handler = (sig: NodeJS.Signals): void => {
    got ??= sig;
    ac.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: ac.signal,
    received: () => got,
    dispose: () => {
      process.removeListener('SIGINT', handler);
      process.removeListener('SIGTERM', handler);
    },
  };
}

/** Waits while the torrent checks its data; rethrows a torrent error. Resolves with the final status. */
export async function waitChecked(handle: TorrentHandle, signal: AbortSignal, onTick?: (s: TorrentStatus) => void): Promise<TorrentStatus> {
  for (;;) {
    const s = handle.status();
    throwIfFailed(s);
    if (s.state !== 'checking_files' && s.state !== 'checking_resume_data') return s;
    onTick?.(s);
    if (signal.aborted) return s;
    // Short ticks: checking a fresh download takes milliseconds, and the transfer waits for it.
    await sleep(CHECK_TICK_MS, signal);
  }
}

/** Drains the session's alerts, showing peer and storage trouble as notes (human mode, --debug for peers). */
export function reportAlerts(session: Session, out: Output): Alert[] {
  const alerts = session.popAlerts();
  for (const a of alerts) {
    if (a.type === 'peer_disconnected' || a.type === 'peer_connect') {
      if (out.debug) out.note(esc(alertMessage(a)));
    } else if (a.type === 'file_error' || a.type === 'torrent_error' || a.type === 'hash_failed' || a.type === 'listen_failed') {
      out.note(esc(alertMessage(a)));
    }
  }
  return alerts;
}

/**
 * A one-line status bar on stderr, redrawn in place, only when stderr is a terminal (pipes and logs
 * never see `\r`). Call {@link StatusLine.clear} before writing anything else to the terminal.
 */
export class StatusLine {
  #shown = false;
  constructor(private readonly stream: { write(s: string): boolean; readonly isTTY?: boolean; readonly columns?: number }) {}

  /** Draws `[####----] pct% label`; `fraction` undefined draws the label alone. */
  show(fraction: number | undefined, label: string): void {
    if (this.stream.isTTY !== true) return;
    const cols = Math.max(40, Math.min(this.stream.columns ?? 80, 160));
    let text = label;
    if (fraction !== undefined) {
      const pct = Math.min(1, Math.max(0, fraction));
      const tail = ` ${(pct * 100).toFixed(1).padStart(5)}%  ${label}`;
      const width = Math.max(10, Math.min(40, cols - tail.length - 3));
      const filled = Math.round(pct * width);
      text = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]${tail}`;
    }
    this.stream.write(`\r${text.slice(0, cols - 1)}\x1b[K`);
    this.#shown = true;
  }

  /** Removes the bar. */
  clear(): void {
    if (this.#shown) {
      this.stream.write('\r\x1b[K');
      this.#shown = false;
    }
  }
}
