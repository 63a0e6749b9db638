/**
 * Piece buffers on shared memory and a copy into them: the browser side of hash-shared.node.ts. The
 * browser hash pool does not hash shared memory in place, so these are plain SharedArrayBuffer views
 * and `set` (used only where a caller asks for shared buffers anyway).
 */

/** A `size`-byte view over a new SharedArrayBuffer of exactly `size` bytes, zero-filled. */
export function sharedBytes(size: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(size));
}

/** Copies `src` into `dst` at `at` (like `dst.set(src, at)`). `src` must fit. */
export function copyInto(dst: Uint8Array, src: Uint8Array, at: number): void {
  dst.set(src, at);
}
