/** Maps node socket errors (errno codes) to the library's typed errors. */
import { TorrentError } from '../../src/errors.js';
import type { PeerAddress } from '../../src/interfaces/transport.js';

interface ErrnoLike {
  code?: unknown;
  name?: unknown;
}

/** A node socket error as a {@link TorrentError}: `timeout` for ETIMEDOUT, `aborted` for AbortError, else `connection_failed`. */
export function mapSocketError(err: unknown, addr: PeerAddress): TorrentError {
  if (err instanceof TorrentError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as ErrnoLike;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const details = { host: addr.host, port: addr.port, transport: 'tcp', errno: code };
  const what = `${addr.host}:${addr.port}`;
  if (code === 'ETIMEDOUT') return new TorrentError('timeout', `connection to ${what} timed out`, { cause: err, details });
  if (code === 'ABORT_ERR' || e.name === 'AbortError') return new TorrentError('aborted', `connection to ${what} aborted`, { cause: err, details });
  const msg = err instanceof Error ? err.message : String(err);
  return new TorrentError('connection_failed', `connection to ${what} failed: ${msg}`, { cause: err, details });
}
