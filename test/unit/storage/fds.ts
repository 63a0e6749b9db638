/** Node-only helpers for the fs adapter tests. */
import { readdir, readlink } from 'node:fs/promises';

/** Open descriptors of this process that point under `dir` (Linux /proc). */
export async function fdsUnder(dir: string): Promise<number> {
  let n = 0;
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (target.startsWith(dir + '/')) n++;
  }
  return n;
}
