/**
 * CLI error handling: exit codes and the one-line error message.
 *
 * Exit codes: 0 success, 1 failure (bad torrent, I/O error, ...), 2 usage error (unknown command or option,
 * missing argument). Errors print `swarmkit: error [code]: message` on stderr — never a stack trace unless
 * `--debug` is given. With `--json` the same error is also written to stdout as an `error` event.
 */
import { isTorrentError } from '../src/errors.js';
import { escapeTerminal } from './escape.js';

/** Exit code: success. */
export const EXIT_OK = 0;
/** Exit code: the command failed. */
export const EXIT_FAILURE = 1;
/** Exit code: the command line was wrong. */
export const EXIT_USAGE = 2;

/** A problem with the command line itself; exits with {@link EXIT_USAGE}. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'usage';
}

/** The stable code and one-line message for any thrown value. */
export function describeError(err: unknown): { code: string; message: string } {
  if (err instanceof UsageError) return { code: err.code, message: err.message };
  if (isTorrentError(err)) return { code: err.code, message: err.message };
  if (err instanceof Error) {
    const errno = (err as { code?: unknown }).code;
    // Node system errors (ENOENT, EACCES, ...) carry their errno name as the code.
    return { code: typeof errno === 'string' ? errno : 'internal_error', message: err.message };
  }
  return { code: 'internal_error', message: String(err) };
}

/** The line printed on stderr for an error (escaped: messages may quote torrent-provided text). */
export function errorLine(err: unknown): string {
  const { code, message } = describeError(err);
  const firstLine = message.split('\n')[0] ?? '';
  return `swarmkit: error [${code}]: ${escapeTerminal(firstLine)}`;
}

/** The exit code for a thrown value. */
export function exitCodeFor(err: unknown): number {
  return err instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE;
}
