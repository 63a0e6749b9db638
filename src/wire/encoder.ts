/**
 * Peer wire encoder. Every function computes the exact size first and allocates once; a piece is sent as a
 * 13-byte header ({@link encodePieceHeader}) followed by the block view in the same `writev`, never by
 * concatenating. Small messages produced in one tick (have, request, cancel, ...) batch into one buffer with
 * {@link encodeRequests}, {@link encodeHaves} or {@link encodeBatch}.
 *
 * Arguments are validated (unsigned 32-bit integers, 16-bit port, 8-bit extended id); a bad argument throws
 * `TorrentError('invalid_argument')`, because it is a bug on our side, never peer input.
 */
import { TorrentError } from '../errors.js';
import { MAX_LENGTH_PREFIX, MessageId } from './messages.js';
import type { BlockRef, WireMessage } from './messages.js';

function u32(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new TorrentError('invalid_argument', `${name} must be an unsigned 32-bit integer, got ${v}`);
  }
  return v;
}

function checkByte(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 255) throw new TorrentError('invalid_argument', `${name} must be in 0..255, got ${v}`);
}

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
    throw new TorrentError('invalid_argument', `port must be in 0..65535, got ${port}`);
  }
}

function putU32(buf: Uint8Array, at: number, v: number): void {
  buf[at] = v >>> 24;
  buf[at + 1] = (v >>> 16) & 0xff;
  buf[at + 2] = (v >>> 8) & 0xff;
  buf[at + 3] = v & 0xff;
}

function payloadLength(n: number): number {
  if (n + 1 > MAX_LENGTH_PREFIX) throw new TorrentError('invalid_argument', `message payload of ${n} bytes is too large`);
  return n;
}

/** Writes a length prefix and id at `at`; returns the offset of the payload. */
function header(buf: Uint8Array, at: number, payload: number, id: number): number {
  putU32(buf, at, payload + 1);
  buf[at + 4] = id;
  return at + 5;
}

/** A 4-byte zero length prefix. */
export function encodeKeepAlive(): Uint8Array {
  return new Uint8Array(4);
}

function bare(id: number): Uint8Array {
  const b = new Uint8Array(5);
  header(b, 0, 0, id);
  return b;
}

/** `choke` (id 0). */
export function encodeChoke(): Uint8Array {
  return bare(MessageId.choke);
}
/** `unchoke` (id 1). */
export function encodeUnchoke(): Uint8Array {
  return bare(MessageId.unchoke);
}
/** `interested` (id 2). */
export function encodeInterested(): Uint8Array {
  return bare(MessageId.interested);
}
/** `not interested` (id 3). */
export function encodeNotInterested(): Uint8Array {
  return bare(MessageId.notInterested);
}
/** BEP 6 `have all` (id 14). */
export function encodeHaveAll(): Uint8Array {
  return bare(MessageId.haveAll);
}
/** BEP 6 `have none` (id 15). */
export function encodeHaveNone(): Uint8Array {
  return bare(MessageId.haveNone);
}

function indexMessage(id: number, index: number): Uint8Array {
  const b = new Uint8Array(9);
  putU32(b, header(b, 0, 4, id), u32('index', index));
  return b;
}

/** `have` (id 4). */
export function encodeHave(index: number): Uint8Array {
  return indexMessage(MessageId.have, index);
}
/** BEP 6 `suggest piece` (id 13). */
export function encodeSuggest(index: number): Uint8Array {
  return indexMessage(MessageId.suggest, index);
}
/** BEP 6 `allowed fast` (id 17). */
export function encodeAllowedFast(index: number): Uint8Array {
  return indexMessage(MessageId.allowedFast, index);
}

/** Many `have` messages in one buffer (9 bytes each), e.g. the pieces completed in one tick. */
export function encodeHaves(indexes: ArrayLike<number>): Uint8Array {
  const n = indexes.length;
  const b = new Uint8Array(9 * n);
  for (let i = 0; i < n; i++) putU32(b, header(b, 9 * i, 4, MessageId.have), u32('index', indexes[i]!));
  return b;
}

function blockMessageInto(b: Uint8Array, at: number, id: number, index: number, begin: number, length: number): void {
  const p = header(b, at, 12, id);
  putU32(b, p, u32('index', index));
  putU32(b, p + 4, u32('begin', begin));
  putU32(b, p + 8, u32('length', length));
}

function blockMessage(id: number, index: number, begin: number, length: number): Uint8Array {
  const b = new Uint8Array(17);
  blockMessageInto(b, 0, id, index, begin, length);
  return b;
}

/** `request` (id 6). */
export function encodeRequest(index: number, begin: number, length: number): Uint8Array {
  return blockMessage(MessageId.request, index, begin, length);
}
/** `cancel` (id 8). */
export function encodeCancel(index: number, begin: number, length: number): Uint8Array {
  return blockMessage(MessageId.cancel, index, begin, length);
}
/** BEP 6 `reject request` (id 16). */
export function encodeReject(index: number, begin: number, length: number): Uint8Array {
  return blockMessage(MessageId.reject, index, begin, length);
}

function blockBatch(id: number, list: readonly BlockRef[]): Uint8Array {
  const b = new Uint8Array(17 * list.length);
  for (let i = 0; i < list.length; i++) {
    const r = list[i]!;
    blockMessageInto(b, 17 * i, id, r.index, r.begin, r.length);
  }
  return b;
}

/** Many `request` messages in one buffer (17 bytes each). */
export function encodeRequests(list: readonly BlockRef[]): Uint8Array {
  return blockBatch(MessageId.request, list);
}
/** Many `cancel` messages in one buffer (17 bytes each). */
export function encodeCancels(list: readonly BlockRef[]): Uint8Array {
  return blockBatch(MessageId.cancel, list);
}
/** Many BEP 6 `reject request` messages in one buffer (17 bytes each). */
export function encodeRejects(list: readonly BlockRef[]): Uint8Array {
  return blockBatch(MessageId.reject, list);
}

/**
 * The 13-byte header of a `piece` message carrying `length` block bytes. Send it and the block view together
 * (`stream.writev([header, block])`) so the block is never copied.
 */
export function encodePieceHeader(index: number, begin: number, length: number): Uint8Array {
  const b = new Uint8Array(13);
  const p = header(b, 0, payloadLength(8 + u32('length', length)), MessageId.piece);
  putU32(b, p, u32('index', index));
  putU32(b, p + 4, u32('begin', begin));
  return b;
}

/** A whole `piece` message in one buffer (copies the block; for tests and tiny blocks — prefer the header + writev). */
export function encodePiece(index: number, begin: number, block: Uint8Array): Uint8Array {
  return encodeMessage({ type: 'piece', index, begin, block });
}

/** `bitfield` (id 5) with the given raw bytes (high bit of byte 0 = piece 0). */
export function encodeBitfield(bits: Uint8Array): Uint8Array {
  return encodeMessage({ type: 'bitfield', bits });
}

/** BEP 5 `port` (id 9): the sender's DHT port. */
export function encodePort(port: number): Uint8Array {
  return encodeMessage({ type: 'port', port });
}

/** BEP 10 `extended` (id 20): extended message `id` (0 = extension handshake) with a bencoded or raw payload. */
export function encodeExtended(id: number, payload: Uint8Array): Uint8Array {
  return encodeMessage({ type: 'extended', id, payload });
}

/** Size in bytes of `m` on the wire, length prefix included. */
export function encodedSize(m: WireMessage): number {
  switch (m.type) {
    case 'keepAlive':
      return 4;
    case 'choke':
    case 'unchoke':
    case 'interested':
    case 'notInterested':
    case 'haveAll':
    case 'haveNone':
      return 5;
    case 'have':
    case 'suggest':
    case 'allowedFast':
      return 9;
    case 'request':
    case 'cancel':
    case 'reject':
      return 17;
    case 'piece':
      return 13 + m.block.length;
    case 'bitfield':
      return 5 + m.bits.length;
    case 'port':
      return 7;
    case 'extended':
      return 6 + m.payload.length;
    case 'unknown':
      return 5 + m.payload.length;
  }
}

/** Encodes `m` (any message) into a new buffer. */
export function encodeMessage(m: WireMessage): Uint8Array {
  const b = new Uint8Array(encodedSize(m));
  writeMessage(b, 0, m);
  return b;
}

/** Encodes several messages into one buffer, allocated once (the per-tick batch of small messages). */
export function encodeBatch(messages: readonly WireMessage[]): Uint8Array {
  let size = 0;
  for (const m of messages) size += encodedSize(m);
  const b = new Uint8Array(size);
  let at = 0;
  for (const m of messages) at = writeMessage(b, at, m);
  return b;
}

/** Writes `m` at `at` in `b` (which must have room); returns the offset after it. */
function writeMessage(b: Uint8Array, at: number, m: WireMessage): number {
  const size = encodedSize(m);
  switch (m.type) {
    case 'keepAlive':
      break; // four zero bytes: the buffer is fresh
    case 'choke':
    case 'unchoke':
    case 'interested':
    case 'notInterested':
    case 'haveAll':
    case 'haveNone':
      header(b, at, 0, MessageId[m.type]);
      break;
    case 'have':
    case 'suggest':
    case 'allowedFast':
      putU32(b, header(b, at, 4, MessageId[m.type]), u32('index', m.index));
      break;
    case 'request':
    case 'cancel':
    case 'reject':
      blockMessageInto(b, at, MessageId[m.type], m.index, m.begin, m.length);
      break;
    case 'piece': {
      const p = header(b, at, payloadLength(8 + m.block.length), MessageId.piece);
      putU32(b, p, u32('index', m.index));
      putU32(b, p + 4, u32('begin', m.begin));
      b.set(m.block, p + 8);
      break;
    }
    case 'bitfield':
      b.set(m.bits, header(b, at, payloadLength(m.bits.length), MessageId.bitfield));
      break;
    case 'port': {
      checkPort(m.port);
      const p = header(b, at, 2, MessageId.port);
      b[p] = m.port >>> 8;
      b[p + 1] = m.port & 0xff;
      break;
    }
    case 'extended': {
      checkByte('extended message id', m.id);
      const p = header(b, at, payloadLength(1 + m.payload.length), MessageId.extended);
      b[p] = m.id;
      b.set(m.payload, p + 1);
      break;
    }
    case 'unknown': {
      checkByte('message id', m.id);
      b.set(m.payload, header(b, at, payloadLength(m.payload.length), m.id));
      break;
    }
  }
  return at + size;
}
