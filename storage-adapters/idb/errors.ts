/**
 * IndexedDB failures → typed storage errors: QuotaExceededError → `storage_quota_exceeded`,
 * anything else → `storage_io_error`. The DOMException is kept as `cause`.
 */
import { TorrentError } from '../../src/errors.js';

/** Wraps a failed IndexedDB request or transaction; a {@link TorrentError} passes through unchanged. */
export function mapIdbError(err: unknown, op: string): TorrentError {
  if (err instanceof TorrentError) return err;
  const name = typeof err === 'object' && err !== null && 'name' in err ? String((err as { name: unknown }).name) : undefined;
  const message = err instanceof Error || (typeof err === 'object' && err !== null && 'message' in err)
    ? String((err as { message: unknown }).message)
    : String(err);
  if (name === 'QuotaExceededError') {
    return new TorrentError('storage_quota_exceeded', `IndexedDB quota exceeded during ${op}`, { cause: err, details: { op, name } });
  }
  return new TorrentError('storage_io_error', `IndexedDB ${op} failed: ${message}`, { cause: err, details: { op, name } });
}
