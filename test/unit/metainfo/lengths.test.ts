import { describe, expect, it } from 'vitest';
import { BLOCK_SIZE, checkPieceLength, filesForPiece, Lengths } from '../../../src/metainfo/lengths.js';
import { isTorrentError } from '../../../src/errors.js';

describe('Lengths', () => {
  const l = new Lengths(100_000, 32768);
  it('computes piece and block geometry', () => {
    expect(l.pieceCount).toBe(4);
    expect(l.lastPieceLength).toBe(100_000 - 3 * 32768);
    expect(l.pieceSize(0)).toBe(32768);
    expect(l.pieceSize(3)).toBe(1696);
    expect(l.pieceOffset(3)).toBe(98304);
    expect(l.blocksPerPiece).toBe(2);
    expect(l.blocksInPiece(0)).toBe(2);
    expect(l.blocksInPiece(3)).toBe(1);
    expect(l.blockSize(0, 1)).toBe(BLOCK_SIZE);
    expect(l.blockSize(3, 0)).toBe(1696);
  });
  it('validates indexes', () => {
    for (const bad of [-1, 4, 1.5, Number.NaN]) expect(() => l.pieceSize(bad)).toThrow(/out of range/);
    expect(() => l.blockSize(3, 1)).toThrow(/out of range/);
    expect(l.isValidRequest(0, 16384, 16384)).toBe(true);
    expect(l.isValidRequest(3, 0, 1697)).toBe(false);
    expect(l.isValidRequest(0, 0, 16385)).toBe(false);
    expect(l.isValidRequest(4, 0, 1)).toBe(false);
  });
  it('maps byte ranges to pieces and pieces to files', () => {
    expect(l.piecesForRange(0, 1)).toEqual({ first: 0, end: 1 });
    expect(l.piecesForRange(32767, 2)).toEqual({ first: 0, end: 2 });
    expect(l.piecesForRange(50_000, 0)).toEqual({ first: 1, end: 1 });
    expect(() => l.piecesForRange(99_999, 2)).toThrow();
    const files = [{ offset: 0, length: 40_000 }, { offset: 40_000, length: 0 }, { offset: 40_000, length: 60_000 }];
    expect(filesForPiece(l, files, 0)).toEqual([{ file: 0, offset: 0, length: 32768 }]);
    expect(filesForPiece(l, files, 1)).toEqual([{ file: 0, offset: 32768, length: 40_000 - 32768 }, { file: 2, offset: 0, length: 65536 - 40_000 }]);
    expect(filesForPiece(l, files, 3)).toEqual([{ file: 2, offset: 98304 - 40_000, length: 1696 }]);
  });
  it('rejects bad totals, piece lengths and too many pieces with typed errors', () => {
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (e) {
        return isTorrentError(e) ? e.code : 'other';
      }
      return undefined;
    };
    expect(code(() => new Lengths(0, 16384))).toBe('torrent_invalid_length');
    expect(code(() => new Lengths(2 ** 53, 16384))).toBe('torrent_invalid_length');
    expect(code(() => new Lengths(100, 0))).toBe('torrent_invalid_piece_length');
    expect(code(() => new Lengths(16384 * 3 + 1, 16384, 3))).toBe('torrent_too_many_pieces');
    expect(checkPieceLength(30000, false)).toBe(30000);
    expect(code(() => checkPieceLength(30000, true))).toBe('torrent_invalid_piece_length');
    expect(code(() => checkPieceLength(2 ** 30, false))).toBe('torrent_invalid_piece_length');
    expect(checkPieceLength(2 ** 29, true)).toBe(2 ** 29);
  });
});
