// The Node hash pool's workers must start whatever flags the parent process was given: Node refuses
// per-process options (`--max-old-space-size`, `--title`, `--perf-basic-prof`, ...) in a worker's execArgv,
// so a pool that handed its parent's flags on failed every hash in such a process.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const poolModule = fileURLToPath(new URL('../../../src/platform/hash-pool.node.ts', import.meta.url));

describe('node hash pool under parent flags', () => {
  it('hashes in a process started with per-process flags that workers reject', () => {
    const script = `
      const { createHashPool } = await import(${JSON.stringify(poolModule)});
      const pool = createHashPool({ threads: 2 });
      const d = await pool.sha1(new TextEncoder().encode('abc'));
      await pool.close();
      console.log(Buffer.from(d).toString('hex'));
    `;
    const r = spawnSync(process.execPath, ['--max-old-space-size=256', '--title=swarmkit-flags', '--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.stderr).not.toMatch(/ERR_WORKER_INVALID_EXEC_ARGV/);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
  });
});
