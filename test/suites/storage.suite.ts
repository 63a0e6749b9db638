/**
 * The storage contract (src/interfaces/storage.ts) as one Vitest suite. Every adapter calls
 * `storageSuite(name, setup)` from its test file, in every runtime it supports.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StorageAdapter, StorageOpenOptions, TorrentLayout, TorrentStorage } from '../../src/interfaces/storage.js';
import {
  expectBytes, expectCode, makeLayout, maskPads, multiFile, pattern, singleFile, sizeOf, smallMultiFile,
} from '../unit/storage/fixtures.js';

/** What an adapter's test file hands the suite for each test. */
export interface StorageSuiteFixture {
  adapter: StorageAdapter;
  cleanup(): Promise<void>;
  /** Data survives close + open (on this adapter, and on `reopenAdapter()` when given). */
  persistent?: boolean;
  /** A second adapter instance over the same backing store, to prove persistence beyond one instance. */
  reopenAdapter?: () => StorageAdapter;
}

/** Defines the shared storage contract tests for one adapter. */
export function storageSuite(name: string, setup: () => Promise<StorageSuiteFixture>): void {
  describe(`storage contract: ${name}`, () => {
    let fx: StorageSuiteFixture;
    const opened: TorrentStorage[] = [];
    const open = async (layout: TorrentLayout, opts?: StorageOpenOptions, adapter = fx.adapter) => {
      const s = await adapter.open(layout, opts);
      opened.push(s);
      return s;
    };
    const writeAll = async (s: TorrentStorage, layout: TorrentLayout, seed = 1) => {
      for (let i = 0; i < layout.pieceCount; i++) await s.write(i, 0, pattern(i * layout.pieceLength, sizeOf(layout, i), seed));
    };
    const expectAll = async (s: TorrentStorage, layout: TorrentLayout, seed: number | null) => {
      for (let i = 0; i < layout.pieceCount; i++) {
        const abs = i * layout.pieceLength;
        const want = seed === null ? new Uint8Array(sizeOf(layout, i)) : maskPads(layout, abs, pattern(abs, sizeOf(layout, i), seed));
        expectBytes(await s.read(i, 0, sizeOf(layout, i)), want, `piece ${i}`);
      }
    };

    beforeEach(async () => {
      fx = await setup();
    });
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
      await fx.cleanup();
    });

    it('has a name', () => {
      expect(fx.adapter.name).toMatch(/^[a-z][\w-]*$/);
    });

    it('round-trips whole pieces and ranges at piece boundaries', async () => {
      for (const layout of [singleFile(), multiFile()]) {
        const s = await open(layout);
        await writeAll(s, layout, 3);
        await expectAll(s, layout, 3);
        for (let i = 0; i < layout.pieceCount; i++) {
          const abs = i * layout.pieceLength;
          const size = sizeOf(layout, i);
          expectBytes(await s.read(i, 0, 1), maskPads(layout, abs, pattern(abs, 1, 3)), `first byte of ${i}`);
          expectBytes(await s.read(i, size - 1, 1), maskPads(layout, abs + size - 1, pattern(abs + size - 1, 1, 3)));
          expect((await s.read(i, size, 0)).length).toBe(0);
        }
      }
    });

    it('maps writes across file boundaries, zero-length files and pad files', async () => {
      const layout = multiFile();
      const s = await open(layout);
      for (let i = layout.pieceCount - 1; i >= 0; i--) {
        const size = sizeOf(layout, i);
        const cuts = [0, Math.min(1000, size), Math.min(8000, size), size];
        for (let c = 0; c + 1 < cuts.length; c++) {
          const [from, to] = [cuts[c] as number, cuts[c + 1] as number];
          await s.write(i, from, pattern(i * layout.pieceLength + from, to - from));
        }
      }
      await expectAll(s, layout, 1);
      for (const f of layout.files) {
        if (f.offset < 10 || f.offset + 10 > layout.totalLength) continue;
        const piece = Math.floor((f.offset - 10) / layout.pieceLength);
        const off = f.offset - 10 - piece * layout.pieceLength;
        if (off + 20 > sizeOf(layout, piece)) continue;
        expectBytes(await s.read(piece, off, 20), maskPads(layout, f.offset - 10, pattern(f.offset - 10, 20)), `around ${f.offset}`);
      }
      const pad = layout.files.find((f) => f.pad === true);
      expect(pad).toBeDefined();
      const p = Math.floor((pad?.offset ?? 0) / layout.pieceLength);
      expect((await s.read(p, 0, sizeOf(layout, p))).subarray((pad?.offset ?? 0) - p * layout.pieceLength).every((b) => b === 0)).toBe(true);
    });

    it('accepts exactly the short last piece', async () => {
      const layout = singleFile();
      const last = layout.pieceCount - 1;
      const size = sizeOf(layout, last);
      expect(size).toBe(1696);
      const s = await open(layout);
      await s.write(last, 0, pattern(last * layout.pieceLength, size));
      await expectCode(s.write(last, 0, new Uint8Array(size + 1).fill(9)), 'storage_out_of_range');
      await expectCode(s.read(last, 0, layout.pieceLength), 'storage_out_of_range');
      await expectCode(s.read(last, size, 1), 'storage_out_of_range');
      expectBytes(await s.read(last, 0, size), pattern(last * layout.pieceLength, size));
    });

    it('rejects out-of-range addresses with storage_out_of_range and writes nothing', async () => {
      const layout = multiFile();
      const s = await open(layout);
      const L = layout.pieceLength;
      const bad: Array<[number, number, number]> = [
        [-1, 0, 1], [layout.pieceCount, 0, 1], [0.5, 0, 1], [Number.NaN, 0, 1], [0, -1, 1], [0, 0.5, 1],
        [0, L - 10, 20], [0, L + 1, 0], [layout.pieceCount - 1, sizeOf(layout, layout.pieceCount - 1) - 5, 6],
      ];
      for (const [piece, offset, length] of bad) {
        await expectCode(s.write(piece, offset, new Uint8Array(length).fill(0xaa)), 'storage_out_of_range');
        await expectCode(s.read(piece, offset, length), 'storage_out_of_range');
      }
      for (const length of [-1, L + 1, Number.POSITIVE_INFINITY, 1.5]) await expectCode(s.read(0, 0, length), 'storage_out_of_range');
      await expectAll(s, layout, null);
    });

    it('reads unwritten bytes as zeroes', async () => {
      const layout = multiFile();
      const s = await open(layout);
      await s.write(2, 5000, pattern(2 * layout.pieceLength + 5000, 100));
      const got = await s.read(2, 0, layout.pieceLength);
      const want = new Uint8Array(layout.pieceLength);
      want.set(pattern(2 * layout.pieceLength + 5000, 100), 5000);
      expectBytes(got, want);
      expectBytes(await s.read(0, 0, layout.pieceLength), new Uint8Array(layout.pieceLength));
    });

    it('copies data in and out (callers may reuse buffers)', async () => {
      const layout = singleFile();
      const s = await open(layout);
      const buf = pattern(0, 4096);
      await s.write(0, 0, buf);
      buf.fill(0xee);
      const r = await s.read(0, 0, 4096);
      expectBytes(r, pattern(0, 4096));
      r.fill(0x11);
      expectBytes(await s.read(0, 0, 4096), pattern(0, 4096));
    });

    it('rejects every call with storage_closed after close or destroy', async () => {
      for (const end of ['close', 'destroy'] as const) {
        const s = await open(singleFile());
        await s.write(0, 0, pattern(0, 10));
        await s[end]();
        await expectCode(s.write(0, 0, pattern(0, 10)), 'storage_closed');
        await expectCode(s.read(0, 0, 10), 'storage_closed');
        if (s.flush) await expectCode(s.flush(), 'storage_closed');
        if (s.stat) await expectCode(s.stat(), 'storage_closed');
        if (s.move) await expectCode(s.move('elsewhere'), 'storage_closed');
        await expectCode(s.destroy(), 'storage_closed');
        await s.close();
      }
    });

    it('destroy removes the data', async () => {
      const layout = multiFile();
      const s = await open(layout);
      await writeAll(s, layout);
      await s.flush?.();
      await s.destroy();
      const again = await open(layout);
      await expectAll(again, layout, null);
      const stat = await again.stat?.();
      layout.files.forEach((f, i) => {
        if (stat && f.length > 0) expect(stat[i], `file ${i}`).toBeUndefined();
      });
    });

    it('reopen sees previous data where the adapter persists', async () => {
      if (fx.persistent !== true) return;
      const layout = multiFile();
      const s = await open(layout);
      await writeAll(s, layout, 5);
      await s.flush?.();
      await s.close();
      await expectAll(await open(layout), layout, 5);
      if (fx.reopenAdapter) await expectAll(await open(layout, {}, fx.reopenAdapter()), layout, 5);
    });

    it('handles concurrent writes to different blocks of the same piece', async () => {
      const layout = makeLayout([70000, 3, 130000], 65536);
      const s = await open(layout);
      const cuts = [0, 5000, 16384, 32768, 40000, 49152, 65535, 65536];
      const jobs: Array<Promise<void>> = [];
      for (const piece of [1, 0, 2]) {
        for (let c = cuts.length - 2; c >= 0; c--) {
          const [from, to] = [cuts[c] as number, cuts[c + 1] as number];
          jobs.push(s.write(piece, from, pattern(piece * 65536 + from, to - from, 7)));
        }
      }
      await Promise.all(jobs);
      for (const piece of [0, 1, 2]) expectBytes(await s.read(piece, 0, 65536), pattern(piece * 65536, 65536, 7), `piece ${piece}`);
      expectBytes(await s.read(3, 0, sizeOf(layout, 3)), new Uint8Array(sizeOf(layout, 3)));
    });

    it('matches a reference byte array under random writes and reads (property)', async () => {
      const op = fc.record({ piece: fc.nat(), offset: fc.nat(), length: fc.nat({ max: 6000 }), seed: fc.integer({ min: 1, max: 250 }) });
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (ops) => {
          const layout = smallMultiFile();
          const ref = new Uint8Array(layout.totalLength);
          const s = await open(layout);
          try {
            for (const o of ops) {
              const piece = o.piece % layout.pieceCount;
              const size = sizeOf(layout, piece);
              const offset = o.offset % (size + 1);
              const length = Math.min(o.length, size - offset);
              const abs = piece * layout.pieceLength + offset;
              const data = pattern(abs, length, o.seed);
              await s.write(piece, offset, data);
              ref.set(maskPads(layout, abs, data.slice()), abs);
              expectBytes(await s.read(piece, offset, length), ref.subarray(abs, abs + length), 'read-back');
            }
            for (let i = 0; i < layout.pieceCount; i++) {
              const abs = i * layout.pieceLength;
              expectBytes(await s.read(i, 0, sizeOf(layout, i)), ref.subarray(abs, abs + sizeOf(layout, i)), `piece ${i}`);
            }
          } finally {
            await s.destroy();
          }
        }),
        { numRuns: 15 },
      );
    });

    it('does not create skipped files, yet stores bytes written into them', async () => {
      const layout = multiFile();
      const skipFiles = new Set([0, 1, 3, 5]);
      const s = await open(layout, { skipFiles });
      if (!s.stat) return;
      await s.write(2, 0, pattern(2 * layout.pieceLength, layout.pieceLength));
      const st = await s.stat();
      expect(st.length).toBe(layout.files.length);
      for (const i of [0, 1, 2, 3, 4, 5, 7, 9]) expect(st[i], `file ${i}`).toBeUndefined();
      expect(st[6]?.length).toBe(40000);
      expect(st[8]?.length).toBe(0);
      await s.write(0, 0, pattern(0, layout.pieceLength));
      expect((await s.stat())[0]?.length).toBe(5000);
      expectBytes(await s.read(0, 0, 5000), pattern(0, 5000));
    });

    it('readInto (when the adapter has it) fills the caller\'s buffer exactly like read, and checks ranges', async () => {
      const layout = multiFile();
      const s = await open(layout);
      if (!s.readInto) return;
      await writeAll(s, layout, 5);
      // One reused buffer, dirtied between reads: every byte must be overwritten (pads and sparse ranges too).
      const buf = new Uint8Array(layout.pieceLength);
      for (let i = 0; i < layout.pieceCount; i++) {
        const size = sizeOf(layout, i);
        for (const [from, to] of [[0, size], [1, Math.min(size, 7001)], [size - 1, size]] as const) {
          const out = buf.subarray(0, to - from).fill(0xee);
          await s.readInto(i, from, out);
          expectBytes(out, await s.read(i, from, to - from), `piece ${i} [${from}, ${to})`);
        }
      }
      const fresh = await open(makeLayout([70000], 16384));
      const out = new Uint8Array(16384).fill(0xee);
      await fresh.readInto!(1, 0, out);
      expectBytes(out, new Uint8Array(16384), 'never written: zeroes');
      const last = layout.pieceCount - 1;
      await expectCode(s.readInto(last, 0, new Uint8Array(sizeOf(layout, last) + 1)), 'storage_out_of_range');
      await expectCode(s.readInto(layout.pieceCount, 0, new Uint8Array(1)), 'storage_out_of_range');
      await expectCode(s.readInto(-1, 0, new Uint8Array(1)), 'storage_out_of_range');
      await s.close();
      await expectCode(s.readInto(0, 0, new Uint8Array(1)), 'storage_closed');
    });

    it('rejects an inconsistent layout with invalid_argument', async () => {
      const layout = singleFile();
      await expectCode(fx.adapter.open({ ...layout, pieceCount: layout.pieceCount + 1 }), 'invalid_argument');
      await expectCode(fx.adapter.open({ ...layout, pieceLength: 0 }), 'invalid_argument');
    });
  });
}
