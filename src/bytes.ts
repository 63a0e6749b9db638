/**
 * Byte-array helpers shared by every layer (no imports, runtime-neutral).
 *
 * {@link bytesEqual} is for ids and digests we compare in the open (info-hashes, peer ids, piece hashes,
 * node ids). Secrets are compared in constant time where they live (dht/tokens.ts), not with it.
 */

/** True when `a` and `b` hold the same bytes. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
