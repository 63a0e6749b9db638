/**
 * Piece buffers on shared memory (hashed in place by the Node hash pool) and a fast copy into them.
 *
 * V8 copies into or out of a SharedArrayBuffer with `TypedArray.prototype.set` through a relaxed-atomic
 * word loop (it must not tear under concurrent access): measured ~300 ms per GiB here against ~25 ms for
 * ordinary memory. Node's `Buffer#fill(bytes, start, end)` with a value exactly `end - start` long is a
 * single native memcpy (~30 ms per GiB) whatever the backing store, so shared piece buffers are made as
 * Buffers and blocks are copied in with `fill`. Writers and the hashing worker never touch a piece buffer
 * at the same time (blocks are copied in before the piece is hashed), so relaxed semantics buy nothing.
 */

/** A `size`-byte view over a new SharedArrayBuffer of exactly `size` bytes, zero-filled. */
export function sharedBytes(size: number): Uint8Array {
  return Buffer.from(new SharedArrayBuffer(size));
}

/**
 * Copies `src` into `dst` at `at` (like `dst.set(src, at)`). `src` must fit: `at + src.length <=
 * dst.length`. Fast when `dst` came from {@link sharedBytes} (or is any Buffer); correct for any view.
 */
export function copyInto(dst: Uint8Array, src: Uint8Array, at: number): void {
  if (src.length === 0) return;
  if (Buffer.isBuffer(dst)) dst.fill(src, at, at + src.length);
  else dst.set(src, at);
}
