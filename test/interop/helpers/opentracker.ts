/**
 * Starts Debian's opentracker on 127.0.0.1 (HTTP and UDP on one port) for interop tests. Debian's build
 * only serves whitelisted info-hashes and drops to user nobody before reading the whitelist, so the
 * directory and file are made world-readable. Stop it with {@link Opentracker.stop}.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The opentracker binary, if installed. */
export const OPENTRACKER_BIN = ['/usr/bin/opentracker', '/usr/sbin/opentracker'].find((p) => existsSync(p));

/** A running opentracker. */
export interface Opentracker {
  readonly port: number;
  readonly httpUrl: string;
  readonly udpUrl: string;
  /** stdout + stderr so far. */
  log(): string;
  stop(): Promise<void>;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freeTcpPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => {
      s.destroy();
      resolve(false);
    });
  });
}

/** Starts opentracker serving `infoHashesHex` (40-hex v1 / truncated hashes). */
export async function startOpentracker(infoHashesHex: readonly string[]): Promise<Opentracker> {
  if (OPENTRACKER_BIN === undefined) throw new Error('opentracker is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'sk-opentracker-'));
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'whitelist'), infoHashesHex.map((h) => `${h}\n`).join(''), { mode: 0o644 });
  writeFileSync(join(dir, 'opentracker.conf'), `access.whitelist ${join(dir, 'whitelist')}\n`, { mode: 0o644 });
  const port = await freeTcpPort();
  const proc = spawn(OPENTRACKER_BIN, ['-f', join(dir, 'opentracker.conf'), '-i', '127.0.0.1', '-p', String(port), '-P', String(port)], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  proc.stdout.on('data', (c: Buffer) => (log += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (log += c.toString()));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (!(await canConnect(port))) {
    if (Date.now() > deadline || proc.exitCode !== null) {
      await stop();
      throw new Error(`opentracker did not start: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port, httpUrl: `http://127.0.0.1:${port}/announce`, udpUrl: `udp://127.0.0.1:${port}/announce`, log: () => log, stop };
}
