/**
 * Command-line parsing on node:util parseArgs, strict: unknown options, missing values and stray
 * positionals become {@link UsageError}s (exit code 2). Every command also accepts --json, --debug and --help.
 */
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.js';

/** Option specs as node:util parseArgs takes them. */
export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

/** Options every command accepts. */
export const commonOptions = {
  json: { type: 'boolean' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpecs;

/** Parses `argv` for one command; throws UsageError on anything parseArgs rejects. */
export function parseCommandArgs<O extends OptionSpecs>(
  command: string,
  argv: readonly string[],
  options: O,
): { values: ReturnType<typeof parseArgs<{ options: O & typeof commonOptions; allowPositionals: true; strict: true }>>['values']; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { ...options, ...commonOptions },
      allowPositionals: true,
      strict: true,
    });
    return { values, positionals };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      const text = ((err as Error).message.split('\n')[0] ?? 'bad arguments').replace(/\. To specify a positional.*$/, '');
      throw new UsageError(`${command}: ${text}`);
    }
    throw err;
  }
}
