/**
 * Drives test/interop/py/lt_peer.py: one python3-libtorrent seed or leech in its own process, speaking
 * JSON lines (see the script's docstring). Spawn with {@link spawnLtPeer}, await events with
 * {@link LtPeer.waitFor}, stop with {@link LtPeer.stop} (closes stdin, then SIGTERM, then SIGKILL).
 * Used by interop tests and test/bench/transfer.bench.ts.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { pyScript } from './python.js';

/** One JSON line from lt_peer.py (every line has `event` and `t`, ms since the epoch). */
export interface LtEvent {
  readonly event: 'ready' | 'progress' | 'done' | 'error' | 'exit' | (string & {});
  readonly t: number;
  readonly [field: string]: unknown;
}

/** `ready`: listening and checked. */
export interface LtReady extends LtEvent {
  readonly port: number;
  readonly infoHash: string;
  readonly infoHashes: { v1: string | null; v2: string | null };
  readonly state: string;
  readonly progress: number;
}

/** `done`: the download finished (every piece verified by libtorrent). */
export interface LtDone extends LtEvent {
  readonly bytes: number;
  /** From adding the torrent to finishing. */
  readonly seconds: number;
  readonly firstByteSeconds: number | null;
  readonly cpuSeconds: number;
  /** Peak resident set size in bytes. */
  readonly maxRSS: number;
  readonly hashFailures: number;
}

/** Options of {@link spawnLtPeer}; see lt_peer.py. */
export interface LtPeerOptions {
  torrent: string;
  save: string;
  mode: 'seed' | 'download';
  host?: string;
  port?: number;
  peers?: ReadonlyArray<{ host: string; port: number }>;
  seedMode?: boolean;
  utp?: boolean;
  encryption?: boolean;
  exitWhenDone?: boolean;
  intervalSeconds?: number;
  /** Tracker URLs (one tier each). */
  trackers?: readonly string[];
  /** libtorrent's DHT on, with loopback-friendly settings and no routers. */
  dht?: boolean;
  /** DHT nodes to add (session.add_dht_node). */
  dhtNodes?: ReadonlyArray<{ host: string; port: number }>;
  /** Never dial out (incoming connections only). */
  noOutgoing?: boolean;
  /** close_redundant_connections off: seeds stay connected to seeds. */
  keepRedundant?: boolean;
  /** Progress events carry `peers` (see {@link LtPeerInfo}). */
  reportPeers?: boolean;
  /** uTP only: TCP off both ways, uTP on both ways. */
  utpOnly?: boolean;
  /** libtorrent's download_rate_limit in bytes/s (default: unlimited). */
  downloadLimit?: number;
}

/** One connected peer in a progress event (with `reportPeers`). */
export interface LtPeerInfo {
  readonly ip: string;
  readonly port: number;
  /** How libtorrent learned of it: tracker, dht, pex, lsd, resume (none: it connected to us or we were told). */
  readonly source: readonly string[];
  readonly outgoing: boolean;
  readonly seed: boolean;
}

/** A running lt_peer.py process. */
export class LtPeer {
  /** Every event so far, in order. */
  readonly events: LtEvent[] = [];
  /** Wall-clock time (ms since the epoch) just before the process was spawned. */
  readonly spawnedAt: number;
  /** Collected stderr (libtorrent / Python errors). */
  stderr = '';
  readonly #proc: ChildProcessWithoutNullStreams;
  readonly #waiters = new Set<{ match: (e: LtEvent) => boolean; resolve: (e: LtEvent) => void }>();
  readonly #exited: Promise<number | null>;
  #exitCode: number | null | undefined;
  /** Started with --exit-when-done: it exits at `done` and never sends `flushed`. */
  readonly #exitsWhenDone: boolean;

  constructor(args: readonly string[]) {
    this.spawnedAt = Date.now();
    this.#exitsWhenDone = args.includes('--exit-when-done');
    this.#proc = spawn('/usr/bin/python3', [pyScript('lt_peer.py'), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#proc.stderr.setEncoding('utf8');
    this.#proc.stderr.on('data', (s: string) => {
      this.stderr += s;
    });
    this.#proc.stdin.on('error', () => undefined); // EPIPE once it exited
    createInterface({ input: this.#proc.stdout }).on('line', (line) => {
      let e: LtEvent;
      try {
        e = JSON.parse(line) as LtEvent;
      } catch {
        this.stderr += `[non-JSON stdout] ${line}\n`;
        return;
      }
      this.events.push(e);
      for (const w of this.#waiters) {
        if (w.match(e)) {
          this.#waiters.delete(w);
          w.resolve(e);
        }
      }
    });
    this.#exited = new Promise((resolve) => {
      this.#proc.on('exit', (code) => {
        this.#exitCode = code;
        resolve(code);
      });
    });
  }

  /** The process id. */
  get pid(): number | undefined {
    return this.#proc.pid;
  }

  /**
   * Resolves with the first event (already seen or upcoming) named `event` that passes `filter`; rejects
   * on timeout, on an `error` event (unless waiting for one), or when the process exits first.
   */
  waitFor<E extends LtEvent = LtEvent>(event: string, timeoutMs: number, filter: (e: LtEvent) => boolean = () => true): Promise<E> {
    const match = (e: LtEvent): boolean => (e.event === event && filter(e)) || (e.event === 'error' && event !== 'error');
    const seen = this.events.find(match);
    const check = (e: LtEvent): E => {
      if (e.event === 'error' && event !== 'error') throw new Error(`lt_peer.py error while waiting for '${event}': ${String(e.message)} (${String(e.code)})\n${this.stderr}`);
      return e as E;
    };
    if (seen !== undefined) return Promise.resolve().then(() => check(seen));
    return new Promise<E>((resolve, reject) => {
      const w = { match, resolve: (e: LtEvent) => {
        clearTimeout(timer);
        try {
          resolve(check(e));
        } catch (err) {
          reject(err as Error);
        }
      } };
      const timer = setTimeout(() => {
        this.#waiters.delete(w);
        reject(new Error(`lt_peer.py: no '${event}' within ${timeoutMs} ms; last events: ${JSON.stringify(this.events.slice(-3))}\n${this.stderr}`));
      }, timeoutMs);
      this.#waiters.add(w);
      void this.#exited.then((code) => {
        if (!this.#waiters.has(w)) return;
        this.#waiters.delete(w);
        clearTimeout(timer);
        reject(new Error(`lt_peer.py exited (${code}) before '${event}'\n${this.stderr}`));
      });
    });
  }

  /** Awaits `ready`. */
  ready(timeoutMs = 60_000): Promise<LtReady> {
    return this.waitFor<LtReady>('ready', timeoutMs);
  }

  /**
   * Awaits `done` (download finished), then `flushed`: libtorrent reports a download finished once every
   * piece passed its hash check, while its disk threads may still be writing blocks, so a test that read the
   * files at `done` could see zeros where data is about to land.
   */
  async done(timeoutMs = 120_000): Promise<LtDone> {
    const done = await this.waitFor<LtDone>('done', timeoutMs);
    if (!this.#exitsWhenDone) await this.waitFor('flushed', 30_000);
    return done;
  }

  /** Asks the peer to connect to another peer. */
  connect(host: string, port: number): void {
    this.#proc.stdin.write(`${JSON.stringify({ cmd: 'connect', host, port })}\n`);
  }

  /** Stops the peer: closes stdin (it exits cleanly), SIGTERM after `graceMs`, SIGKILL after twice that. */
  async stop(graceMs = 5_000): Promise<number | null> {
    if (this.#exitCode !== undefined) return this.#exitCode;
    this.#proc.stdin.end();
    const term = setTimeout(() => this.#proc.kill('SIGTERM'), graceMs);
    const kill = setTimeout(() => this.#proc.kill('SIGKILL'), graceMs * 2);
    try {
      return await this.#exited;
    } finally {
      clearTimeout(term);
      clearTimeout(kill);
    }
  }
}

/** The command-line arguments of lt_peer.py for `opts`. */
export function ltPeerArgs(opts: LtPeerOptions): string[] {
  const args = ['--torrent', opts.torrent, '--save', opts.save, '--mode', opts.mode];
  if (opts.host !== undefined) args.push('--host', opts.host);
  if (opts.port !== undefined) args.push('--port', String(opts.port));
  for (const p of opts.peers ?? []) args.push('--peer', `${p.host.includes(':') ? `[${p.host}]` : p.host}:${p.port}`);
  if (opts.seedMode === true) args.push('--seed-mode');
  args.push('--utp', opts.utp === true ? 'on' : 'off');
  if (opts.encryption === false) args.push('--encryption', 'off');
  if (opts.exitWhenDone === true) args.push('--exit-when-done');
  if (opts.intervalSeconds !== undefined) args.push('--interval', String(opts.intervalSeconds));
  const hp = (p: { host: string; port: number }): string => `${p.host.includes(':') ? `[${p.host}]` : p.host}:${p.port}`;
  for (const t of opts.trackers ?? []) args.push('--tracker', t);
  if (opts.dht === true) args.push('--dht');
  for (const n of opts.dhtNodes ?? []) args.push('--dht-node', hp(n));
  if (opts.noOutgoing === true) args.push('--no-outgoing');
  if (opts.keepRedundant === true) args.push('--keep-redundant');
  if (opts.reportPeers === true) args.push('--report-peers');
  if (opts.utpOnly === true) args.push('--utp-only');
  if (opts.downloadLimit !== undefined) args.push('--download-limit', String(opts.downloadLimit));
  return args;
}

/** Starts lt_peer.py with `opts`. Always {@link LtPeer.stop} it (e.g. in afterEach). */
export function spawnLtPeer(opts: LtPeerOptions): LtPeer {
  return new LtPeer(ltPeerArgs(opts));
}
