/**
 * The status and headers a stream answer carries, decided from the request's method, Range and If-Range
 * and the file (range.ts decides 200/206/400/416; mime.ts the Content-Type). The same decisions as the
 * Node server (stream-server/http-server.ts): ETag `"<infoHash>-<fileIndex>"` (a torrent's content never
 * changes for an info-hash), If-Range honoured with it, `nosniff` and `Content-Security-Policy: sandbox`
 * so a torrent's HTML/SVG cannot script the page's origin through the worker.
 */
import { contentTypeFor } from '../mime.js';
import { contentRange, parseRange, unsatisfiedRange } from '../range.js';

/** What the answer is: the head, and the byte range to send when there is a body. */
export interface ResponsePlan {
  readonly status: number;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** Whether body bytes follow (false for HEAD, errors and empty ranges). */
  readonly body: boolean;
  /** First and last byte (inclusive) of the body; meaningful when `body`. */
  readonly start: number;
  readonly end: number;
}

/** The request fields a plan depends on. */
export interface PlanRequest {
  readonly method: 'GET' | 'HEAD';
  readonly range: string | null;
  readonly ifRange: string | null;
}

/** The file fields a plan depends on. */
export interface PlanFile {
  readonly infoHash: string;
  readonly fileIndex: number;
  readonly path: string;
  readonly length: number;
}

const TEXT = 'text/plain; charset=utf-8';

/** A plain-text answer without a body (errors; the worker adds the message text). */
export function errorPlan(status: number, extra: ReadonlyArray<readonly [string, string]> = []): ResponsePlan {
  return { status, headers: [['Content-Type', TEXT], ...extra], body: false, start: 0, end: -1 };
}

/** Decides the answer to `req` for `file`. */
export function planResponse(req: PlanRequest, file: PlanFile): ResponsePlan {
  const size = file.length;
  const etag = `"${file.infoHash}-${file.fileIndex}"`;
  const decision = req.ifRange !== null && req.ifRange !== etag ? { kind: 'full' as const } : parseRange(req.range, size);
  if (decision.kind === 'malformed') return errorPlan(400);
  const base: Array<[string, string]> = [
    ['Accept-Ranges', 'bytes'],
    ['Content-Type', contentTypeFor(file.path)],
    ['ETag', etag],
    ['X-Content-Type-Options', 'nosniff'],
    ['Content-Security-Policy', 'sandbox'],
  ];
  if (decision.kind === 'unsatisfiable') {
    return { status: 416, headers: [...base, ['Content-Range', unsatisfiedRange(size)]], body: false, start: 0, end: -1 };
  }
  const [start, end] = decision.kind === 'partial' ? [decision.start, decision.end] : [0, size - 1];
  const length = end - start + 1;
  const headers: Array<[string, string]> = [...base, ['Content-Length', String(length)]];
  if (decision.kind === 'partial') headers.push(['Content-Range', contentRange(start, end, size)]);
  return { status: decision.kind === 'partial' ? 206 : 200, headers, body: req.method === 'GET' && length > 0, start, end };
}
