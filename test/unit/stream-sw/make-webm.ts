// A small real video for the service worker e2e test: a WebM (VP8, keyframe every second, cues for
// seeking) made with Debian's ffmpeg. ffmpeg is installed with apt-get when missing and we are root;
// otherwise the caller skips with the returned reason.
import { spawnSync } from 'node:child_process';

function hasFfmpeg(): boolean {
  return spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0;
}

/** Makes sure ffmpeg is there (apt-get install as root). Returns undefined when it is, else why not. */
export function ensureFfmpeg(): string | undefined {
  if (hasFfmpeg()) return undefined;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root || spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) {
    return 'ffmpeg is not installed (install Debian\'s ffmpeg: apt-get install -y ffmpeg) — skipping the service worker video test';
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env, timeout: 300_000 });
  spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'ffmpeg'], { stdio: 'ignore', env, timeout: 600_000 });
  return hasFfmpeg() ? undefined : 'ffmpeg could not be installed with apt-get (apt-get install -y ffmpeg) — skipping the service worker video test';
}

/**
 * Writes a `seconds`-long 480x270 noisy test-pattern WebM (VP8 at `kbps`, 25 fps, a keyframe per second) to
 * `path`. Returns undefined on success, or the reason it could not (ffmpeg missing).
 */
export function makeTestWebm(path: string, seconds = 20, kbps = 1500): string | undefined {
  const missing = ensureFfmpeg();
  if (missing !== undefined) return missing;
  const r = spawnSync('ffmpeg', [
    '-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=size=480x270:rate=25:duration=${seconds}`,
    // Noise keeps the encoder at the asked bitrate (a bare test pattern compresses to almost nothing).
    '-vf', 'noise=alls=30:allf=t+u', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', `${kbps}k`, '-g', '25', '-an', path,
  ], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`ffmpeg failed (${String(r.status)}): ${r.stderr}`);
  return undefined;
}
