/**
 * A counting semaphore with abortable waits: how many torrents check files at once (`activeChecking`).
 * Waiters are served in FIFO order; an aborted wait leaves the queue and rejects with `aborted`.
 */
import { TorrentError } from '../errors.js';

/** FIFO counting semaphore. */
export class Slots {
  #limit: number;
  #used = 0;
  #waiters: Array<{ grant: () => void }> = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Changes the limit; raising it admits waiters at once. */
  setLimit(limit: number): void {
    this.#limit = limit;
    this.#pump();
  }

  /** Slots in use. */
  get used(): number {
    return this.#used;
  }

  /** Waits for a slot; the returned function releases it (idempotent). */
  acquire(signal: AbortSignal): Promise<() => void> {
    if (signal.aborted) return Promise.reject(new TorrentError('aborted', 'aborted while waiting for a checking slot'));
    return new Promise((resolve, reject) => {
      const entry = {
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          this.#used++;
          let released = false;
          resolve(() => {
            if (released) return;
            released = true;
            this.#used--;
            this.#pump();
          });
        },
      };
      const onAbort = (): void => {
        const i = this.#waiters.indexOf(entry);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(new TorrentError('aborted', 'aborted while waiting for a checking slot'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(entry);
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#used < this.#limit && this.#waiters.length > 0) this.#waiters.shift()!.grant();
  }
}
