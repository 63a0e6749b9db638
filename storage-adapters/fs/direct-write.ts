/**
 * Writes that skip the page cache (O_DIRECT) when the bytes allow it.
 *
 * Why: a leech writes every byte it downloads once, and putting new data into the page cache costs the
 * kernel more than the copy. On these VMs (memory the guest freed is handed back to the host after ~2 s)
 * it costs ~2 s of system time per GiB written, against ~0.1 s for the same GiB written with O_DIRECT
 * (measured with a 1 GiB pwrite loop; see test/bench/page-cache-probe.ts). Page-cache writes also push
 * out what the rest of the machine had cached. libtorrent 1.x offered the same as `disable_os_cache`.
 *
 * When: O_DIRECT needs the memory address, the file offset and the length to be multiples of the device's
 * logical block size (4 KiB covers every device). JavaScript cannot see addresses: an ordinary
 * ArrayBuffer starts 16 bytes into its malloc'd mapping, so only the piece buffers made by
 * `sharedBytes` (src/platform/hash-shared.node.ts: page-aligned WebAssembly memory) qualify, at 4 KiB
 * offsets. A write is tried direct when offset, length and view offset are aligned and it is at least
 * {@link DIRECT_MIN} bytes (small writes are cheaper through the cache); a buffer the kernel refuses
 * (EINVAL: its memory is not aligned) is remembered and written through the cache from then on. Anything
 * not written direct (unaligned ends of files, the short last piece, blocks written as they arrive) goes
 * through the cache as before; the two never share a page, and the kernel keeps cached pages coherent with
 * direct writes (it writes back and drops the cached range).
 *
 * Reads stay buffered: a piece written direct is read back from the device, not from memory.
 */
import type { FileHandle } from 'node:fs/promises';
import { errnoOf } from './errors.js';

/** Alignment of address, offset and length for O_DIRECT on any Linux block device. */
export const DIRECT_ALIGN = 4096;
/** Smallest write tried direct. */
export const DIRECT_MIN = 64 * 1024;

/** Buffers the kernel refused for O_DIRECT (unaligned memory). */
const refused = new WeakSet<ArrayBufferLike>();

/** Whether `data` written at file offset `position` may go direct (the memory's own alignment is tried). */
export function canWriteDirect(data: Uint8Array, position: number): boolean {
  return (
    data.length >= DIRECT_MIN &&
    data.length % DIRECT_ALIGN === 0 &&
    position % DIRECT_ALIGN === 0 &&
    data.byteOffset % DIRECT_ALIGN === 0 &&
    !refused.has(data.buffer)
  );
}

/**
 * Writes `data` at `position` through the O_DIRECT handle `fh` in one call. Returns the bytes written: 0
 * when the kernel refused the buffer (then the caller writes it through the cache), possibly fewer than
 * asked (the caller writes the rest through the cache). Other errors are thrown as they come.
 */
export async function writeDirect(fh: FileHandle, data: Uint8Array, position: number): Promise<number> {
  try {
    const { bytesWritten } = await fh.write(data, 0, data.length, position);
    return Math.max(0, bytesWritten);
  } catch (err) {
    if (errnoOf(err) !== 'EINVAL') throw err;
    refused.add(data.buffer);
    return 0;
  }
}
