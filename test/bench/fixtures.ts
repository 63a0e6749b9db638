/**
 * Cached data for the benchmarks: 1 GiB files of random bytes under os.tmpdir()/swarmkit-bench, made once
 * and reused across runs (a file is written to a temporary name and renamed, so an interrupted run never
 * leaves a short file behind under the real name), plus a helper that reads a file once so every contender
 * starts from the page cache.
 */
import { randomFillSync } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CreateTorrent } from '../../src/metainfo/create-torrent.js';

/** Size of the benchmark data files: 1 GiB. */
export const BENCH_SIZE = 1024 * 1024 * 1024;
/** Piece length of the benchmark torrents: 1 MiB. */
export const BENCH_PIECE = 1024 * 1024;
/** Where the benchmarks keep their cached files. */
export const BENCH_DIR = join(tmpdir(), 'swarmkit-bench');
/** The transfer fixture's directory and data file name (its torrent's single file). */
export const TRANSFER_DIR = join(BENCH_DIR, 'transfer');
export const TRANSFER_NAME = 'payload-1g.bin';

/** Makes `file` hold BENCH_SIZE random bytes unless it already has that size; true when it was (re)written. */
function ensureRandomFile(file: string): boolean {
  if (existsSync(file) && statSync(file).size === BENCH_SIZE) return false;
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  const chunk = new Uint8Array(64 * 1024 * 1024);
  for (let done = 0; done < BENCH_SIZE; done += chunk.length) {
    randomFillSync(chunk);
    writeSync(fd, chunk);
  }
  closeSync(fd);
  renameSync(tmp, file);
  return true;
}

/** The cached 1 GiB file of random bytes the CreateTorrent bench hashes; created on first use. */
export function benchFile(): string {
  const file = join(BENCH_DIR, 'create-1g.bin');
  ensureRandomFile(file);
  return file;
}

/**
 * The transfer benches' 1 GiB data file and its v1 torrent (1 MiB pieces, no creation date), made once and
 * reused; the torrent is remade whenever the data file is.
 */
export async function transferFixture(): Promise<{ dataDir: string; torrent: string; file: string }> {
  const file = join(TRANSFER_DIR, TRANSFER_NAME);
  const torrent = join(TRANSFER_DIR, 'payload-1g.v1.torrent');
  if (ensureRandomFile(file)) rmSync(torrent, { force: true });
  if (!existsSync(torrent)) {
    const ct = new CreateTorrent({ version: 'v1', pieceLength: BENCH_PIECE, creationDate: null });
    await ct.addPath(file);
    writeFileSync(torrent, await ct.generate());
  }
  return { dataDir: TRANSFER_DIR, torrent, file };
}

/** Reads `file` once so it is in the page cache. */
export function warmPageCache(file: string): void {
  const fd = openSync(file, 'r');
  const buf = new Uint8Array(64 * 1024 * 1024);
  while (readSync(fd, buf) > 0);
  closeSync(fd);
}
