// Fuzz the peer wire codec: random and mutated byte streams, in random chunkings, must only ever produce handler
// calls or a TorrentError with a wire code — never another exception, a hang, or unbounded buffering.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { WireDecoder } from '../../src/wire/decoder.js';
import { encodeBatch } from '../../src/wire/encoder.js';
import { HandshakeReader } from '../../src/wire/handshake.js';
import { isTorrentError } from '../../src/errors.js';
import { Recorder } from '../unit/wire/recorder.js';

const WIRE_CODES = ['invalid_message', 'message_too_large'] as const;
const MAX_BLOCK = 16384;

const optsArb = fc.record({
  fast: fc.boolean(),
  extended: fc.boolean(),
  pieceCount: fc.option(fc.nat({ max: 100_000 }), { nil: undefined }),
});

function run(bytes: Uint8Array, cuts: number[], opts: { fast: boolean; extended: boolean; pieceCount: number | undefined }): void {
  const d = new WireDecoder(new Recorder(), opts);
  // the largest prefix any message may claim with these options (+4 for a partial length prefix)
  const bound = Math.max(1024 * 1024, 9 + MAX_BLOCK, opts.extended ? 2 * 1024 * 1024 : 0, opts.pieceCount === undefined ? 0 : 1 + Math.ceil(opts.pieceCount / 8)) + 4;
  const started = performance.now();
  try {
    const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
    let prev = 0;
    for (const p of [...points, bytes.length]) {
      d.write(bytes.subarray(prev, p));
      expect(d.bufferedBytes).toBeLessThanOrEqual(bound);
      prev = p;
    }
  } catch (err) {
    if (!WIRE_CODES.some((c) => isTorrentError(err, c))) throw err;
    expect(d.destroyed).toBe(true);
    expect(d.bufferedBytes).toBe(0);
  }
  expect(performance.now() - started).toBeLessThan(1000); // generous: the machine is shared; a hang would take far longer
}

describe('wire fuzz', () => {
  it('random bytes → handler calls or wire TorrentErrors only', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), fc.array(fc.nat(), { maxLength: 20 }), optsArb, (bytes, cuts, opts) => {
        run(bytes, cuts, opts);
      }),
      { numRuns: 3000 },
    );
  });

  it('random plausible frames (small lengths, any id) → handler calls or wire TorrentErrors only', () => {
    const frameArb = fc.tuple(fc.nat({ max: 40 }), fc.nat({ max: 255 }), fc.uint8Array({ maxLength: 40 })).map(([len, id, body]) => {
      const f = new Uint8Array(5 + body.length);
      new DataView(f.buffer).setUint32(0, len);
      f[4] = id;
      f.set(body, 5);
      return f;
    });
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 20 }), optsArb, (frames, cuts, opts) => {
        const bytes = Uint8Array.from(frames.flatMap((f) => [...f]));
        run(bytes, cuts, opts);
      }),
      { numRuns: 3000 },
    );
  });

  it('valid streams with random byte mutations → handler calls or wire TorrentErrors only', () => {
    const valid = encodeBatch([
      { type: 'bitfield', bits: Uint8Array.of(0xff, 0xf0) },
      { type: 'unchoke' },
      { type: 'request', index: 3, begin: 0, length: 16384 },
      { type: 'piece', index: 3, begin: 0, block: new Uint8Array(3000).fill(1) },
      { type: 'have', index: 7 },
      { type: 'extended', id: 1, payload: new Uint8Array(20) },
      { type: 'haveAll' },
      { type: 'port', port: 1 },
    ]);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.nat({ max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        optsArb,
        (muts, cuts, opts) => {
          const bytes = valid.slice();
          for (const [at, v] of muts) bytes[at] = v;
          run(bytes, cuts, { ...opts, pieceCount: opts.pieceCount === undefined ? undefined : 12 });
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('a peer trickling a maximal message one byte at a time never makes the decoder hold more than the limit', () => {
    const d = new WireDecoder(new Recorder());
    const header = Uint8Array.of(0, 0, 0x40, 9, 7); // piece of 16384 + 9
    d.write(header);
    const one = Uint8Array.of(0);
    for (let i = 0; i < 16384 + 7; i++) d.write(one);
    expect(d.bufferedBytes).toBe(16384 + 7);
    d.write(one);
    expect(d.bufferedBytes).toBe(0);
  });

  it('handshake reader: random bytes → a handshake or handshake_failed only', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.array(fc.nat(), { maxLength: 8 }), fc.boolean(), (bytes, cuts, prefix) => {
        const b = bytes.slice();
        if (prefix) b.set(Uint8Array.of(19, ...new TextEncoder().encode('BitTorrent protocol')).subarray(0, b.length));
        const r = new HandshakeReader();
        try {
          let prev = 0;
          for (const p of [...cuts.map((c) => c % (b.length + 1)).sort((x, y) => x - y), b.length]) {
            const got = r.write(b.subarray(prev, p));
            if (p >= 68) expect(got?.peerId.length).toBe(20);
            prev = p;
          }
        } catch (err) {
          expect(isTorrentError(err, 'handshake_failed')).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
