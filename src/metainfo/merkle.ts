/**
 * BEP 52 merkle trees over SHA-256.
 *
 * Leaves are SHA-256 hashes of 16 KiB blocks (the last block of a file may be short). A tree's leaf
 * count is padded to a power of two with zero hashes (32 zero bytes); inner nodes hash the
 * concatenation of their two children. A "piece layer" is the layer whose nodes each cover one piece
 * (height log2(pieceLength / 16 KiB) above the leaves); when a tree is built from a piece layer, its
 * padding nodes are the roots of all-zero subtrees of that height, see {@link padHash}.
 */
import { hasSyncHash, sha256, sha256Sync } from '#platform/sha';
import { HASH_LEN } from './merkle-geometry.js';

export { HASH_LEN, MERKLE_BLOCK, nextPow2 } from './merkle-geometry.js';

const padCache: Uint8Array[] = [new Uint8Array(HASH_LEN)];
/** The cache is extended by one chain of awaits at a time, so concurrent callers never interleave writes. */
let padFill: Promise<void> = Promise.resolve();

/** The root of an all-zero-leaf subtree of the given height (0 = a zero leaf). */
export async function padHash(height: number): Promise<Uint8Array> {
  if (height < padCache.length) return padCache[height]!;
  padFill = padFill.then(async () => {
    while (padCache.length <= height) {
      const below = padCache[padCache.length - 1]!;
      const pair = new Uint8Array(HASH_LEN * 2);
      pair.set(below, 0);
      pair.set(below, HASH_LEN);
      padCache.push(await sha256(pair));
    }
  });
  await padFill;
  return padCache[height]!;
}

/**
 * Root of a tree whose bottom layer is `layer` (concatenated 32-byte hashes), padded to `width`
 * nodes (a power of two ≥ the node count) with {@link padHash}(`padHeight`).
 */
export async function merkleRoot(layer: Uint8Array, width: number, padHeight = 0): Promise<Uint8Array> {
  const count = layer.length / HASH_LEN;
  if (!Number.isInteger(count) || count < 1) throw new RangeError('merkle layer must hold at least one 32-byte hash');
  if (width < count || (width & (width - 1)) !== 0) throw new RangeError('merkle width must be a power of two ≥ the node count');
  let nodes = layer;
  let n = count;
  let w = width;
  let h = padHeight;
  while (w > 1) {
    const pad = await padHash(h);
    const parents = Math.ceil(n / 2);
    const next = new Uint8Array(parents * HASH_LEN);
    const pair = new Uint8Array(HASH_LEN * 2);
    for (let i = 0; i < parents; i++) {
      pair.set(nodes.subarray(2 * i * HASH_LEN, (2 * i + 1) * HASH_LEN), 0);
      if (2 * i + 1 < n) pair.set(nodes.subarray((2 * i + 1) * HASH_LEN, (2 * i + 2) * HASH_LEN), HASH_LEN);
      else pair.set(pad, HASH_LEN);
      // Node hashes 64-byte pairs synchronously: an await per node costs more than the hash itself.
      next.set(hasSyncHash ? sha256Sync(pair) : await sha256(pair), i * HASH_LEN);
    }
    nodes = next;
    n = parents;
    w /= 2;
    h++;
  }
  return nodes.slice(0, HASH_LEN);
}
