#!/usr/bin/env node
// Makes sure the system programs the tests and benchmarks use are present: Debian's Chromium (browser tests),
// python3-libtorrent, mktorrent and opentracker (interop tests and benchmarks), ffmpeg (sample videos for streaming tests). Installs them with apt-get when missing and
// we are root; otherwise stops with a clear message naming what to install.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const wants = [
  { pkg: 'chromium', ok: () => existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium') },
  { pkg: 'python3-libtorrent', ok: () => spawnSync('/usr/bin/python3', ['-c', 'import libtorrent'], { stdio: 'ignore' }).status === 0 },
  { pkg: 'mktorrent', ok: () => spawnSync('mktorrent', ['-h'], { stdio: 'ignore' }).error === undefined },
  { pkg: 'ffmpeg', ok: () => spawnSync('sh', ['-c', 'command -v ffmpeg'], { stdio: 'ignore' }).status === 0 },
  { pkg: 'opentracker', ok: () => spawnSync('sh', ['-c', 'command -v opentracker'], { stdio: 'ignore' }).status === 0 },
];

const missing = wants.filter((w) => !w.ok()).map((w) => w.pkg);
if (missing.length === 0) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
if (!isRoot || !hasApt) {
  console.error(`Missing system packages: ${missing.join(', ')}.\nInstall them with: sudo apt-get install -y ${missing.join(' ')}`);
  process.exit(1);
}
console.error(`Installing missing system packages: ${missing.join(', ')} ...`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
try {
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: 'inherit', env });
} catch (err) {
  console.error(`apt-get failed (${err.message}). Install these by hand: apt-get install -y ${missing.join(' ')}`);
  process.exit(1);
}
const still = wants.filter((w) => missing.includes(w.pkg) && !w.ok()).map((w) => w.pkg);
if (still.length > 0) {
  console.error(`Still missing after apt-get: ${still.join(', ')}`);
  process.exit(1);
}
