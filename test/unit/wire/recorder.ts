// Test helper: a WireHandler that records every call as a WireMessage (copying views), and a splitter that feeds
// a byte string to a decoder in chosen pieces.
import type { WireHandler, WireMessage } from '../../../src/wire/messages.js';
import type { WireDecoder } from '../../../src/wire/decoder.js';

/** Records decoded messages; `views` keeps the raw (uncopied) views handed to the handler, for zero-copy checks. */
export class Recorder implements WireHandler {
  readonly messages: WireMessage[] = [];
  readonly views: Uint8Array[] = [];
  onKeepAlive(): void { this.messages.push({ type: 'keepAlive' }); }
  onChoke(): void { this.messages.push({ type: 'choke' }); }
  onUnchoke(): void { this.messages.push({ type: 'unchoke' }); }
  onInterested(): void { this.messages.push({ type: 'interested' }); }
  onNotInterested(): void { this.messages.push({ type: 'notInterested' }); }
  onHave(index: number): void { this.messages.push({ type: 'have', index }); }
  onBitfield(bits: Uint8Array): void { this.views.push(bits); this.messages.push({ type: 'bitfield', bits: bits.slice() }); }
  onRequest(index: number, begin: number, length: number): void { this.messages.push({ type: 'request', index, begin, length }); }
  onPiece(index: number, begin: number, block: Uint8Array): void { this.views.push(block); this.messages.push({ type: 'piece', index, begin, block: block.slice() }); }
  onCancel(index: number, begin: number, length: number): void { this.messages.push({ type: 'cancel', index, begin, length }); }
  onPort(port: number): void { this.messages.push({ type: 'port', port }); }
  onSuggest(index: number): void { this.messages.push({ type: 'suggest', index }); }
  onHaveAll(): void { this.messages.push({ type: 'haveAll' }); }
  onHaveNone(): void { this.messages.push({ type: 'haveNone' }); }
  onReject(index: number, begin: number, length: number): void { this.messages.push({ type: 'reject', index, begin, length }); }
  onAllowedFast(index: number): void { this.messages.push({ type: 'allowedFast', index }); }
  onExtended(id: number, payload: Uint8Array): void { this.views.push(payload); this.messages.push({ type: 'extended', id, payload: payload.slice() }); }
  onUnknown(id: number, payload: Uint8Array): void { this.views.push(payload); this.messages.push({ type: 'unknown', id, payload: payload.slice() }); }
}

/** Feeds `bytes` to `decoder` cut at the given (any order, any range) positions. */
export function feedSplit(decoder: WireDecoder, bytes: Uint8Array, cuts: readonly number[]): void {
  const points = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % (bytes.length + 1))))].sort((a, b) => a - b);
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    if (p < prev) continue;
    decoder.write(bytes.subarray(prev, p));
    prev = p;
  }
}

/** Feeds `bytes` one byte at a time. */
export function feedBytewise(decoder: WireDecoder, bytes: Uint8Array): void {
  for (let i = 0; i < bytes.length; i++) decoder.write(bytes.subarray(i, i + 1));
}
