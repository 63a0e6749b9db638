/**
 * HTTP Range handling (RFC 9110 §14), shared by the Node server and the service worker.
 *
 * Decisions, per RFC 9110:
 * - No Range header, or a range unit other than `bytes` → serve the whole file (200). §14.2: a server
 *   MUST ignore a Range whose unit it does not understand.
 * - One byte range → 206 with Content-Range. `a-b` with b past the end is clamped to the last byte;
 *   `-n` is the last n bytes (the whole file when n ≥ size); `a-` runs to the end (§14.1.2).
 * - Several well-formed ranges → the Range is ignored and the whole file is sent (200). §14.2 lets a
 *   server ignore Range; we never build multipart/byteranges (no browser media element asks for it).
 *   More than {@link MAX_RANGES} ranges → 416 ("an excessive number of ranges", §15.5.17).
 * - A syntactically broken `bytes=` value (no digits, letters, signs, `--5`, empty parts, numbers longer
 *   than 16 digits) → 400 Bad Request. The header is rejected, not guessed at.
 * - Unsatisfiable: first byte ≥ size, a reversed range (`b < a`, an invalid range-spec per §14.1.1 that
 *   nginx also answers with 416), `-0`, or any range of an empty file → 416 with
 *   `Content-Range: bytes *\/size` (§14.4).
 * Whitespace around the `=` and list commas is tolerated (OWS), the unit is case-insensitive.
 */

/** Most ranges accepted in one header before it is rejected as excessive. */
export const MAX_RANGES = 64;
/** Longest Range header value parsed; longer is malformed. */
export const MAX_RANGE_HEADER = 1024;

/** What to do with a request's Range header. */
export type RangeDecision =
  /** Serve the whole file with 200. */
  | { readonly kind: 'full' }
  /** Serve bytes [start, end] (inclusive) with 206. */
  | { readonly kind: 'partial'; readonly start: number; readonly end: number }
  /** Answer 416 with `Content-Range: bytes *\/size`. */
  | { readonly kind: 'unsatisfiable' }
  /** Answer 400. */
  | { readonly kind: 'malformed' };

const FULL: RangeDecision = { kind: 'full' };
const UNSATISFIABLE: RangeDecision = { kind: 'unsatisfiable' };
const MALFORMED: RangeDecision = { kind: 'malformed' };
const SPEC = /^(\d{0,16})-(\d{0,16})$/;

/** Decides how to answer a Range header for a file of `size` bytes. */
export function parseRange(header: string | null | undefined, size: number): RangeDecision {
  if (header === null || header === undefined) return FULL;
  if (header.length > MAX_RANGE_HEADER) return MALFORMED;
  const eq = header.indexOf('=');
  if (eq < 0) return header.trim() === '' ? FULL : MALFORMED;
  if (header.slice(0, eq).trim().toLowerCase() !== 'bytes') return FULL;
  const parts = header.slice(eq + 1).split(',');
  if (parts.length > MAX_RANGES) return UNSATISFIABLE;
  const specs: Array<{ first: string; last: string }> = [];
  for (const raw of parts) {
    const m = SPEC.exec(raw.trim());
    if (!m) return MALFORMED;
    const first = m[1]!;
    const last = m[2]!;
    if (first === '' && last === '') return MALFORMED;
    specs.push({ first, last });
  }
  if (specs.length !== 1) return FULL;
  const { first, last } = specs[0]!;
  if (size <= 0) return UNSATISFIABLE;
  if (first === '') {
    const n = Number(last);
    if (n === 0) return UNSATISFIABLE;
    return { kind: 'partial', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  if (start >= size) return UNSATISFIABLE;
  if (last === '') return { kind: 'partial', start, end: size - 1 };
  const end = Number(last);
  if (end < start) return UNSATISFIABLE;
  return { kind: 'partial', start, end: Math.min(end, size - 1) };
}

/** The Content-Range value of a 206: `bytes start-end/size`. */
export function contentRange(start: number, end: number, size: number): string {
  return `bytes ${start}-${end}/${size}`;
}

/** The Content-Range value of a 416: `bytes *\/size`. */
export function unsatisfiedRange(size: number): string {
  return `bytes */${size}`;
}
