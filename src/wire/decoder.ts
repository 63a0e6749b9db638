/**
 * The peer wire decoder: the receive hot path. Bytes arrive in chunks of any size; messages leave as calls on a
 * {@link WireHandler}. See WIRE.md for the states and limits.
 *
 * Invariants:
 * - `chunks[0]` starting at `head` holds the oldest unread byte; `buffered` counts unread bytes in all chunks.
 * - A message's length prefix is checked against the limits before any of its payload is waited for, so an
 *   attacker-claimed size never drives buffering or allocation. After `write` returns, at most one message's
 *   worth (≤ the largest limit) stays buffered.
 * - The caller's chunk is borrowed only for the duration of `write`: bytes still unread when it returns are
 *   copied into `carry`, an owned buffer reused across writes, so a transport may read every chunk into one
 *   reused buffer. A piece block is handed to `onPiece` as a view (of the chunk, of `carry`, or of the reused
 *   `scratch` when it spans chunks) valid only during the call. Every other payload (bitfield, extended,
 *   unknown) is a fresh copy: they are rare and small, and handlers may keep them.
 * - Any throw (a protocol error, or an exception from the handler) kills the decoder: buffers are released and
 *   every later `write` rethrows the same error.
 */
import { TorrentError } from '../errors.js';
import {
  DEFAULT_MAX_BLOCK_SIZE,
  DEFAULT_MAX_EXTENDED_SIZE,
  DEFAULT_MAX_MESSAGE_SIZE,
  MAX_LENGTH_PREFIX,
  MessageId,
  bitfieldBytes,
} from './messages.js';
import type { WireHandler } from './messages.js';

/** Options of a {@link WireDecoder}. All sizes are in bytes. */
export interface WireDecoderOptions {
  /** BEP 6 negotiated (both handshakes had reserved[7] & 0x04). Fast messages are invalid otherwise. Default false. */
  fast?: boolean;
  /** BEP 10 negotiated (both handshakes had reserved[5] & 0x10). Extended messages are invalid otherwise. Default false. */
  extended?: boolean;
  /** Number of pieces, when known; enables index and bitfield checks. Settable later (magnet links). */
  pieceCount?: number;
  /** Largest block in a `piece` message and largest `request` length. Default 16 KiB. */
  maxBlockSize?: number;
  /** Largest length prefix for messages without a tighter rule (bitfield before the piece count, unknown ids). Default 1 MiB. */
  maxMessageSize?: number;
  /** Largest length prefix of an extended (id 20) message. Default 2 MiB. */
  maxExtendedSize?: number;
}

// Parser states (integers, not strings).
const S_LENGTH = 0; // waiting for the 4-byte length prefix
const S_ID = 1; // waiting for the 1-byte message id
const S_PAYLOAD = 2; // waiting for msgLength - 1 payload bytes
const S_DEAD = 3; // failed or destroyed

const EMPTY = new Uint8Array(0);
/** Smallest `carry` / `scratch` allocation: one block message plus change. */
const MIN_OWNED = 32 * 1024;

/** Streaming decoder of peer wire messages (after the handshake). One per connection. */
export class WireDecoder {
  private readonly handler: WireHandler;
  private chunks: Uint8Array[] = [];
  private head = 0;
  private buffered = 0;
  private state = S_LENGTH;
  private msgLength = 0;
  private msgId = 0;
  private looping = false;
  private failure: unknown = undefined;
  private _fast: boolean;
  private _extended: boolean;
  private _pieceCount: number;
  private readonly maxBlock: number;
  private readonly maxMessage: number;
  private readonly maxExtended: number;
  private maxPrefix = 0;
  /** Owned copy of the bytes left unread when `write` returned (see the invariants); reused. */
  private carry: Uint8Array = EMPTY;
  /** Owned buffer a block spanning chunks is assembled in; reused. */
  private scratch: Uint8Array = EMPTY;

  constructor(handler: WireHandler, opts: WireDecoderOptions = {}) {
    this.handler = handler;
    this._fast = opts.fast ?? false;
    this._extended = opts.extended ?? false;
    this.maxBlock = sizeOption('maxBlockSize', opts.maxBlockSize, DEFAULT_MAX_BLOCK_SIZE, 1, MAX_LENGTH_PREFIX - 9);
    this.maxMessage = sizeOption('maxMessageSize', opts.maxMessageSize, DEFAULT_MAX_MESSAGE_SIZE, 1, MAX_LENGTH_PREFIX);
    this.maxExtended = sizeOption('maxExtendedSize', opts.maxExtendedSize, DEFAULT_MAX_EXTENDED_SIZE, 2, MAX_LENGTH_PREFIX);
    this._pieceCount = -1;
    if (opts.pieceCount !== undefined) this.pieceCount = opts.pieceCount;
    else this.recomputeMaxPrefix();
  }

  /** Number of pieces, or undefined while unknown. Setting it enables index and exact-bitfield checks. */
  get pieceCount(): number | undefined {
    return this._pieceCount < 0 ? undefined : this._pieceCount;
  }
  set pieceCount(n: number | undefined) {
    if (n === undefined) this._pieceCount = -1;
    else {
      if (!Number.isSafeInteger(n) || n < 0 || n > MAX_LENGTH_PREFIX) {
        throw new TorrentError('invalid_argument', `pieceCount must be an integer in 0..2^31-1, got ${n}`);
      }
      this._pieceCount = n;
    }
    this.recomputeMaxPrefix();
  }

  /** Whether BEP 6 fast-extension messages are accepted. */
  get fast(): boolean {
    return this._fast;
  }
  set fast(on: boolean) {
    this._fast = on;
  }

  /** Whether BEP 10 extended messages are accepted. */
  get extended(): boolean {
    return this._extended;
  }
  set extended(on: boolean) {
    this._extended = on;
    this.recomputeMaxPrefix();
  }

  /** Bytes received but not yet decoded (for memory accounting and tests). */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** True after a protocol error, a handler exception, or {@link destroy}. */
  get destroyed(): boolean {
    return this.state === S_DEAD;
  }

  /**
   * Feeds received bytes and dispatches every complete message to the handler, synchronously.
   * Throws `TorrentError` (`message_too_large`, `invalid_message`) on a protocol violation; the connection
   * should then be closed. `chunk` is only borrowed: unread bytes are copied before this returns, so the
   * caller may reuse its buffer afterwards.
   */
  write(chunk: Uint8Array): void {
    if (this.state === S_DEAD) {
      if (this.failure !== undefined) throw this.failure;
      return;
    }
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.looping) return; // a handler fed us re-entrantly: the running loop picks the chunk up
    this.looping = true;
    try {
      this.run();
      if (this.buffered > 0) this.keepTail();
    } catch (err) {
      this.failure = err;
      this.release();
      throw err;
    } finally {
      this.looping = false;
    }
  }

  /** Stops decoding and drops buffered bytes; later writes are ignored. Safe to call from a handler method. */
  destroy(): void {
    this.release();
  }

  private release(): void {
    this.state = S_DEAD;
    this.chunks = [];
    this.head = 0;
    this.buffered = 0;
    this.carry = EMPTY;
    this.scratch = EMPTY;
  }

  /**
   * Copies the unread bytes into `carry` (growing it by doubling, so a large message arriving in many small
   * chunks is copied O(n) times in total) and makes it the only chunk: no caller chunk stays referenced.
   */
  private keepTail(): void {
    const n = this.buffered;
    const chunks = this.chunks;
    const first = chunks[0]!;
    const old = this.carry;
    const firstIsCarry = old.length > 0 && first.buffer === old.buffer;
    if (chunks.length === 1 && firstIsCarry && this.head === 0) return; // nothing consumed, nothing added
    let dst = old;
    if (dst.length < n) dst = new Uint8Array(Math.max(n, 2 * old.length, MIN_OWNED));
    else if (dst.length > 4 * MIN_OWNED && n <= MIN_OWNED) dst = new Uint8Array(MIN_OWNED); // give a big one back
    let at: number;
    if (firstIsCarry && dst === old) {
      dst.copyWithin(0, this.head, first.length);
      at = first.length - this.head;
    } else {
      dst.set(this.head === 0 ? first : first.subarray(this.head), 0);
      at = first.length - this.head;
    }
    for (let i = 1; i < chunks.length; i++) {
      dst.set(chunks[i]!, at);
      at += chunks[i]!.length;
    }
    this.carry = dst;
    chunks.length = 0;
    chunks.push(dst.subarray(0, n));
    this.head = 0;
  }

  private recomputeMaxPrefix(): void {
    let max = Math.max(this.maxMessage, 9 + this.maxBlock);
    if (this._extended) max = Math.max(max, this.maxExtended);
    if (this._pieceCount >= 0) max = Math.max(max, 1 + bitfieldBytes(this._pieceCount));
    this.maxPrefix = Math.min(max, MAX_LENGTH_PREFIX);
  }

  private run(): void {
    for (;;) {
      const s = this.state;
      if (s === S_LENGTH) {
        if (this.buffered < 4) return;
        const len = this.readU32();
        if (len === 0) {
          this.handler.onKeepAlive();
          continue;
        }
        if (len > this.maxPrefix) throw tooLarge(len, this.maxPrefix, -1);
        this.msgLength = len;
        this.state = S_ID;
      } else if (s === S_ID) {
        if (this.buffered < 1) return;
        const id = this.readU8();
        this.checkLength(id, this.msgLength);
        this.msgId = id;
        this.state = S_PAYLOAD;
      } else if (s === S_PAYLOAD) {
        if (this.buffered < this.msgLength - 1) return;
        this.state = S_LENGTH;
        this.dispatch(this.msgId, this.msgLength - 1);
      } else {
        return; // destroyed by a handler
      }
    }
  }

  /** Validates a length prefix for its id before the payload is buffered. */
  private checkLength(id: number, len: number): void {
    switch (id) {
      case MessageId.choke:
      case MessageId.unchoke:
      case MessageId.interested:
      case MessageId.notInterested:
        if (len !== 1) throw wrongLength(id, len, 1);
        return;
      case MessageId.have:
        if (len !== 5) throw wrongLength(id, len, 5);
        return;
      case MessageId.bitfield:
        if (this._pieceCount >= 0) {
          const want = 1 + bitfieldBytes(this._pieceCount);
          if (len !== want) throw wrongLength(id, len, want);
        } else if (len > this.maxMessage) throw tooLarge(len, this.maxMessage, id);
        return;
      case MessageId.request:
      case MessageId.cancel:
        if (len !== 13) throw wrongLength(id, len, 13);
        return;
      case MessageId.piece:
        if (len > 9 + this.maxBlock) throw tooLarge(len, 9 + this.maxBlock, id);
        if (len < 10) throw invalid(`piece message with no block (length ${len})`, { id, length: len });
        return;
      case MessageId.port:
        if (len !== 3) throw wrongLength(id, len, 3);
        return;
      case MessageId.suggest:
      case MessageId.allowedFast:
        this.requireFast(id);
        if (len !== 5) throw wrongLength(id, len, 5);
        return;
      case MessageId.haveAll:
      case MessageId.haveNone:
        this.requireFast(id);
        if (len !== 1) throw wrongLength(id, len, 1);
        return;
      case MessageId.reject:
        this.requireFast(id);
        if (len !== 13) throw wrongLength(id, len, 13);
        return;
      case MessageId.extended:
        if (!this._extended) throw invalid('extended message but the extension protocol was not negotiated', { id });
        if (len > this.maxExtended) throw tooLarge(len, this.maxExtended, id);
        if (len < 2) throw wrongLength(id, len, 2);
        return;
      default:
        if (len > this.maxMessage) throw tooLarge(len, this.maxMessage, id);
    }
  }

  private requireFast(id: number): void {
    if (!this._fast) throw invalid(`fast-extension message ${id} but the fast extension was not negotiated`, { id });
  }

  private checkIndex(id: number, index: number): void {
    if (this._pieceCount >= 0 && index >= this._pieceCount) {
      throw invalid(`piece index ${index} out of range (${this._pieceCount} pieces)`, { id, index, pieceCount: this._pieceCount });
    }
  }

  /** Decodes the payload (`size` bytes, all buffered) of message `id` and calls the handler. */
  private dispatch(id: number, size: number): void {
    const h = this.handler;
    switch (id) {
      case MessageId.piece: {
        const index = this.readU32();
        const begin = this.readU32();
        this.checkIndex(id, index);
        h.onPiece(index, begin, this.takeView(size - 8));
        return;
      }
      case MessageId.request: {
        const index = this.readU32();
        const begin = this.readU32();
        const length = this.readU32();
        this.checkIndex(id, index);
        if (length === 0 || length > this.maxBlock) {
          throw invalid(`request length ${length} outside 1..${this.maxBlock}`, { id, index, begin, length });
        }
        h.onRequest(index, begin, length);
        return;
      }
      case MessageId.have: {
        const index = this.readU32();
        this.checkIndex(id, index);
        h.onHave(index);
        return;
      }
      case MessageId.choke:
        h.onChoke();
        return;
      case MessageId.unchoke:
        h.onUnchoke();
        return;
      case MessageId.interested:
        h.onInterested();
        return;
      case MessageId.notInterested:
        h.onNotInterested();
        return;
      case MessageId.bitfield: {
        const bits = this.take(size);
        this.checkSpareBits(bits);
        h.onBitfield(bits);
        return;
      }
      case MessageId.cancel: {
        const index = this.readU32();
        const begin = this.readU32();
        const length = this.readU32();
        this.checkIndex(id, index);
        h.onCancel(index, begin, length);
        return;
      }
      case MessageId.port:
        h.onPort((this.readU8() << 8) | this.readU8());
        return;
      case MessageId.suggest: {
        const index = this.readU32();
        this.checkIndex(id, index);
        h.onSuggest(index);
        return;
      }
      case MessageId.haveAll:
        h.onHaveAll();
        return;
      case MessageId.haveNone:
        h.onHaveNone();
        return;
      case MessageId.reject: {
        const index = this.readU32();
        const begin = this.readU32();
        const length = this.readU32();
        this.checkIndex(id, index);
        h.onReject(index, begin, length);
        return;
      }
      case MessageId.allowedFast: {
        const index = this.readU32();
        this.checkIndex(id, index);
        h.onAllowedFast(index);
        return;
      }
      case MessageId.extended: {
        const ext = this.readU8();
        h.onExtended(ext, this.take(size - 1));
        return;
      }
      default:
        h.onUnknown(id, this.take(size));
    }
  }

  private checkSpareBits(bits: Uint8Array): void {
    const pc = this._pieceCount;
    if (pc < 0 || (pc & 7) === 0) return;
    const last = bits[bits.length - 1] ?? 0;
    if ((last & (0xff >> (pc & 7))) !== 0) {
      throw invalid('bitfield has spare bits set', { id: MessageId.bitfield, pieceCount: pc });
    }
  }

  /** Consumes `n` bytes: the first byte is at `head`, so advancing may drop the first chunk. */
  private advance(n: number): void {
    this.buffered -= n;
    this.head += n;
    if (this.head === this.chunks[0]!.length) {
      this.chunks.shift();
      this.head = 0;
    }
  }

  private readU8(): number {
    const v = this.chunks[0]![this.head]!;
    this.advance(1);
    return v;
  }

  /** Big-endian unsigned 32-bit; reads in place when the 4 bytes lie in the first chunk. */
  private readU32(): number {
    const c = this.chunks[0]!;
    const h = this.head;
    if (c.length - h >= 4) {
      const v = ((c[h]! << 24) | (c[h + 1]! << 16) | (c[h + 2]! << 8) | c[h + 3]!) >>> 0;
      this.advance(4);
      return v;
    }
    const b0 = this.readU8();
    const b1 = this.readU8();
    const b2 = this.readU8();
    const b3 = this.readU8();
    return ((b0 << 24) | (b1 << 16) | (b2 << 8) | b3) >>> 0;
  }

  /**
   * `n` buffered bytes (n ≥ 1) as a transient view: of the first chunk when they lie in it, else copied into
   * the reused `scratch`. Valid until the next message is decoded.
   */
  private takeView(n: number): Uint8Array {
    const first = this.chunks[0]!;
    const h = this.head;
    if (first.length - h >= n) {
      const view = first.subarray(h, h + n);
      this.advance(n);
      return view;
    }
    if (this.scratch.length < n) this.scratch = new Uint8Array(Math.max(n, MIN_OWNED));
    return this.copyOut(this.scratch.subarray(0, n));
  }

  /** `n` buffered bytes as a fresh copy the handler may keep. */
  private take(n: number): Uint8Array {
    if (n === 0) return EMPTY;
    return this.copyOut(new Uint8Array(n));
  }

  /** Fills `out` with the next `out.length` buffered bytes. */
  private copyOut(out: Uint8Array): Uint8Array {
    const n = out.length;
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0]!;
      const from = this.head;
      const k = Math.min(c.length - from, n - filled);
      out.set(c.subarray(from, from + k), filled);
      filled += k;
      this.advance(k);
    }
    return out;
  }
}

function sizeOption(name: string, v: number | undefined, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw new TorrentError('invalid_argument', `${name} must be an integer in ${min}..${max}, got ${v}`);
  }
  return v;
}

function invalid(message: string, details: Record<string, number>): TorrentError {
  return new TorrentError('invalid_message', message, { details });
}

function wrongLength(id: number, len: number, want: number): TorrentError {
  return invalid(`message ${id} has length ${len}, expected ${want}`, { id, length: len, expected: want });
}

function tooLarge(len: number, limit: number, id: number): TorrentError {
  return new TorrentError('message_too_large', `message length ${len} exceeds the limit ${limit}`, {
    details: { length: len, limit, id },
  });
}
