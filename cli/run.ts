/**
 * The CLI dispatcher: `swarmkit <command> [options]`. Separate from main.ts so tests can run it in-process
 * with collected output. Resolves to the exit code (0 ok, 1 failure, 2 usage error); never throws.
 */
import type { CliIO } from './command.js';
import { commands } from './commands/index.js';
import type { CommandEntry } from './commands/index.js';
import { EXIT_OK, EXIT_USAGE, UsageError, exitCodeFor } from './errors.js';
import { Output } from './output.js';
import { packageVersion } from './version.js';

/** The text of `swarmkit help`. */
export function mainUsage(): string {
  const names = [...commands.values()];
  const width = Math.max(...names.map((c) => c.name.length));
  return `swarmkit ${packageVersion()}: a BitTorrent toolkit

Usage: swarmkit <command> [options]

Commands:
${names.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Common options:
  --json       machine-readable output (JSON lines on stdout)
  --debug      print stack traces on errors
  -h, --help   help for a command
  --version    print the version

Exit codes: 0 success, 1 failure, 2 usage error.
Run 'swarmkit help <command>' for a command's options.`;
}

function findCommand(name: string): CommandEntry {
  const c = commands.get(name);
  if (c === undefined) throw new UsageError(`unknown command '${name}' (try 'swarmkit help')`);
  return c;
}

/** Runs the CLI with `argv` (without node and script path). */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  const json = argv.includes('--json');
  const debug = argv.includes('--debug');
  const out = new Output({ json, debug, stdout: io.stdout, stderr: io.stderr });
  try {
    const [first, ...rest] = argv;
    if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
      const topic = first === 'help' ? rest.find((a) => !a.startsWith('-')) : undefined;
      io.stdout.write(`${topic === undefined ? mainUsage() : (await findCommand(topic).load()).usage}\n`);
      return first === undefined ? EXIT_USAGE : EXIT_OK;
    }
    if (first === '--version' || first === '-V' || first === 'version') {
      io.stdout.write(json ? `${JSON.stringify({ version: packageVersion() })}\n` : `swarmkit ${packageVersion()}\n`);
      return EXIT_OK;
    }
    if (first.startsWith('-')) throw new UsageError(`expected a command before '${first}' (try 'swarmkit help')`);
    const command = await findCommand(first).load();
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout.write(`${command.usage}\n`);
      return EXIT_OK;
    }
    return await command.run(rest, out, io);
  } catch (err) {
    out.error(err);
    return exitCodeFor(err);
  }
}
