#!/usr/bin/env node
// `npm start`: runs the demo (demo/node/main.ts) from source through tsx.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const r = spawnSync(process.execPath, ['--import', 'tsx', 'demo/node/main.ts', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
