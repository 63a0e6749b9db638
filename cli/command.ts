/** The shape every CLI command has; one module per command lives in cli/commands/. */
import type { Output, OutputStream } from './output.js';

/** Process-level things a command may use (swapped for collectors in unit tests). */
export interface CliIO {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  /** Directory relative paths are resolved against. */
  readonly cwd: string;
}

/** One subcommand: `swarmkit <name> ...` (its name and summary are listed in commands/index.ts). */
export interface Command {
  /** Full help text for `swarmkit help <name>` / `swarmkit <name> --help`. */
  readonly usage: string;
  /** Runs with the arguments after the command name; resolves to the exit code. Throws on failure. */
  run(argv: readonly string[], out: Output, io: CliIO): Promise<number>;
}
