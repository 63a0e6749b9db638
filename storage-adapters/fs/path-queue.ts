/**
 * One write at a time per file.
 *
 * A buffered write to a file takes the kernel's per-inode lock exclusively (ext4, xfs, btrfs alike), so
 * pieces written to one file from several libuv threads at once do not overlap: they queue in the kernel,
 * and the waiting threads spin on the lock owner first. On the 1 GiB transfer bench that spinning was
 * 12% of the leech's perf samples. Queuing the writes of each file here costs no throughput and leaves
 * the other threads free (different files are still written in parallel).
 */
export class PathQueue {
  readonly #tails = new Map<string, Promise<unknown>>();

  /** Runs `fn` once every earlier call for `key` has settled; calls for other keys are not held back. */
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#tails.get(key);
    const next = prev === undefined ? fn() : prev.then(fn, fn);
    const tail = next.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return next;
  }

  /** Files with a write queued or running. */
  get size(): number {
    return this.#tails.size;
  }
}
