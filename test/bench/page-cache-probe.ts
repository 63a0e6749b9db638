/**
 * A machine probe for the transfer bench: what it costs the kernel to put new data into the page cache,
 * with memory that was freed a moment ago and with memory freed seconds ago.
 *
 * Why: on these VMs (Firecracker, virtio-balloon with free page reporting) memory the guest frees is
 * handed back to the host after about two seconds, and touching it again costs a host page fault per
 * page. Measured here with a 1 GiB pwrite loop: ~0.2 s of system time when the file's pages reuse memory
 * freed just before, ~1.7–2.2 s after a 3 s pause. A leech writes 1 GiB into new page cache, so its
 * system time (and the CPU ratio between two clients) swings with when the memory it gets was freed, not
 * with anything either client does. The probe prints both costs so a reader can tell how much of a
 * leech's system time is this.
 */
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** As much as a leech writes: freed memory of a few hundred MiB is not handed back within seconds, 1 GiB is. */
const PROBE_BYTES = 1024 * 1024 * 1024;
const CHUNK = 1024 * 1024;
/** Longer than the guest's free page reporting delay (2 s). */
const IDLE_MS = 4000;

/** System CPU seconds spent writing `PROBE_BYTES` into a new file at `path` (deleted before and after). */
function writeCost(path: string, chunk: Uint8Array): number {
  rmSync(path, { force: true });
  const fd = openSync(path, 'w');
  const c0 = process.cpuUsage();
  try {
    for (let at = 0; at < PROBE_BYTES; at += CHUNK) writeSync(fd, chunk, 0, CHUNK, at);
  } finally {
    closeSync(fd);
  }
  const sys = process.cpuUsage(c0).system / 1e6;
  rmSync(path, { force: true });
  return sys;
}

/** Measures and returns a one-line description (system seconds per GiB of new page cache). */
export async function probePageCache(): Promise<string> {
  const dir = join(tmpdir(), 'swarmkit-bench');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `page-cache-probe-${process.pid}.bin`);
  const chunk = new Uint8Array(CHUNK).fill(7);
  const perGiB = (s: number): string => `${((s * (1 << 30)) / PROBE_BYTES).toFixed(2)} s`;
  writeCost(path, chunk); // frees PROBE_BYTES of page cache for the next write to reuse
  const reused = writeCost(path, chunk);
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const idle = writeCost(path, chunk);
  return `machine probe: writing new page cache costs ${perGiB(reused)} of system time per GiB with memory freed just before, `
    + `${perGiB(idle)} per GiB with memory freed ${IDLE_MS / 1000} s before (a VM handing freed memory back to its host); `
    + 'each leech writes 1 GiB, so its sys time carries one of these';
}
