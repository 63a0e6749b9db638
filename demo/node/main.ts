/**
 * `npm start`: the main job. Until the web demo lands (streaming milestone) this is the Node demo of what the
 * library does today, end to end on real files:
 *   1. makes a sample folder (a few files, one spanning many pieces) under .cache/demo,
 *   2. creates a hybrid (v1 + v2) torrent of it with CreateTorrent, hashing on worker threads with progress,
 *   3. prints what TorrentInfo reads back (info-hashes, files, magnet link),
 *   4. adds it to a Session with the data in place: the session checks every piece and ends seeding,
 *      printing the alerts as they come.
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CreateTorrent, Session, TorrentInfo, alertCategory, alertMessage, toHex } from '../../entry/node.js';

const root = resolve(process.env.DEMO_DIR ?? '.cache/demo');
const sampleName = 'swarmkit-sample';

/** Deterministic pseudo-random bytes (xorshift32), so the sample is the same on every machine. */
function sampleBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  let x = seed >>> 0 || 1;
  for (let i = 0; i + 4 <= length; i += 4) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    view.setUint32(i, x);
  }
  return out;
}

async function makeSample(): Promise<string> {
  const dir = join(root, sampleName);
  const big = join(dir, 'video', 'clip.bin');
  const exists = await stat(big).then((s) => s.size === 48 * 1024 * 1024, () => false);
  if (!exists) {
    await mkdir(join(dir, 'video'), { recursive: true });
    await writeFile(big, sampleBytes(48 * 1024 * 1024, 0x5eed));
    await writeFile(join(dir, 'README.txt'), 'A sample torrent made by the swarmkit demo.\n');
    await writeFile(join(dir, 'video', 'subtitles.srt'), '1\n00:00:00,000 --> 00:00:02,000\nHello, swarm.\n');
  }
  return dir;
}

function bar(fraction: number): string {
  const width = 30;
  const full = Math.round(fraction * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(fraction * 100).toFixed(1).padStart(5)}%`;
}

async function main(): Promise<void> {
  const dir = await makeSample();
  console.log(`1. sample data: ${dir}`);

  const creator = new CreateTorrent({ version: 'hybrid', comment: 'swarmkit demo', creator: 'swarmkit demo' });
  await creator.addPath(dir);
  const t0 = performance.now();
  const bytes = await creator.generate({
    onProgress(done, total) {
      if (process.stdout.isTTY) process.stdout.write(`\r2. hashing ${bar(done / total)}`);
    },
  });
  const torrentPath = join(root, `${sampleName}.torrent`);
  await writeFile(torrentPath, bytes);
  console.log(`${process.stdout.isTTY ? '\n' : ''}2. created ${torrentPath} in ${(performance.now() - t0).toFixed(0)} ms`);

  const ti = await TorrentInfo.fromBytes(bytes);
  console.log(`3. ${ti.name}: ${ti.metaVersion}, ${ti.pieceCount} pieces of ${ti.pieceLength / 1024} KiB`);
  console.log(`   v1 info-hash ${ti.infoHashes.v1 ? toHex(ti.infoHashes.v1) : '-'}`);
  console.log(`   v2 info-hash ${ti.infoHashes.v2 ? toHex(ti.infoHashes.v2) : '-'}`);
  for (const f of ti.files) if (!f.pad) console.log(`   ${f.path.join('/')} (${f.length} bytes)`);
  console.log(`   ${ti.toMagnet()}`);

  const session = new Session({ settings: { alertMask: alertCategory.status | alertCategory.error | alertCategory.storage } });
  try {
    const handle = await session.addTorrent({ ti, savePath: root });
    console.log('4. added to a session with the data in place; checking:');
    for await (const a of session.alerts()) {
      console.log(`   [${a.type}] ${alertMessage(a)}`);
      if (a.type === 'torrent_error' || a.type === 'file_error') throw new Error(alertMessage(a));
      if (a.type === 'torrent_checked') {
        const s = handle.status();
        console.log(`   checked: ${bar(s.progress)} state=${s.state}`);
        if (!s.isSeeding) throw new Error('the sample data did not verify');
        break;
      }
    }
  } finally {
    await session.close();
  }
  console.log('done: the torrent verified and was seeding.');
}

main().catch((err: unknown) => {
  console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
