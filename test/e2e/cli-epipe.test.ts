// `swarmkit info x.torrent | head -1`: the reader closing the pipe early must not crash the CLI.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { CreateTorrent } from '../../src/metainfo/create-torrent.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

it('info piped into head exits quietly', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'swarmkit-epipe-'));
  try {
    const ct = new CreateTorrent({ version: 'v1', pieceLength: 16384 });
    // many files: more output than a pipe buffer holds, so the writer meets the closed pipe
    for (let i = 0; i < 3000; i++) ct.addFile({ data: new Uint8Array([i & 255]), path: ['many', `file-${i}.bin`] });
    const file = join(dir, 'many.torrent');
    writeFileSync(file, await ct.generate());
    const r = spawnSync('sh', ['-c', `"${process.execPath}" --import tsx cli/main.ts info "${file}" | head -1; exit "\${PIPESTATUS:-0}"`], { cwd: root, encoding: 'utf8' });
    expect(r.stdout.trim()).toMatch(/^Name:/);
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled|Error/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
