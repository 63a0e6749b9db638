// Zero-copy uploads over real TCP: block views of recycled piece buffers are released only from the
// socket's write callback. Fault injection: a two-piece upload cache recycles its buffers constantly while a
// slow reader keeps megabytes of views queued in node's socket; every received block's hash is checked.
import { createHash } from 'node:crypto';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { releaseBlock, withRelease } from '../../../src/interfaces/block-release.js';
import { UploadCache } from '../../../src/torrent/swarm/upload-cache.js';
import { createMemoryStorage } from '../../../storage-adapters/memory/index.js';
import { socketToPeerStream } from '../../../transports/tcp/index.js';
import { makeLayout, pattern } from '../storage/fixtures.js';

const PIECE = 65536;
const PIECES = 32;
const BLOCK = 16384;
const BLOCKS = 768; // 12 MiB: far more than the kernel's loopback buffers, so node queues views
const REC = 8 + BLOCK;

const sha1 = (b: Uint8Array): string => createHash('sha1').update(b).digest('hex');

async function pair(): Promise<{ client: net.Socket; server: net.Socket; close(): void }> {
  const srv = net.createServer({ pauseOnConnect: true });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  const accepted = new Promise<net.Socket>((r) => srv.once('connection', r));
  const client = net.connect(port, '127.0.0.1');
  await new Promise<void>((r) => client.once('connect', () => r()));
  const server = await accepted;
  return { client, server, close: () => { client.destroy(); server.destroy(); srv.close(); } };
}

describe('TCP stream block release', () => {
  it('delivers every block intact while the cache recycles buffers under a slow reader', async () => {
    const layout = makeLayout([PIECE * PIECES], PIECE);
    const storage = await createMemoryStorage().open(layout);
    for (let i = 0; i < PIECES; i++) await storage.write(i, 0, pattern(i * PIECE, PIECE, 3));
    const cache = new UploadCache(storage, () => PIECE, 2 * PIECE, PIECE);
    const { client, server, close } = await pair();
    try {
      const stream = socketToPeerStream(client, 'out', { host: '127.0.0.1', port: 0 });
      stream.setSink({ data: () => undefined, drain: () => undefined, close: () => undefined });
      // The reader: parses (piece, begin, block) records and hashes each block; it reads in bursts.
      const got: string[] = [];
      let pending = new Uint8Array(0);
      const received = new Promise<void>((resolve) => {
        server.on('data', (chunk: Buffer) => {
          const all = new Uint8Array(pending.length + chunk.length);
          all.set(pending);
          all.set(chunk, pending.length);
          let at = 0;
          for (; at + REC <= all.length; at += REC) {
            const dv = new DataView(all.buffer, all.byteOffset + at, 8);
            const piece = dv.getUint32(0);
            const begin = dv.getUint32(4);
            const ok = sha1(all.subarray(at + 8, at + REC)) === sha1(pattern(piece * PIECE + begin, BLOCK, 3));
            got.push(ok ? 'ok' : `corrupt ${piece}@${begin}`);
          }
          pending = all.slice(at);
          if (got.length === BLOCKS) resolve();
          server.pause();
          setTimeout(() => server.resume(), 1);
        });
      });
      let state = 12345;
      const next = (): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0);
      let maxQueued = 0;
      server.resume();
      for (let n = 0; n < BLOCKS; n++) {
        const piece = next() % PIECES;
        const begin = (next() % (PIECE / BLOCK)) * BLOCK;
        const view = await cache.read(piece, begin, BLOCK);
        const header = new Uint8Array(8);
        new DataView(header.buffer).setUint32(0, piece);
        new DataView(header.buffer).setUint32(4, begin);
        stream.writev([header, view]); // ignores backpressure on purpose: node queues the views
        maxQueued = Math.max(maxQueued, client.writableLength);
        if (n % 8 === 7) await new Promise((r) => setImmediate(r)); // let write callbacks run meanwhile
      }
      expect(maxQueued).toBeGreaterThan(4 * PIECE); // views really were queued in node
      await received;
      expect(got.filter((g) => g !== 'ok')).toEqual([]);
      expect(got.length).toBe(BLOCKS);
      expect(cache.recycled).toBeGreaterThan(10); // buffers were recycled while views of others were queued
    } finally {
      close();
    }
  }, 30_000);

  it('releases a chunk the socket no longer takes, and write() honours the handle too', async () => {
    const { client, server, close } = await pair();
    try {
      const stream = socketToPeerStream(client, 'out', { host: '127.0.0.1', port: 0 });
      let released = 0;
      const a = withRelease(new Uint8Array(10), () => released++);
      stream.write(a);
      await new Promise<void>((r) => setTimeout(r, 50));
      expect(released).toBe(1); // write callback ran
      client.destroy();
      await new Promise<void>((r) => setTimeout(r, 10));
      expect(stream.writev([withRelease(new Uint8Array(5), () => released++)])).toBe(false);
      expect(released).toBe(2);
      releaseBlock(a); // idempotent
      expect(released).toBe(2);
      void server;
    } finally {
      close();
    }
  });
});
