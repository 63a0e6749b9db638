/**
 * Block release (src/interfaces/block-release.ts), shared by every transport that honours it: a written view that
 * carries a release handle is released once the transport will never read it again (copied into the
 * kernel, into packets, into a data-channel message), and only then; a write the stream refuses is
 * released at once. The release here overwrites the view's bytes, as the upload cache does when it
 * recycles a buffer for another piece: a transport that released too early delivers the overwritten bytes
 * and fails the pattern check. Runtime-neutral (runs in Node and in the browser).
 */
import { describe, expect, it } from 'vitest';
import type { PeerStream } from '../../src/interfaces/transport.js';
import { withRelease } from '../../src/interfaces/block-release.js';
import { Pattern, Probe, waitFor } from './transport.suite.js';
import type { TransportFixture } from './transport.suite.js';

const BLOCK = 16 * 1024;
const BLOCKS = 96;

export function blockReleaseSuite(name: string, setup: (opts: { connectTimeoutMs: number }) => Promise<TransportFixture>): void {
  describe(`block release: ${name}`, () => {
    it('releases each written view once it no longer reads it, never before its bytes left', async () => {
      const f = await setup({ connectTimeoutMs: 2000 });
      try {
        const accepted: PeerStream[] = [];
        const listener = await f.b.listen!((s) => accepted.push(s));
        const out = await f.a.dial(f.addressOf(listener), { signal: new AbortController().signal });
        expect(await waitFor(() => accepted.length > 0)).toBe(true);
        const sink = new Probe(true);
        accepted[0]!.setSink(sink);
        out.setSink(new Probe());
        const send = new Pattern(21);
        let released = 0;
        for (let i = 0; i < BLOCKS; i++) {
          const header = new Uint8Array([i & 0xff]);
          const bytes = send.next(BLOCK - 1);
          // Recycled on release: the buffer gets another piece's bytes at once.
          const view = withRelease(bytes, () => {
            released++;
            bytes.fill(0xee);
          });
          if (i % 2 === 0) out.writev?.([header, view]) ?? (out.write(header), out.write(view));
          else {
            out.write(header);
            out.write(view);
          }
          if (i % 16 === 15) await new Promise((r) => setTimeout(r, 0)); // let the transport work meanwhile
        }
        expect(await waitFor(() => sink.received === BLOCKS * BLOCK, 20_000)).toBe(true);
        const got = sink.bytes();
        const check = new Pattern(21);
        for (let i = 0; i < BLOCKS; i++) {
          expect(got[i * BLOCK]).toBe(i & 0xff);
          check.check(got.subarray(i * BLOCK + 1, (i + 1) * BLOCK));
        }
        expect(check.mismatch).toBe(-1);
        expect(await waitFor(() => released === BLOCKS)).toBe(true);

        out.destroy();
        let late = 0;
        out.write(withRelease(new Uint8Array(8), () => late++));
        out.writev?.([withRelease(new Uint8Array(8), () => late++)]);
        expect(late).toBe(out.writev === undefined ? 1 : 2); // refused writes are released at once
      } finally {
        await f.cleanup();
      }
    }, 40_000);
  });
}
