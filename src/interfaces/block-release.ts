/**
 * Release handles on outgoing block views (zero-copy uploads with recycled piece buffers).
 *
 * The upload cache hands the uploader VIEWS of its pooled piece buffers. A view may carry a release
 * function under {@link BLOCK_RELEASE}; calling it tells the cache that nobody will read the view again, so
 * once every view of an evicted piece is released its buffer may be refilled with another piece.
 *
 * Rules (they are what makes recycling safe):
 * - Whoever holds a view last calls {@link releaseBlock} exactly when it will never read it again: the
 *   uploader for a block it drops without sending; a transport (transports/tcp) once the socket's write
 *   callback ran for it (the kernel has copied the bytes), or when it drops the bytes unsent.
 * - Anyone who does not know about the handle simply never calls it: the view then pins its buffer
 *   until GC collects both (the buffer is never reused). Forgetting a release costs memory reuse, never
 *   correctness; releasing early is the only way to break it, so only the final consumer releases.
 * - A wrapper stream that forwards the same chunk objects (MeteredStream) and keeps no reference after
 *   forwarding is transparent. A stream that copies a chunk may release it right after the copy.
 * - Releasing twice is harmless (the handle runs once).
 *
 * Part of the PeerStream contract (transport.ts): every transport that queues written chunks by reference
 * imports {@link releaseOf} / {@link releaseBlock} from here. The symbol is registered (`Symbol.for`), so a
 * view made by another copy of the package still releases.
 */

/** The property under which a block view carries its release function. */
export const BLOCK_RELEASE: unique symbol = Symbol.for('swarmkit.blockRelease');

/** A view that may carry a release function. */
type Releasable = Uint8Array & { [BLOCK_RELEASE]?: () => void };

/** Attaches `release` (run at most once) to `view`; returns the view. */
export function withRelease(view: Uint8Array, release: () => void): Uint8Array {
  let done = false;
  Object.defineProperty(view, BLOCK_RELEASE, {
    value: () => {
      if (done) return;
      done = true;
      release();
    },
  });
  return view;
}

/** Runs the release function `view` carries, if any (see the rules above). */
export function releaseBlock(view: Uint8Array): void {
  (view as Releasable)[BLOCK_RELEASE]?.();
}

/** The release function `view` carries, if any. */
export function releaseOf(view: Uint8Array): (() => void) | undefined {
  return (view as Releasable)[BLOCK_RELEASE];
}
