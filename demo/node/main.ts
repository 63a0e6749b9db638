/**
 * `npm run demo:node`: the Node demo of what the
 * library does today, end to end on real files:
 *   1. makes a sample folder (a few files, one spanning many pieces) under .cache/demo,
 *   2. creates a hybrid (v1 + v2) torrent of it with CreateTorrent, hashing on worker threads with progress,
 *   3. prints what TorrentInfo reads back (info-hashes, files, magnet link),
 *   4. adds it to a Session with the data in place: the session checks every piece and ends seeding,
 *      printing the alerts as they come,
 *   5. a second Session downloads the torrent from the first over TCP on 127.0.0.1 into .cache/demo/download,
 *      verifying every piece, and the files are compared byte for byte with the originals.
 */
import { readFile, rm } from 'node:fs/promises';
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

  // Loopback only, no DHT/LSD: the demo must not reach the network.
  const quiet = { listenInterfaces: '127.0.0.1:0', enableDht: false, enableLsd: false };
  const session = new Session({ settings: { ...quiet, alertMask: alertCategory.status | alertCategory.error | alertCategory.storage } });
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
    await session.ready();
    await download(ti, session.listenPort(), quiet);
  } finally {
    await session.close();
  }
  console.log('done: created, checked, seeded and downloaded over TCP; every piece verified.');
}

/** Step 5: a leech session downloads from the seed listening on `seedPort`, then the bytes are compared. */
async function download(ti: TorrentInfo, seedPort: number, settings: Record<string, string | boolean>): Promise<void> {
  const out = join(root, 'download');
  await rm(out, { recursive: true, force: true });
  const leech = new Session({ settings: { ...settings, alertMask: alertCategory.status | alertCategory.error } });
  try {
    await leech.ready();
    console.log(`5. downloading from the seed at 127.0.0.1:${seedPort} into ${out}:`);
    const t0 = performance.now();
    const handle = await leech.addTorrent({ ti, savePath: out, peers: [{ host: '127.0.0.1', port: seedPort }] });
    const deadline = Date.now() + 120_000;
    while (!handle.status().isSeeding) {
      if (Date.now() > deadline) throw new Error('the download did not finish within 2 minutes');
      const a = await leech.waitForAlert(500);
      for (const x of a ? leech.popAlerts() : []) if (x.type === 'torrent_error' || x.type === 'file_error') throw new Error(alertMessage(x));
      const s = handle.status();
      if (process.stdout.isTTY) process.stdout.write(`\r   ${bar(s.progress)} ${(s.downloadPayloadRate / 1e6).toFixed(1)} MB/s, ${s.numPeers} peer(s)`);
    }
    const secs = (performance.now() - t0) / 1000;
    console.log(`${process.stdout.isTTY ? '\n' : ''}   downloaded ${ti.totalLength} bytes in ${secs.toFixed(2)} s`);
    for (const f of ti.files) {
      if (f.pad) continue;
      const a = await readFile(join(root, ...f.path));
      const b = await readFile(join(out, ...f.path));
      if (!a.equals(b)) throw new Error(`${f.path.join('/')} differs from the original`);
    }
    console.log('   every file equals its original byte for byte');
  } finally {
    await leech.close();
  }
}

main().catch((err: unknown) => {
  console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
