import { describe, expect, it } from 'vitest';
import { isTorrentError } from '../../../src/errors.js';
import { Lengths } from '../../../src/metainfo/lengths.js';
import { piecePrioritiesFromFiles } from '../../../src/picker/priorities.js';

describe('piecePrioritiesFromFiles', () => {
  it('gives a piece the highest priority of the files it touches, ignoring pad and empty files', () => {
    const lengths = new Lengths(100, 10); // 10 pieces
    const files = [
      { offset: 0, length: 25 }, // pieces 0..2
      { offset: 25, length: 0 }, // empty
      { offset: 25, length: 5, pad: true }, // pad: piece 2
      { offset: 30, length: 45 }, // pieces 3..7
      { offset: 75, length: 25 }, // pieces 7..9
    ];
    const prios = piecePrioritiesFromFiles(lengths, files, [1, 7, 7, 0, 6]);
    expect([...prios]).toEqual([1, 1, 1, 0, 0, 0, 0, 6, 6, 6]);
  });

  it('rejects a priority list of the wrong length or out of range', () => {
    const lengths = new Lengths(100, 10);
    const files = [{ offset: 0, length: 100 }];
    for (const p of [[], [8], [1.5]]) {
      try {
        piecePrioritiesFromFiles(lengths, files, p);
        expect.unreachable();
      } catch (err) {
        expect(isTorrentError(err, 'invalid_argument')).toBe(true);
      }
    }
  });
});
