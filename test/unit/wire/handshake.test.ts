import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HANDSHAKE_LENGTH, HandshakeReader, encodeHandshake, generatePeerId, makeReserved, readFlags } from '../../../src/wire/handshake.js';
import { isTorrentError } from '../../../src/errors.js';
import { encodeHave } from '../../../src/wire/encoder.js';

const infoHash = Uint8Array.from({ length: 20 }, (_, i) => i + 1);
const peerId = new TextEncoder().encode('-SK0100-abcdefghijkl');

function catchErr(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('handshake', () => {
  it('encodes the 68 BEP 3 bytes with the capability bits in the documented places', () => {
    const h = encodeHandshake({ infoHash, peerId, fast: true, extended: true, dht: true, v2: true });
    expect(h.length).toBe(HANDSHAKE_LENGTH);
    expect(h[0]).toBe(19);
    expect(new TextDecoder().decode(h.subarray(1, 20))).toBe('BitTorrent protocol');
    expect([...h.subarray(20, 28)]).toEqual([0, 0, 0, 0, 0, 0x10, 0, 0x04 | 0x01 | 0x10]);
    expect(h.subarray(28, 48)).toEqual(infoHash);
    expect(h.subarray(48, 68)).toEqual(peerId);
    expect([...makeReserved({})]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(readFlags(makeReserved({ fast: true }))).toEqual({ fast: true, extended: false, dht: false, v2: false });
  });

  it('parses a handshake arriving in any split, keeps unknown reserved bits, and hands back the bytes after it', () => {
    const reserved = Uint8Array.of(0x80, 0, 0, 0, 0, 0x10, 0, 0x05);
    const wire = Uint8Array.from([...encodeHandshake({ infoHash, peerId, reserved }), ...encodeHave(3)]);
    fc.assert(
      fc.property(fc.array(fc.nat({ max: wire.length }), { maxLength: 10 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const r = new HandshakeReader();
        let result;
        let prev = 0;
        for (const p of [...points, wire.length]) {
          const got = r.write(wire.subarray(prev, p));
          if (p < 68) expect(got).toBeUndefined();
          if (p >= 48) expect(r.infoHash).toEqual(infoHash);
          else expect(r.infoHash).toBeUndefined();
          result = got;
          prev = p;
        }
        expect(result).toMatchObject({ reserved, infoHash, peerId, fast: true, extended: true, dht: true, v2: false });
        const rest = r.remainder().flatMap((c) => [...c]);
        expect(rest).toEqual([...encodeHave(3)]);
        expect(r.remainder()).toEqual([]);
      }),
    );
  });

  it('fails with handshake_failed at the first wrong byte, without waiting for 68 bytes', () => {
    const r1 = new HandshakeReader();
    expect(isTorrentError(catchErr(() => r1.write(Uint8Array.of(18))), 'handshake_failed')).toBe(true);
    const r2 = new HandshakeReader();
    r2.write(Uint8Array.of(19, ...new TextEncoder().encode('BitTorrent')));
    expect(isTorrentError(catchErr(() => r2.write(new TextEncoder().encode(' Protocol'))), 'handshake_failed')).toBe(true);
    const http = new TextEncoder().encode('GET / HTTP/1.1\r\n');
    expect(isTorrentError(catchErr(() => new HandshakeReader().write(http)), 'handshake_failed')).toBe(true);
  });

  it('rejects bad arguments', () => {
    expect(isTorrentError(catchErr(() => encodeHandshake({ infoHash: new Uint8Array(32), peerId })), 'invalid_argument')).toBe(true);
    expect(isTorrentError(catchErr(() => encodeHandshake({ infoHash, peerId: new Uint8Array(19) })), 'invalid_argument')).toBe(true);
    expect(isTorrentError(catchErr(() => encodeHandshake({ infoHash, peerId, reserved: new Uint8Array(7) })), 'invalid_argument')).toBe(true);
  });

  it('generates BEP 20 peer ids: -SK0100- then 12 random bytes', () => {
    const a = generatePeerId();
    const b = generatePeerId();
    expect(a.length).toBe(20);
    expect(new TextDecoder().decode(a.subarray(0, 8))).toBe('-SK0100-');
    expect(a.subarray(8)).not.toEqual(b.subarray(8));
    expect(new TextDecoder().decode(generatePeerId('-XX1234-').subarray(0, 8))).toBe('-XX1234-');
    expect(isTorrentError(catchErr(() => generatePeerId('x'.repeat(21))), 'invalid_argument')).toBe(true);
    expect(isTorrentError(catchErr(() => generatePeerId('-É-')), 'invalid_argument')).toBe(true);
  });
});
