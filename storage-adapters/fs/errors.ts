/**
 * errno → typed storage errors. The original error is kept as `cause`; `details` names the operation
 * and the file so alerts can say what failed where.
 */
import { TorrentError } from '../../src/errors.js';
import type { ErrorCode } from '../../src/errors.js';

/** The `code` property of a Node system error, if `err` is one. */
export function errnoOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  const code = (err as { code: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** The storage error code for an errno string (see the table in storage-adapters/README.md). */
export function codeForErrno(errno: string | undefined): ErrorCode {
  switch (errno) {
    case 'ENOSPC':
    case 'EDQUOT':
      return 'storage_no_space';
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return 'storage_access_denied';
    default:
      return 'storage_io_error';
  }
}

/**
 * Wraps a failed fs call in a {@link TorrentError}: ENOSPC/EDQUOT → `storage_no_space`,
 * EACCES/EPERM/EROFS → `storage_access_denied`, anything else → `storage_io_error`.
 * A {@link TorrentError} passes through unchanged.
 */
export function mapFsError(err: unknown, op: string, path?: string): TorrentError {
  if (err instanceof TorrentError) return err;
  const errno = errnoOf(err);
  const code = codeForErrno(errno);
  const reason = err instanceof Error ? err.message : String(err);
  return new TorrentError(code, `${op} failed: ${reason}`, { cause: err, details: { op, path, errno } });
}
