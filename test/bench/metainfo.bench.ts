// Parser and filter speed: strict bdecode of a 2 MB torrent, TorrentInfo of 100k-piece v1 and 65,536-piece v2
// torrents (the v2 figure includes the piece-layer merkle check), and IPFilter import/lookup of a 200k-line list.
// Runnable alone: npx tsx test/bench/metainfo.bench.ts
import { bdecode, bencode } from '../../src/metainfo/bencode.js';
import { TorrentInfo } from '../../src/metainfo/torrent-info.js';
import { IPFilter } from '../../src/session/ip-filter.js';
import { formatIPv4 } from '../../src/session/ip-address.js';
import { sha256 } from '#platform/sha';
import { merkleRoot, nextPow2 } from '../../src/metainfo/merkle.js';

async function timeIt(label: string, runs: number, fn: () => unknown | Promise<unknown>): Promise<number> {
  await fn();
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    best = Math.min(best, performance.now() - t0);
  }
  console.log(`${label.padEnd(52)} ${best.toFixed(2).padStart(9)} ms (best of ${runs})`);
  return best;
}

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

async function v2Torrent(pieces: number, pieceLength: number): Promise<Uint8Array> {
  const layer = randomBytes(pieces * 32);
  const root = await merkleRoot(layer, nextPow2(pieces), Math.log2(pieceLength / 16384));
  const rootKey = String.fromCharCode(...root);
  const info = new Map<string, unknown>([
    ['file tree', new Map([['big.bin', new Map([['', new Map<string, unknown>([['length', pieces * pieceLength], ['pieces root', root]])]])]])],
    ['meta version', 2],
    ['name', 'big.bin'],
    ['piece length', pieceLength],
  ]);
  return bencode(new Map<string, unknown>([['info', info], ['piece layers', new Map([[rootKey, layer]])]]) as never);
}

export async function run(): Promise<void> {
  const big = bencode({ info: { length: 1, name: 'x', 'piece length': 16384, pieces: new Uint8Array(2_000_000) }, announce: 'http://t' });
  await timeIt('bdecode 2 MB torrent', 20, () => bdecode(big));
  const v1 = bencode({ announce: 'http://t/a', info: { length: 100_000 * 16384, name: 'big', 'piece length': 16384, pieces: randomBytes(2_000_000) } });
  await timeIt('TorrentInfo.fromBytes v1, 100k pieces (2 MB)', 10, () => TorrentInfo.fromBytes(v1));
  const v2 = await v2Torrent(65_536, 16384);
  await timeIt('TorrentInfo.fromBytes v2, 65,536 pieces (merkle check)', 3, () => TorrentInfo.fromBytes(v2));
  await timeIt('sha256 x 65,536 pairs (async platform call)', 3, async () => {
    const pair = new Uint8Array(64);
    for (let i = 0; i < 65_536; i++) await sha256(pair);
  });

  let x = 0x12345678;
  const rnd = (): number => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x;
  };
  const lines: string[] = [];
  for (let i = 0; i < 200_000; i++) {
    const a = rnd();
    lines.push(`Range ${i}:${formatIPv4(a)}-${formatIPv4(Math.min(0xffffffff, a + (rnd() % 4096)))}`);
  }
  const text = lines.join('\n');
  let filter = new IPFilter();
  await timeIt('IPFilter.importP2P 200k lines (+ sweep)', 3, () => {
    filter = new IPFilter();
    filter.importP2P(text);
    return filter.rangeCount();
  });
  const addrs = Array.from({ length: 200_000 }, () => formatIPv4(rnd()));
  const ms = await timeIt('IPFilter.access x 200k (string parse + search)', 3, () => {
    for (const a of addrs) filter.access(a);
  });
  console.log(`IPFilter lookups: ${(200_000 / ms / 1000).toFixed(2)} M/s`);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
