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

/** WebAssembly's page size: shared memories come in whole pages. */
const WASM_PAGE = 65536;

/**
 * A `size`-byte view over a new SharedArrayBuffer of exactly `size` bytes, zero-filled.
 *
 * When `size` is a whole number of 64 KiB pages the buffer is the memory of a shared WebAssembly.Memory,
 * which V8 maps on its own pages, so the bytes start on a page boundary. An ordinary (Shared)ArrayBuffer
 * comes from malloc and starts 16 bytes into its mapping; the fs storage adapter can write a page-aligned
 * piece with O_DIRECT (storage-adapters/fs/direct-write.ts), which skips the page cache and its cost on
 * these VMs (~2 s of kernel time per GiB written, against ~0.1 s). Each such memory reserves address space
 * (not RAM) for its guard region; when V8 refuses one (about 13,000 live ones) a plain buffer is made.
 */
export function sharedBytes(size: number): Uint8Array {
  if (size >= WASM_PAGE && size % WASM_PAGE === 0) {
    try {
      const pages = size / WASM_PAGE;
      return Buffer.from(new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true }).buffer);
    } catch {
      // address space for guard regions exhausted: an unaligned buffer works the same, minus O_DIRECT
    }
  }
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
