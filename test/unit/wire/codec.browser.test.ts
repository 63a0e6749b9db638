// The wire codec in real Chromium: same code, browser runtime (TextEncoder, crypto.getRandomValues, typed arrays).
import { describe, expect, it } from 'vitest';
import { WireDecoder } from '../../../src/wire/decoder.js';
import { encodeBatch, encodePieceHeader } from '../../../src/wire/encoder.js';
import { HandshakeReader, encodeHandshake, generatePeerId } from '../../../src/wire/handshake.js';
import { decodeExtensionHandshake, encodeExtensionHandshake } from '../../../src/wire/extensions/extension-handshake.js';
import type { WireMessage } from '../../../src/wire/messages.js';
import { isTorrentError } from '../../../src/errors.js';
import { Recorder } from './recorder.js';

describe('wire codec in the browser', () => {
  it('handshake, messages in odd chunks, extension handshake', () => {
    const peerId = generatePeerId();
    expect(new TextDecoder().decode(peerId.subarray(0, 8))).toBe('-SK0100-');
    const hs = encodeHandshake({ infoHash: new Uint8Array(20).fill(1), peerId, fast: true, extended: true });
    const msgs: WireMessage[] = [
      { type: 'haveAll' },
      { type: 'extended', id: 0, payload: encodeExtensionHandshake({ m: new Map([['ut_pex', 2]]), reqq: 250 }) },
      { type: 'piece', index: 0, begin: 0, block: new Uint8Array(16384).fill(5) },
      { type: 'request', index: 1, begin: 16384, length: 16384 },
    ];
    const wire = new Uint8Array([...hs, ...encodeBatch(msgs)]);
    const reader = new HandshakeReader();
    const got = reader.write(wire.subarray(0, 100));
    expect(got?.fast && got.extended).toBe(true);
    expect(got?.peerId).toEqual(peerId);
    const r = new Recorder();
    const d = new WireDecoder(r, { fast: got?.fast, extended: got?.extended, pieceCount: 4 });
    for (const c of reader.remainder()) d.write(c);
    for (let i = 100; i < wire.length; i += 777) d.write(wire.subarray(i, Math.min(wire.length, i + 777)));
    expect(r.messages).toEqual(msgs);
    const ext = r.messages[1];
    expect(ext?.type === 'extended' && decodeExtensionHandshake(ext.payload).reqq).toBe(250);
    expect(encodePieceHeader(0, 0, 16384).length).toBe(13);
  });

  it('oversized lengths are rejected with typed errors', () => {
    const d = new WireDecoder(new Recorder());
    let err: unknown;
    try {
      d.write(Uint8Array.of(0x80, 0, 0, 0));
    } catch (e) {
      err = e;
    }
    expect(isTorrentError(err, 'message_too_large')).toBe(true);
  });
});
