/** Human-readable number formatting for CLI output. */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** `1536` → `1.5 KiB`; bytes under 1 KiB stay exact (`512 B`). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 1024) return `${n} B`;
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  const digits = v >= 100 || Number.isInteger(v) ? 0 : v >= 10 ? 1 : 2;
  return `${v.toFixed(digits)} ${UNITS[u]}`;
}

/**
 * Parses a size given on the command line: plain bytes (`262144`) or with a binary suffix
 * (`256K`, `256KiB`, `1M`, `4MiB`). Returns undefined when the text is not a size.
 */
export function parseSize(text: string): number | undefined {
  const m = /^(\d+)\s*(k|kb|kib|m|mb|mib|g|gb|gib)?$/i.exec(text.trim());
  if (m === null) return undefined;
  const base = Number(m[1]);
  const unit = (m[2] ?? '').toLowerCase()[0];
  const mult = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  const v = base * mult;
  return Number.isSafeInteger(v) ? v : undefined;
}
