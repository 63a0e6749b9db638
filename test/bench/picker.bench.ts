// Piece picker micro-benchmark: picks/second for a 1 GiB torrent (1 MiB and 16 KiB pieces) and 50 peers,
// downloading the whole torrent through the picker, against a naive rarest-first that scans every piece.
// Run alone: npx tsx test/bench/picker.bench.ts
import { BLOCK_SIZE, Lengths } from '../../src/metainfo/lengths.js';
import { emptyBitfield, hasPiece, setPiece } from '../../src/picker/bits.js';
import { PiecePicker } from '../../src/picker/piece-picker.js';

const GiB = 1024 * 1024 * 1024;
const PEERS = 50;
const BATCH = 16; // blocks asked per pick call

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function peers(pieceCount: number, random: () => number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let p = 0; p < PEERS; p++) {
    const bf = emptyBitfield(pieceCount);
    const share = 0.2 + 0.6 * random();
    for (let i = 0; i < pieceCount; i++) if (random() < share) setPiece(bf, i);
    out.push(bf);
  }
  const last = out[PEERS - 1]!;
  for (let i = 0; i < pieceCount; i++) setPiece(last, i); // one complete peer, counted per piece
  return out;
}

function downloadAll(pieceLength: number): { calls: number; blocks: number; ms: number } {
  const random = prng(42);
  const lengths = new Lengths(GiB, pieceLength);
  const picker = new PiecePicker(lengths, { random });
  const bfs = peers(lengths.pieceCount, random);
  for (const bf of bfs) picker.addBitfield(bf);
  const views = bfs.map((bitfield) => ({ bitfield, seed: false, isRequesting: () => false }));
  let calls = 0;
  let blocks = 0;
  const start = performance.now();
  for (let round = 0; !picker.isEndgame() && picker.haveCount < lengths.pieceCount; round++) {
    const peer = views[round % PEERS]!;
    const picked = picker.pickBlocks(peer, BATCH);
    calls++;
    blocks += picked.length;
    for (const k of picked) {
      if (picker.blockReceived(k, round % PEERS).pieceComplete) picker.pieceVerified(Math.floor(k / picker.blocksPerPiece));
      picker.releaseRequest(k);
    }
  }
  return { calls, blocks, ms: performance.now() - start };
}

/** The textbook alternative: scan every piece per pick for the rarest one the peer has. */
function naivePicks(pieceLength: number, picks: number): { calls: number; ms: number } {
  const random = prng(42);
  const lengths = new Lengths(GiB, pieceLength);
  const n = lengths.pieceCount;
  const bfs = peers(n, random);
  const avail = new Uint32Array(n);
  for (const bf of bfs) for (let i = 0; i < n; i++) if (hasPiece(bf, i)) avail[i]!++;
  const have = new Uint8Array(n);
  const start = performance.now();
  for (let c = 0; c < picks; c++) {
    const bf = bfs[c % PEERS]!;
    let best = -1;
    for (let i = 0; i < n; i++) if (have[i] === 0 && hasPiece(bf, i) && (best < 0 || avail[i]! < avail[best]!)) best = i;
    if (best >= 0) have[best] = 1;
  }
  return { calls: picks, ms: performance.now() - start };
}

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');

/** Runs the benchmark and prints figures. */
export async function run(): Promise<void> {
  for (const pieceLength of [1024 * 1024, BLOCK_SIZE]) {
    const label = pieceLength >= 1024 * 1024 ? '1 MiB pieces' : '16 KiB pieces';
    downloadAll(pieceLength); // warm-up
    let r = downloadAll(pieceLength);
    for (let i = 0; i < 4; i++) {
      const again = downloadAll(pieceLength); // best of 5: the machine is shared
      if (again.ms < r.ms) r = again;
    }
    const perSec = (r.calls * 1000) / r.ms;
    console.log(`picker, 1 GiB, ${label}, ${PEERS} peers: ${fmt(perSec)} picks/s (${BATCH} blocks each), ${fmt((r.blocks * 1000) / r.ms)} blocks/s, whole torrent in ${r.ms.toFixed(0)} ms`);
    const naive = naivePicks(pieceLength, pieceLength >= 1024 * 1024 ? 5000 : 300);
    const naivePerSec = (naive.calls * 1000) / naive.ms;
    console.log(`  naive full-scan rarest-first: ${fmt(naivePerSec)} picks/s (1 piece each) → bucketed picker ${(perSec / naivePerSec).toFixed(1)}× the pick rate`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
