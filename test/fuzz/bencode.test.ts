// Property tests for the strict bencode decoder / encoder (fast-check).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
// npm `bencode` is an ENCODING oracle only; it never decodes (its decoder hangs on `l-3:e`).
import oracle from 'bencode';
import { bdecode, bencode, binaryKey } from '../../src/metainfo/bencode.js';
import type { BValue } from '../../src/metainfo/bencode.js';
import { isTorrentError } from '../../src/errors.js';

const { value: canonical } = fc.letrec<{ value: BValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.maxSafeInteger(),
    fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }).filter((n) => n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.array(fc.tuple(fc.uint8Array({ maxLength: 8 }), tie('value')), { maxLength: 5 }).map((entries) => new Map(entries.map(([k, v]) => [binaryKey(k), v]))),
  ),
}));

type Plain = number | string | Plain[] | { [k: string]: Plain };
const { plain } = fc.letrec<{ plain: Plain }>((tie) => ({
  plain: fc.oneof(
    { depthSize: 'small' },
    fc.maxSafeInteger(),
    fc.string({ unit: 'grapheme', maxLength: 20 }),
    fc.array(tie('plain'), { maxLength: 4 }),
    fc.dictionary(fc.string({ unit: 'grapheme-ascii', maxLength: 8 }), tie('plain'), { maxKeys: 4, noNullPrototype: true }),
  ),
}));

describe('bencode properties', () => {
  it('decode ∘ encode is the identity on canonical values, and encode ∘ decode on their bytes', () => {
    fc.assert(
      fc.property(canonical, (v) => {
        const bytes = bencode(v);
        const back = bdecode(bytes);
        expect(back).toEqual(v);
        expect(bencode(back)).toEqual(bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it('encodes plain objects exactly like the npm bencode oracle', () => {
    fc.assert(
      fc.property(plain, (v) => {
        expect(bencode(v)).toEqual(new Uint8Array(oracle.encode(v)));
      }),
      { numRuns: 1000 },
    );
  });

  const tokenish = fc
    .array(fc.constantFrom('i', 'e', 'l', 'd', '0', '1', '2', '9', ':', '-', 'a', '+', '.', '3:abc', 'i-0e', 'de', 'le'), { maxLength: 60 })
    .map((parts) => new TextEncoder().encode(parts.join('')));

  it('any bytes decode to a value or a TorrentError, quickly', () => {
    let worst = 0;
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), tokenish), (bytes) => {
        const t0 = performance.now();
        try {
          const v = bdecode(bytes);
          // Whatever decodes must be canonical: re-encoding gives the same bytes.
          expect(bencode(v)).toEqual(bytes);
        } catch (err) {
          if (!isTorrentError(err) || !err.code.startsWith('bdecode_')) throw err;
        }
        worst = Math.max(worst, performance.now() - t0);
      }),
      { numRuns: 20_000 },
    );
    expect(worst).toBeLessThan(50);
  });
});
