/**
 * Seek benchmark (GitHub issue 6): cold seek-to-first-byte latency on a 1 GiB single-file v1 torrent with
 * 1 MiB pieces (the transfer bench's cached file and torrent under os.tmpdir()/swarmkit-bench/transfer,
 * made here the same way when missing), from one loopback seed, TCP on 127.0.0.1.
 *
 * The seed is python3-libtorrent (test/interop/py/lt_peer.py, seed mode) for BOTH contenders, one seed
 * process each, so only the leech differs:
 *   - swarmkit: a leech Session in this process with the file at priority 0 (nothing downloads on its
 *     own) and the stream layer as a player uses it: per offset X, `createFileReader(source, { start: X })`
 *     with the default read-ahead (deadline 0 on X's piece; once it is in, later deadlines on the next
 *     pieces of a 4 MiB window: slow start, src/stream/read-ahead.ts) and a PieceNotifier attached; the
 *     figure is the time from creating the reader to its first chunk. The reader is closed after (its
 *     deadlines reset).
 *   - libtorrent: test/interop/py/lt_seek.py, a leech with the file at priority 0; per offset,
 *     set_piece_deadline(piece, 0, alert_when_available) → read_piece_alert, timed in Python.
 * Each measurement is cold: the 20 offsets lie in 20 distinct pieces at least 16 pieces apart (so no
 * read-ahead window reaches the next one), chosen by a seeded PRNG; a piece already present would be
 * skipped and reported. Both leeches wait until the seed's bitfield has arrived before the first seek,
 * and pause SETTLE_MS between seeks. The leech data directories are deleted after each run.
 * It runs SEEK_ROUNDS (default 3) rounds, each with its own 20 offsets, a fresh seed and a fresh leech per
 * contender, the contenders taking turns going first; one round's median swings by ±20 % with the machine.
 * Prints median and p95 over all rounds' seeks for both, per-round medians, and our ratios. Target: ours median ≤ 100 ms and ≤ libtorrent's.
 * Run alone: `npx tsx test/bench/seek.bench.ts`. Diagnostics: SEEK_WINDOW=<bytes> fixes our read-ahead
 * window (its min and max bytes; 1 = the reader's piece only, as the libtorrent leech asks: without the max
 * the window still grows with the measured rate); SEEK_ONLY_OURS=1 skips libtorrent; SEEK_VERBOSE=1 prints
 * every seek's time in order.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TorrentInfo } from '../../src/metainfo/torrent-info.js';
import { Session } from '../../entry/node.js';
import { createFileReader } from '../../src/stream/file-reader.js';
import { handleStreamSource } from '../../src/stream/handle-source.js';
import { PieceNotifier } from '../../src/stream/piece-notifier.js';
import { ltPeerArgs } from '../interop/helpers/libtorrent.js';
import { pyScript } from '../interop/helpers/python.js';
import { BENCH_PIECE as PIECE, BENCH_SIZE as SIZE, transferFixture, warmPageCache } from './fixtures.js';
import { JsonLinesProcess } from './proc-stats.js';
import { median } from './stats.js';

const LOCAL = '127.0.0.1';
const SEEKS = 20;
/** Rounds of SEEKS offsets per contender (SEEK_ROUNDS overrides): one round's median swings with the machine. */
const ROUNDS = Number(process.env.SEEK_ROUNDS ?? 3);
const SEEK_SEED = 0x5eec;
const GAP_PIECES = 16;
const SETTLE_MS = 300;
const windowBytes = process.env.SEEK_WINDOW === undefined ? undefined : Number(process.env.SEEK_WINDOW);

/** SEEKS byte offsets in distinct pieces at least GAP_PIECES apart, in a random order (seeded). */
export function seekOffsets(pieces: number, seed = SEEK_SEED): number[] {
  let s = seed >>> 0;
  const rnd = (n: number): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
  const slots = Array.from({ length: Math.floor(pieces / GAP_PIECES) }, (_, i) => i);
  for (let i = slots.length - 1; i > 0; i--) {
    const j = rnd(i + 1);
    [slots[i], slots[j]] = [slots[j]!, slots[i]!];
  }
  // Within a slot, any piece but the last few, so the 4-piece window stays inside the slot.
  return slots.slice(0, SEEKS).map((slot) => (slot * GAP_PIECES + rnd(GAP_PIECES - 4)) * PIECE + rnd(PIECE));
}

function ltSeed(torrent: string, dataDir: string): JsonLinesProcess {
  return new JsonLinesProcess('lt seed', '/usr/bin/python3', [pyScript('lt_peer.py'), ...ltPeerArgs({ torrent, save: dataDir, mode: 'seed', host: LOCAL, seedMode: true, utp: false, keepRedundant: true })]);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Our leech: a Session in this process, the stream layer's FileReader per offset. */
async function oursOnce(torrentFile: string, seedPort: number, offsets: readonly number[]): Promise<{ ms: number[]; skipped: number }> {
  const ti = await TorrentInfo.fromBytes(readFileSync(torrentFile));
  const save = mkdtempSync(join(tmpdir(), 'swarmkit-seek-ours-'));
  const session = new Session({ settings: { listenInterfaces: `${LOCAL}:0`, enableDht: false, enableLsd: false, enableUpnp: false, enableNatpmp: false } });
  const notifier = new PieceNotifier();
  try {
    await session.ready();
    notifier.attach(session);
    const handle = await session.addTorrent({ ti, savePath: save });
    handle.prioritizeFiles([0]);
    const end = Date.now() + 30_000;
    // Wait until the seed's bitfield is known (it then counts as a seed), as lt_seek.py does.
    while (handle.status().numSeeds === 0) {
      if (Date.now() > end) throw new Error('our leech: the seed did not connect within 30 s');
      if (handle.status().numPeers === 0) await handle.connectPeer({ host: LOCAL, port: seedPort }).catch(() => undefined);
      await sleep(20);
    }
    const source = handleStreamSource(handle, 0, { notifier });
    const ms: number[] = [];
    let skipped = 0;
    for (const off of offsets) {
      if (handle.havePiece(Math.floor(off / PIECE))) {
        skipped++;
        continue;
      }
      const t0 = performance.now();
      const reader = createFileReader(source, { start: off, ...(windowBytes === undefined ? {} : { readAhead: { minWindowBytes: windowBytes, maxWindowBytes: windowBytes } }) });
      const first = await reader.next();
      const dt = performance.now() - t0;
      reader.close();
      if (first.done === true || first.value.length === 0) throw new Error(`no data at ${off}`);
      ms.push(dt);
      await sleep(SETTLE_MS);
    }
    return { ms, skipped };
  } finally {
    await session.close();
    rmSync(save, { recursive: true, force: true });
  }
}

/** libtorrent's leech: lt_seek.py. */
async function libtorrentOnce(torrentFile: string, seedPort: number, offsets: readonly number[]): Promise<{ ms: number[]; skipped: number }> {
  const save = mkdtempSync(join(tmpdir(), 'swarmkit-seek-lt-'));
  const p = new JsonLinesProcess('lt_seek', '/usr/bin/python3', [pyScript('lt_seek.py'), '--torrent', torrentFile, '--save', save, '--peer', `${LOCAL}:${seedPort}`,
    '--offsets', offsets.join(','), '--settle', String(SETTLE_MS / 1000)]);
  try {
    await p.waitFor('exit', 120_000);
    return { ms: p.events.filter((e) => e.event === 'seek').map((e) => Number(e.ms)), skipped: p.events.filter((e) => e.event === 'skipped').length };
  } finally {
    await p.stop('SIGTERM');
    rmSync(save, { recursive: true, force: true });
  }
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

function summary(ms: readonly number[]): { median: number; p95: number; min: number; max: number } {
  const s = [...ms].sort((a, b) => a - b);
  return { median: median(s), p95: quantile(s, 0.95), min: s[0] ?? NaN, max: s.at(-1) ?? NaN };
}

async function withSeed<T>(torrent: string, dataDir: string, fn: (port: number) => Promise<T>): Promise<T> {
  const seed = ltSeed(torrent, dataDir);
  try {
    const ready = await seed.waitFor('ready', 120_000);
    return await fn(Number(ready.port));
  } finally {
    await seed.stop('SIGTERM');
  }
}

/** Prints cold seek latency (median, p95) for swarmkit and libtorrent, and the ratio. */
export async function run(): Promise<void> {
  const { dataDir, torrent, file } = await transferFixture();
  warmPageCache(file);
  const pieces = SIZE / PIECE;
  console.log(`seek: cold seek-to-first-byte, 1 GiB single file, 1 MiB pieces, v1, TCP 127.0.0.1, ${ROUNDS} rounds of ${SEEKS} offsets in distinct untouched pieces`);
  console.log('  seed: python3-libtorrent (lt_peer.py --seed-mode) for both contenders, a fresh seed process and a fresh leech each round; leech file priority 0');
  console.log(`  swarmkit reader read-ahead: ${windowBytes === undefined ? 'default (deadline on the reader\'s piece, then a 4 MiB window once it is in)' : `minWindowBytes ${windowBytes}`}; libtorrent: one set_piece_deadline per seek`);
  const contenders = [...(process.env.SEEK_ONLY_OURS ? [] : [['libtorrent', libtorrentOnce]] as const), ['swarmkit', oursOnce]] as const;
  const results = new Map<string, { rounds: number[][]; skipped: number }>();
  for (let round = 0; round < ROUNDS; round++) {
    // Each round seeks to its own offsets; the contenders take turns going first.
    const offsets = seekOffsets(pieces, SEEK_SEED + round);
    const order = round % 2 === 0 ? contenders : [...contenders].reverse();
    for (const [name, once] of order) {
      try {
        const r = await withSeed(torrent, dataDir, (port) => once(torrent, port, offsets));
        const acc = results.get(name) ?? { rounds: [], skipped: 0 };
        acc.rounds.push(r.ms);
        acc.skipped += r.skipped;
        results.set(name, acc);
      } catch (err) {
        console.log(`  ${name} round ${round + 1} FAILED: ${(err as Error).message.split('\n').slice(0, 6).join('\n    ')}`);
      }
    }
  }
  for (const [name, r] of results) {
    const s = summary(r.rounds.flat());
    if (process.env.SEEK_VERBOSE) r.rounds.forEach((ms, i) => console.log(`  ${name} round ${i + 1} in order: ${ms.map((x) => x.toFixed(1)).join(' ')}`));
    console.log(`  ${name.padEnd(10)} median ${s.median.toFixed(1)} ms, p95 ${s.p95.toFixed(1)} ms (min ${s.min.toFixed(1)}, max ${s.max.toFixed(1)}; ${r.rounds.flat().length} cold seeks`
      + `${r.skipped > 0 ? `, ${r.skipped} skipped: piece already there` : ''}); per-round medians ${r.rounds.map((ms) => summary(ms).median.toFixed(1)).join(' / ')} ms`);
  }
  const ours = results.get('swarmkit');
  const lt = results.get('libtorrent');
  if (ours === undefined || lt === undefined || ours.rounds.length !== lt.rounds.length) return void console.log('  ratio: n/a (a contender failed)');
  const o = summary(ours.rounds.flat());
  const l = summary(lt.rounds.flat());
  const perRound = ours.rounds.map((ms, i) => summary(ms).median / summary(lt.rounds[i]!).median);
  const mark = (ok: boolean): string => (ok ? 'ok' : 'MISSED');
  console.log(`  ours/libtorrent over all seeks: median ${(o.median / l.median).toFixed(2)}x, p95 ${(o.p95 / l.p95).toFixed(2)}x; per round ${perRound.map((x) => `${x.toFixed(2)}x`).join(' / ')} `
    + `(targets: median <= 100 ms: ${mark(o.median <= 100)}; median <= libtorrent's: ${mark(o.median <= l.median)})`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await run();
}
