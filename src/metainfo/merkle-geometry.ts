/**
 * The sizes of BEP 52 merkle trees, apart from the hashing in ./merkle.ts (which re-exports them) so that
 * code that only measures trees (piece verification, the hash-request server) does not carry the tree
 * hashing into a page's initial load: that is loaded with the v2 code that builds trees.
 */

/** Bytes covered by one merkle leaf. */
export const MERKLE_BLOCK = 16384;
/** Bytes in one hash. */
export const HASH_LEN = 32;

/** Smallest power of two ≥ n (n ≥ 1). */
export function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
