// The hash pool and CreateTorrent must also work as compiled JavaScript (dist/), not only from
// TypeScript under Vitest/tsx. This test compiles them itself with tsc into a temp dir, maps
// `#platform/*` the way package.json "imports" does, and runs plain `node` on the output.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'swarmkit-dist-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(cmd: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { cwd, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${cmd} failed: ${err.message}\n${stdout}\n${stderr}`)) : resolve(stdout),
    ),
  );
}

it('runs the compiled hash pool and CreateTorrent with plain node', async () => {
  const out = join(dir, 'out');
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: join(root, 'tsconfig.json'),
      compilerOptions: { outDir: out, rootDir: join(root, 'src'), noEmit: false, declaration: false, sourceMap: false, noEmitOnError: false },
      files: [join(root, 'src/metainfo/create-torrent.ts')],
      include: [],
    }),
  );
  // emit even if another module in progress has a type error; our own files are type-checked elsewhere
  await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')], root).catch(() => undefined);
  writeFileSync(join(out, 'package.json'), JSON.stringify({ type: 'module', imports: { '#platform/*': './platform/*.node.js' } }));
  const data = randomBytes(300_000);
  writeFileSync(join(dir, 'data.bin'), data);
  writeFileSync(
    join(out, 'main.js'),
    `import { createHashPool } from './platform/hash-pool.node.js';
     import { CreateTorrent } from './metainfo/create-torrent.js';
     const pool = createHashPool();
     const h = await pool.sha1(new Uint8Array([1, 2, 3]));
     await pool.close();
     const ct = new CreateTorrent({ version: 'v1', pieceLength: 65536, creationDate: null });
     await ct.addPath(${JSON.stringify(join(dir, 'data.bin'))});
     const info = await ct.generateInfo();
     console.log(JSON.stringify({ sha1: Buffer.from(h).toString('hex'), pieces: info.pieceCount, first: Buffer.from(info.pieceHash(0)).toString('hex') }));`,
  );
  const result = JSON.parse(await run(process.execPath, [join(out, 'main.js')], out)) as { sha1: string; pieces: number; first: string };
  expect(result.sha1).toBe(createHash('sha1').update(new Uint8Array([1, 2, 3])).digest('hex'));
  expect(result.pieces).toBe(Math.ceil(300_000 / 65536));
  expect(result.first).toBe(createHash('sha1').update(data.subarray(0, 65536)).digest('hex'));
}, 120_000);
