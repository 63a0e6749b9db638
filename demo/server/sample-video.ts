/**
 * The demo's sample video: a streamable WebM (VP8, a keyframe per second, cues for seeking) made once on
 * this machine with Debian's ffmpeg (scripts/ensure-system-deps.mjs installs it) and kept under the demo's
 * data folder. Noise keeps the encoder at the asked bitrate; a bare test pattern compresses to almost
 * nothing, and the demo should have enough bytes (~12 MB) that a seek needs pieces not yet downloaded.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, rename, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TorrentError } from '../../src/errors.js';

/** Length and bitrate of the sample. */
export const SAMPLE_SECONDS = 40;
const SAMPLE_KBPS = 2500;

/**
 * Makes the sample WebM at `path` unless a non-empty one is there already; resolves its size in bytes.
 * Rejects `not_supported` when ffmpeg is missing, `create_io_error` when it fails.
 */
export async function ensureSampleVideo(path: string): Promise<number> {
  const have = await stat(path).then((s) => s.size, () => 0);
  if (have > 0) return have;
  if (spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status !== 0) {
    throw new TorrentError('not_supported', 'ffmpeg is missing: run `node scripts/ensure-system-deps.mjs` (or apt-get install -y ffmpeg)');
  }
  await mkdir(dirname(path), { recursive: true });
  // Written beside and renamed, so an interrupted first start never leaves a truncated sample.
  const tmp = `${path}.part.webm`;
  const r = spawnSync('ffmpeg', [
    '-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=size=640x360:rate=25:duration=${SAMPLE_SECONDS}`,
    '-vf', 'noise=alls=30:allf=t+u', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8',
    '-b:v', `${SAMPLE_KBPS}k`, '-g', '25', '-an', tmp,
  ], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new TorrentError('create_io_error', `ffmpeg failed (${String(r.status)}): ${r.stderr}`);
  await rename(tmp, path);
  return (await stat(path)).size;
}
