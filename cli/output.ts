/**
 * The CLI's one output channel. Every command writes through an {@link Output}, which speaks one of two
 * dialects:
 *
 * - human (default): text on stdout; progress as a redrawn bar on stderr, only when stderr is a terminal
 *   (so pipes and log files never see `\r` noise); errors as one line on stderr.
 * - json (`--json`): JSON lines on stdout, one object per line, each with an `event` field:
 *   `{"event":"ready",...}`, `{"event":"progress","done":N,"total":N}`, `{"event":"done",...}`,
 *   `{"event":"error","message":...,"code":...}`. Progress events are throttled (at most one per 100 ms,
 *   the final one always sent). One-shot reports (e.g. `info --json`) print one object instead.
 *
 * Uint8Array values are written as lowercase hex and bigints as decimal strings in JSON.
 */
import { errorLine, describeError } from './errors.js';
import { formatBytes } from './format.js';

/** The subset of a Node stream the output needs (a real process stream, or a collector in tests). */
export interface OutputStream {
  write(chunk: string): boolean;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** Options for {@link Output}. */
export interface OutputOptions {
  json: boolean;
  debug?: boolean;
  stdout?: OutputStream;
  stderr?: OutputStream;
  /** Minimum milliseconds between progress updates (default 100). */
  progressIntervalMs?: number;
}

/** Event names of the JSON-lines protocol. */
export type OutputEvent = 'ready' | 'progress' | 'done' | 'error' | (string & {});

function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** Serialises one value as a single JSON line (no newline inside). */
export function jsonLine(value: unknown): string {
  return `${JSON.stringify(value, jsonReplacer)}\n`;
}

/** Writes a command's results as human text or JSON lines (see the module notes). */
export class Output {
  readonly json: boolean;
  readonly debug: boolean;
  private readonly stdout: OutputStream;
  private readonly stderr: OutputStream;
  private readonly interval: number;
  private lastProgressAt = -Infinity;
  private barShown = false;

  constructor(opts: OutputOptions) {
    this.json = opts.json;
    this.debug = opts.debug ?? false;
    this.stdout = opts.stdout ?? process.stdout;
    this.stderr = opts.stderr ?? process.stderr;
    this.interval = opts.progressIntervalMs ?? 100;
  }

  /** A JSON-lines event (json mode only; ignored in human mode). */
  event(name: OutputEvent, fields: Record<string, unknown> = {}): void {
    if (this.json) this.stdout.write(jsonLine({ event: name, ...fields }));
  }

  /** A whole JSON document on one line (json mode only), for one-shot commands such as `info`. */
  object(value: unknown): void {
    if (this.json) this.stdout.write(jsonLine(value));
  }

  /** A line of human text on stdout (human mode only). Callers escape torrent-provided text. */
  line(text = ''): void {
    if (!this.json) {
      this.clearBar();
      this.stdout.write(`${text}\n`);
    }
  }

  /** A note on stderr in human mode (e.g. "wrote x.torrent"). */
  note(text: string): void {
    if (!this.json) {
      this.clearBar();
      this.stderr.write(`${text}\n`);
    }
  }

  /** Aligned `label: value` lines. */
  fields(rows: readonly (readonly [string, string])[]): void {
    const width = Math.max(0, ...rows.map(([k]) => k.length)) + 1;
    for (const [k, v] of rows) this.line(`${`${k}:`.padEnd(width)} ${v}`);
  }

  /**
   * Progress of a long job, in bytes or items. json: a `progress` event; human: a bar on stderr when it is
   * a terminal. Throttled; the update with done === total always goes out.
   */
  progress(done: number, total: number, extra: Record<string, unknown> = {}, unit: 'bytes' | 'items' = 'bytes'): void {
    const now = performance.now();
    const final = done >= total;
    if (!final && now - this.lastProgressAt < this.interval) return;
    this.lastProgressAt = now;
    if (this.json) {
      this.event('progress', { done, total, ...extra });
      return;
    }
    if (this.stderr.isTTY !== true) return;
    const cols = Math.max(40, Math.min(this.stderr.columns ?? 80, 120));
    const pct = total > 0 ? Math.min(1, done / total) : 1;
    const amount = unit === 'bytes' ? `${formatBytes(done)} / ${formatBytes(total)}` : `${done} / ${total}`;
    const label = ` ${(pct * 100).toFixed(0).padStart(3)}%  ${amount}`;
    const barWidth = Math.max(10, cols - label.length - 4);
    const filled = Math.round(pct * barWidth);
    this.stderr.write(`\r[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]${label}\x1b[K`);
    this.barShown = true;
    if (final) this.clearBar();
  }

  /** Reports a failure: an `error` event in json mode, plus the one-line message (and stack with --debug). */
  error(err: unknown): void {
    this.clearBar();
    const { code, message } = describeError(err);
    this.event('error', { message, code });
    this.stderr.write(`${errorLine(err)}\n`);
    if (this.debug && err instanceof Error && err.stack !== undefined) this.stderr.write(`${err.stack}\n`);
  }

  private clearBar(): void {
    if (this.barShown) {
      this.stderr.write('\r\x1b[K');
      this.barShown = false;
    }
  }
}
