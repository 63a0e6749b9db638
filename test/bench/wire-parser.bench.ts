// Peer wire decoder/encoder micro-benchmark (after ws's bench/parser.benchmark.js): decode throughput for a stream
// of 16 KiB piece messages fed in 64 KiB chunks, for small-message streams (have/request), and encoder ops/s.
// Run alone: `npx tsx test/bench/wire-parser.bench.ts`; or through test/bench/run.ts.
import { pathToFileURL } from 'node:url';
import { WireDecoder } from '../../src/wire/decoder.js';
import { encodeBatch, encodeHaves, encodePieceHeader, encodeRequests } from '../../src/wire/encoder.js';
import type { BlockRef, WireHandler, WireMessage } from '../../src/wire/messages.js';

/** A handler doing the least a real one would: touch the arguments. */
class Sink implements WireHandler {
  messages = 0;
  bytes = 0;
  copies = 0;
  source: ArrayBufferLike | undefined;
  onKeepAlive(): void { this.messages++; }
  onChoke(): void { this.messages++; }
  onUnchoke(): void { this.messages++; }
  onInterested(): void { this.messages++; }
  onNotInterested(): void { this.messages++; }
  onHave(index: number): void { this.messages++; this.bytes += index & 1; }
  onBitfield(bits: Uint8Array): void { this.messages++; this.bytes += bits.length; }
  onRequest(index: number, begin: number, length: number): void { this.messages++; this.bytes += (index ^ begin ^ length) & 1; }
  onPiece(_index: number, _begin: number, block: Uint8Array): void {
    this.messages++;
    this.bytes += block.length;
    if (block.buffer !== this.source) this.copies++;
  }
  onCancel(): void { this.messages++; }
  onPort(): void { this.messages++; }
  onSuggest(): void { this.messages++; }
  onHaveAll(): void { this.messages++; }
  onHaveNone(): void { this.messages++; }
  onReject(): void { this.messages++; }
  onAllowedFast(): void { this.messages++; }
  onExtended(): void { this.messages++; }
  onUnknown(): void { this.messages++; }
}

function chunked(stream: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < stream.length; i += size) out.push(stream.subarray(i, Math.min(stream.length, i + size)));
  return out;
}

/** Feeds `chunks` repeatedly for about `ms` milliseconds; returns the figures. */
function decodeLoop(stream: Uint8Array, chunks: Uint8Array[], ms: number): { seconds: number; bytes: number; messages: number; copies: number } {
  for (let w = 0; w < 3; w++) {
    const d = new WireDecoder(new Sink(), { fast: true, extended: true }); // warm-up: let the JIT settle
    for (const c of chunks) d.write(c);
  }
  const sink = new Sink();
  sink.source = stream.buffer;
  let bytes = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    const d = new WireDecoder(sink, { fast: true, extended: true });
    for (const c of chunks) d.write(c);
    bytes += stream.length;
    now = performance.now();
  }
  return { seconds: (now - start) / 1000, bytes, messages: sink.messages, copies: sink.copies };
}

function fmt(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(0);
}

function report(name: string, r: { seconds: number; bytes: number; messages: number }, extra = ''): void {
  const mbps = r.bytes / r.seconds / 1e6;
  console.log(`${name.padEnd(44)} ${mbps.toFixed(0).padStart(7)} MB/s  ${fmt(r.messages / r.seconds).padStart(9)} msg/s${extra}`);
}

function opsLoop(name: string, ms: number, fn: () => number): void {
  let ops = 0;
  let sink = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 1000; i++) sink += fn();
    ops += 1000;
    now = performance.now();
  }
  const secs = (now - start) / 1000;
  console.log(`${name.padEnd(44)} ${fmt(ops / secs).padStart(9)} ops/s${sink < 0 ? '' : ''}`);
}

/** Prints decode throughput (MB/s, messages/s) and encoder ops/s. */
export async function run(): Promise<void> {
  const ms = Number(process.env.BENCH_MS ?? 1500);

  // 1. 16 KiB piece messages, 64 MiB per pass, in 64 KiB socket-sized chunks.
  const block = new Uint8Array(16384).fill(0xab);
  const pieces: WireMessage[] = [];
  for (let i = 0; i < 4096; i++) pieces.push({ type: 'piece', index: i >>> 6, begin: (i & 63) * 16384, block });
  const pieceStream = encodeBatch(pieces);
  const p64 = decodeLoop(pieceStream, chunked(pieceStream, 65536), ms);
  report('decode 16 KiB pieces, 64 KiB chunks', p64, `  (${((100 * p64.copies) / p64.messages).toFixed(0)}% of blocks span chunks and are copied)`);
  const p1 = decodeLoop(pieceStream, chunked(pieceStream, 1 << 20), ms);
  report('decode 16 KiB pieces, 1 MiB chunks', p1, `  (${((100 * p1.copies) / p1.messages).toFixed(0)}% copied)`);

  // 2. Small messages: have and request streams, 64 KiB chunks.
  const haves = encodeHaves(Array.from({ length: 100_000 }, (_, i) => i));
  report('decode have stream, 64 KiB chunks', decodeLoop(haves, chunked(haves, 65536), ms));
  const reqList: BlockRef[] = Array.from({ length: 100_000 }, (_, i) => ({ index: i >>> 4, begin: (i & 15) * 16384, length: 16384 }));
  const requests = encodeRequests(reqList);
  report('decode request stream, 64 KiB chunks', decodeLoop(requests, chunked(requests, 65536), ms));
  const mixed: WireMessage[] = [];
  for (let i = 0; i < 50_000; i++) {
    mixed.push({ type: 'have', index: i }, { type: 'request', index: i, begin: 0, length: 16384 });
    if (i % 16 === 0) mixed.push({ type: 'unchoke' }, { type: 'keepAlive' });
  }
  const mixedStream = encodeBatch(mixed);
  report('decode mixed small messages, 1460 B chunks', decodeLoop(mixedStream, chunked(mixedStream, 1460), ms));

  // 3. Encoder.
  const batch = reqList.slice(0, 64);
  opsLoop('encodeRequests(64 blocks)', ms, () => encodeRequests(batch).length);
  opsLoop('encodePieceHeader', ms, () => encodePieceHeader(1, 16384, 16384).length);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
}
