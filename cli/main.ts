#!/usr/bin/env node
/**
 * The `swarmkit` executable (package.json "bin" → dist/cli/main.js; from source: `npm run cli -- <args>`).
 * All logic is in run.ts; this file only wires it to the real process.
 */
import { runCli } from './run.js';

// A reader that goes away (`swarmkit info x.torrent | head`) is not an error: stop quietly, like other tools.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

// `npm run cli -- ...` runs in the package root; resolve the user's relative paths where they typed them.
const cwd = process.env.npm_lifecycle_event === 'cli' && process.env.INIT_CWD ? process.env.INIT_CWD : process.cwd();
const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd });
// Let stdout drain (pipes are asynchronous) instead of calling process.exit() right away.
process.exitCode = code;
