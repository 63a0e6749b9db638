// Runs the seed doc's scenarios (examples/) against real files.
import { test, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, mkdir, writeFile, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scenario1 } from '../../examples/scenario1-download.js';
import { scenario2 } from '../../examples/scenario2-create-and-seed.js';
import { scenario3 } from '../../examples/scenario3-monitoring.js';
import { TorrentInfo } from '../../entry/node.js';
import { bytes } from '../unit/session/helpers.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'swarmkit-examples-'));
  await mkdir(join(root, 'share', 'album'), { recursive: true });
  await writeFile(join(root, 'share', 'album', 'one.bin'), bytes(300_000, 1));
  await writeFile(join(root, 'share', 'album', 'two.bin'), bytes(123_457, 2));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

test('scenario 2: create a torrent, write it, add it with the data in place → checked → seeding; scenarios 1 and 3 then complete', async () => {
  const out = join(root, 'album.torrent');
  const lines: string[] = [];
  const r = await scenario2(join(root, 'share', 'album'), out, (l) => lines.push(l));
  expect(r.status.state).toBe('seeding');
  expect(r.status.progress).toBe(1);
  const ti = await TorrentInfo.fromBytes(await readFile(out));
  expect(ti.id).toBe(r.infoHash);
  expect(ti.comment).toBe('My first torrent');
  expect(ti.createdBy).toBe('swarmkit');
  expect(lines[0]).toBe(`Seeding started with info hash: ${ti.id}`);
  expect(lines.some((l) => l.includes('state changed to: seeding'))).toBe(true);

  const l1: string[] = [];
  expect(await scenario1(out, join(root, 'share'), 20, (l) => l1.push(l))).toBe(true);
  expect(l1.at(-1)).toBe('Download complete!');

  const seen = await scenario3(out, join(root, 'share'), 20, () => undefined);
  expect(seen.some((a) => a.type === 'torrent_finished')).toBe(true);
});

test('scenario 1 without the data does not pretend: it stays below 100% with no peers', async () => {
  const out = join(root, 'album.torrent');
  const empty = join(root, 'empty');
  await mkdir(empty, { recursive: true });
  const l: string[] = [];
  expect(await scenario1(out, empty, 2, (x) => l.push(x))).toBe(false);
  expect(l.some((x) => x.startsWith('Progress: 0.00%'))).toBe(true);
});
