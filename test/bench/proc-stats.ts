/**
 * Helpers for benchmarks that run peers as separate processes speaking JSON lines on stdout (our CLI with
 * --json, test/interop/py/lt_peer.py): spawn and parse ({@link JsonLinesProcess}), and read a process's
 * CPU time and peak RSS from /proc ({@link procStats}) as an outside cross-check of what each process
 * reports about itself.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams, SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** Linux clock ticks per second (USER_HZ), which /proc/PID/stat counts CPU time in. */
const CLK_TCK = 100;

/** CPU seconds (user + system) and peak resident set size (VmHWM) of a live process, from /proc. */
export interface ProcStats {
  readonly cpuSeconds: number;
  /** The user-mode and kernel-mode parts of {@link cpuSeconds}. */
  readonly userSeconds: number;
  readonly systemSeconds: number;
  readonly peakRSS: number;
}

/** Reads /proc/PID/stat and /proc/PID/status; undefined when the process is gone or /proc is absent. */
export function procStats(pid: number): ProcStats | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may contain spaces): state is field 3.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(rest[11]); // field 14
    const stime = Number(rest[12]); // field 15
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
    if (!Number.isFinite(utime) || !Number.isFinite(stime) || hwm === null) return undefined;
    return { cpuSeconds: (utime + stime) / CLK_TCK, userSeconds: utime / CLK_TCK, systemSeconds: stime / CLK_TCK, peakRSS: Number(hwm[1]) * 1024 };
  } catch {
    return undefined;
  }
}

/** One parsed stdout line (it has an `event` field), with the wall-clock time it was read. */
export interface JsonEvent {
  readonly event: string;
  readonly receivedAt: number;
  readonly [field: string]: unknown;
}

/** A child process whose stdout is JSON lines; keeps every event and lets callers await one. */
export class JsonLinesProcess {
  readonly events: JsonEvent[] = [];
  /** `Date.now()` just before spawning. */
  readonly spawnedAt: number;
  stderr = '';
  readonly proc: ChildProcessWithoutNullStreams;
  readonly exited: Promise<number | null>;
  readonly #label: string;
  #wake: Array<() => void> = [];

  constructor(label: string, command: string, args: readonly string[], opts: Omit<SpawnOptions, 'stdio'> = {}) {
    this.#label = label;
    this.spawnedAt = Date.now();
    this.proc = spawn(command, [...args], { ...opts, stdio: ['pipe', 'pipe', 'pipe'] }) as ChildProcessWithoutNullStreams;
    this.proc.stdin.on('error', () => undefined);
    this.proc.stderr.setEncoding('utf8').on('data', (s: string) => {
      this.stderr = (this.stderr + s).slice(-20_000);
    });
    createInterface({ input: this.proc.stdout }).on('line', (line) => {
      const receivedAt = Date.now();
      try {
        const v = JSON.parse(line) as Record<string, unknown>;
        if (typeof v.event === 'string') this.events.push({ ...v, event: v.event, receivedAt });
      } catch {
        // not a JSON line (e.g. a human message): ignore
      }
      for (const w of this.#wake.splice(0)) w();
    });
    this.exited = new Promise((resolve) => {
      this.proc.on('close', (code) => {
        resolve(code);
        for (const w of this.#wake.splice(0)) w();
      });
    });
  }

  /** The first `event` line; rejects on an `error` event, on exit, or after `timeoutMs`. */
  async waitFor(event: string, timeoutMs: number): Promise<JsonEvent> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.events.find((e) => e.event === event);
      if (hit) return hit;
      const err = this.events.find((e) => e.event === 'error');
      if (err) throw new Error(`${this.#label}: error event ${JSON.stringify(err)}\n${this.stderr}`);
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) throw new Error(`${this.#label} exited (${this.proc.exitCode ?? this.proc.signalCode}) before '${event}'\n${this.stderr}`);
      const left = end - Date.now();
      if (left <= 0) throw new Error(`${this.#label}: no '${event}' within ${timeoutMs} ms\n${this.stderr}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 1000));
        this.#wake.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Stops the process: closes stdin and sends `signal`, then SIGKILL after `graceMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<number | null> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return this.proc.exitCode;
    this.proc.stdin.end();
    this.proc.kill(signal);
    const kill = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(kill);
    }
  }
}

/**
 * Machine-wide UDP receive counters (IPv4 + IPv6): datagrams delivered to sockets and datagrams the kernel
 * dropped because the receiving socket's buffer was full.
 */
export interface UdpCounters {
  readonly received: number;
  readonly bufferDrops: number;
}

/** Reads {@link UdpCounters} from /proc/net/snmp and /proc/net/snmp6; undefined where they are absent (not Linux). */
export function udpCounters(): UdpCounters | undefined {
  try {
    const v4 = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp: '));
    const names = v4[0]?.split(/\s+/) ?? [];
    const values = v4[1]?.split(/\s+/) ?? [];
    const field4 = (name: string): number => Number(values[names.indexOf(name)] ?? 0);
    const v6 = readFileSync('/proc/net/snmp6', 'utf8');
    const field6 = (name: string): number => Number(new RegExp(`^${name}\\s+(\\d+)$`, 'm').exec(v6)?.[1] ?? 0);
    return {
      received: field4('InDatagrams') + field6('Udp6InDatagrams'),
      bufferDrops: field4('RcvbufErrors') + field6('Udp6RcvbufErrors'),
    };
  } catch {
    return undefined;
  }
}

/** Share (0..1) of the datagrams that arrived between two readings that were dropped at a full buffer. */
export function udpLoss(before: UdpCounters | undefined, after: UdpCounters | undefined): number | undefined {
  if (before === undefined || after === undefined) return undefined;
  const drops = after.bufferDrops - before.bufferDrops;
  const total = after.received - before.received + drops;
  return total > 0 ? drops / total : 0;
}
