#!/usr/bin/env node
// `npm start`: makes sure the system programs are there (scripts/ensure-system-deps.mjs: ffmpeg for the
// sample video, Chromium, ...), then runs the web demo (demo/server/main.ts) from source through tsx. It
// prints the URL to open and runs until Ctrl-C / SIGTERM, which it passes on to the demo and then exits
// with the demo's status. The Node-only demo (create → check → seed → download over TCP) is `npm run demo:node`.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const deps = spawnSync(process.execPath, ['scripts/ensure-system-deps.mjs'], { cwd: root, stdio: 'inherit' });
if (deps.status !== 0) process.exit(deps.status ?? 1);

const child = spawn(process.execPath, ['--import', 'tsx', 'demo/server/main.ts', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
// A terminal's Ctrl-C reaches the whole process group; a SIGTERM sent to this process alone is forwarded.
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
  });
}
const signalStatus = { SIGINT: 130, SIGTERM: 143 };
child.on('exit', (code, signal) => process.exit(code ?? signalStatus[signal] ?? 1));
