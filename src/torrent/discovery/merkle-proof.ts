/**
 * BEP 52 merkle proofs for hash messages (src/wire/hash-messages.ts): checking a hashes reply against a
 * file's pieces root, and building the reply for a range of a layer we hold.
 *
 * A reply for `length` hashes at `index` of some base layer proves itself like this: the base hashes form a
 * complete subtree (length is a power of two, index a multiple of it) whose root sits log2(length) layers
 * above the base; each uncle hash is the sibling of the running node one layer further up (left or right by
 * the node's position), until the file's root. The reply is good only when the result equals the pieces
 * root we already trust (from the info dict, covered by the info-hash).
 */
import { hasSyncHash, sha256, sha256Sync } from '#platform/sha';
import { HASH_LEN, merkleRoot, nextPow2, padHash } from '../../metainfo/merkle.js';
import { bytesEqual } from '../../bytes.js';

async function pair(left: Uint8Array, right: Uint8Array): Promise<Uint8Array> {
  const buf = new Uint8Array(HASH_LEN * 2);
  buf.set(left, 0);
  buf.set(right, HASH_LEN);
  return hasSyncHash ? sha256Sync(buf) : sha256(buf);
}

/** The range a reply covers and its hashes: `length` base hashes then the uncles, bottom up. */
export interface ProofInput {
  readonly baseLayer: number;
  readonly index: number;
  readonly length: number;
  readonly hashes: Uint8Array;
}

/**
 * Whether `reply` proves its base hashes against `root`, the root of a tree `height` layers above the base
 * layer (the uncles must lead exactly there). Malformed shapes simply fail.
 */
export async function verifyProof(reply: ProofInput, root: Uint8Array, height: number): Promise<boolean> {
  const { length, index, hashes } = reply;
  if (length < 1 || (length & (length - 1)) !== 0 || index % length !== 0 || hashes.length % HASH_LEN !== 0) return false;
  const uncles = hashes.length / HASH_LEN - length;
  if (uncles < 0 || Math.log2(length) + uncles !== height) return false;
  let node = await merkleRoot(hashes.subarray(0, length * HASH_LEN), length, reply.baseLayer);
  let pos = index / length;
  for (let k = 0; k < uncles; k++) {
    const u = hashes.subarray((length + k) * HASH_LEN, (length + k + 1) * HASH_LEN);
    node = pos % 2 === 0 ? await pair(node, u) : await pair(u, node);
    pos = Math.floor(pos / 2);
  }
  return pos === 0 && bytesEqual(node, root);
}

/**
 * Every layer of a file's tree from a base layer up to the root: `layers[0]` is `base` padded to a power
 * of two with {@link padHash}(`padHeight`), the last layer is the root alone.
 */
export async function treeLayers(base: Uint8Array, padHeight: number): Promise<Uint8Array[]> {
  const count = base.length / HASH_LEN;
  const width = nextPow2(Math.max(1, count));
  const first = new Uint8Array(width * HASH_LEN);
  first.set(base, 0);
  const pad = await padHash(padHeight);
  for (let i = count; i < width; i++) first.set(pad, i * HASH_LEN);
  const layers = [first];
  let cur = first;
  while (cur.length > HASH_LEN) {
    const n = cur.length / HASH_LEN / 2;
    const next = new Uint8Array(n * HASH_LEN);
    for (let i = 0; i < n; i++) {
      next.set(await pair(cur.subarray(2 * i * HASH_LEN, (2 * i + 1) * HASH_LEN), cur.subarray((2 * i + 1) * HASH_LEN, (2 * i + 2) * HASH_LEN)), i * HASH_LEN);
    }
    layers.push(next);
    cur = next;
  }
  return layers;
}

/**
 * The hashes of a reply: `length` hashes of `layers[0]` from `index`, then `uncles` uncle hashes bottom
 * up. Undefined when the range or the uncles do not fit the tree.
 */
export function buildProof(layers: readonly Uint8Array[], index: number, length: number, uncles: number): Uint8Array | undefined {
  const base = layers[0];
  if (!base || length < 1 || (length & (length - 1)) !== 0 || index % length !== 0) return undefined;
  if ((index + length) * HASH_LEN > base.length) return undefined;
  const h = Math.log2(length);
  if (h + uncles > layers.length - 1) return undefined;
  const out = new Uint8Array((length + uncles) * HASH_LEN);
  out.set(base.subarray(index * HASH_LEN, (index + length) * HASH_LEN), 0);
  let pos = index / length;
  for (let k = 0; k < uncles; k++) {
    const layer = layers[h + k]!;
    const sib = pos ^ 1;
    out.set(layer.subarray(sib * HASH_LEN, (sib + 1) * HASH_LEN), (length + k) * HASH_LEN);
    pos >>= 1;
  }
  return out;
}
