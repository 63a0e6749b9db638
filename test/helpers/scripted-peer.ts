/**
 * A scripted (possibly hostile) remote peer: drives raw bytes over a real PeerStream (memory pair or TCP) and
 * records what the connection under test sends back, parsed with our own decoder. It has no protocol logic
 * of its own beyond that: every byte it sends is chosen by the test.
 */
import { HandshakeReader, encodeHandshake } from '../../src/wire/handshake.js';
import type { Handshake } from '../../src/wire/handshake.js';
import { WireDecoder } from '../../src/wire/decoder.js';
import { encodeMessage } from '../../src/wire/encoder.js';
import { decodeExtensionHandshake } from '../../src/wire/extensions/extension-handshake.js';
import type { DecodedExtensionHandshake } from '../../src/wire/extensions/extension-handshake.js';
import type { WireHandler, WireMessage } from '../../src/wire/messages.js';
import type { PeerStream, StreamSink } from '../../src/interfaces/transport.js';

/** Records decoded messages as plain data (views copied). */
class Recorder implements WireHandler {
  constructor(private readonly out: WireMessage[], private readonly notify: () => void) {}
  #push(m: WireMessage): void {
    this.out.push(m);
    this.notify();
  }
  onKeepAlive(): void { this.#push({ type: 'keepAlive' }); }
  onChoke(): void { this.#push({ type: 'choke' }); }
  onUnchoke(): void { this.#push({ type: 'unchoke' }); }
  onInterested(): void { this.#push({ type: 'interested' }); }
  onNotInterested(): void { this.#push({ type: 'notInterested' }); }
  onHave(index: number): void { this.#push({ type: 'have', index }); }
  onBitfield(bits: Uint8Array): void { this.#push({ type: 'bitfield', bits: bits.slice() }); }
  onRequest(index: number, begin: number, length: number): void { this.#push({ type: 'request', index, begin, length }); }
  onPiece(index: number, begin: number, block: Uint8Array): void { this.#push({ type: 'piece', index, begin, block: block.slice() }); }
  onCancel(index: number, begin: number, length: number): void { this.#push({ type: 'cancel', index, begin, length }); }
  onPort(port: number): void { this.#push({ type: 'port', port }); }
  onSuggest(index: number): void { this.#push({ type: 'suggest', index }); }
  onHaveAll(): void { this.#push({ type: 'haveAll' }); }
  onHaveNone(): void { this.#push({ type: 'haveNone' }); }
  onReject(index: number, begin: number, length: number): void { this.#push({ type: 'reject', index, begin, length }); }
  onAllowedFast(index: number): void { this.#push({ type: 'allowedFast', index }); }
  onExtended(id: number, payload: Uint8Array): void { this.#push({ type: 'extended', id, payload: payload.slice() }); }
  onUnknown(id: number, payload: Uint8Array): void { this.#push({ type: 'unknown', id, payload: payload.slice() }); }
}

/** Options of {@link ScriptedPeer.handshake}. */
export interface ScriptedHandshake {
  infoHash: Uint8Array;
  peerId: Uint8Array;
  fast?: boolean;
  extended?: boolean;
}

/** A remote peer whose every byte the test scripts. */
export class ScriptedPeer implements StreamSink {
  readonly stream: PeerStream;
  /** Messages received after the handshake, in order. */
  readonly messages: WireMessage[] = [];
  /** Total bytes received. */
  bytesReceived = 0;
  /** The connection's handshake, once received. */
  remoteHandshake: Handshake | undefined;
  /** Set when the stream closed (with its error, if any). */
  closedWith: { err: Error | undefined } | undefined;
  readonly closed: Promise<Error | undefined>;
  readonly #reader = new HandshakeReader();
  #decoder: WireDecoder;
  #waiters: Array<() => void> = [];
  #resolveClosed!: (e: Error | undefined) => void;

  constructor(stream: PeerStream, opts: { pieceCount?: number } = {}) {
    this.stream = stream;
    this.#decoder = new WireDecoder(new Recorder(this.messages, () => this.#wake()), {
      fast: true,
      extended: true,
      ...(opts.pieceCount === undefined ? {} : { pieceCount: opts.pieceCount }),
    });
    this.closed = new Promise((r) => {
      this.#resolveClosed = r;
    });
    stream.setSink(this);
  }

  // StreamSink
  data(chunk: Uint8Array): void {
    this.bytesReceived += chunk.length;
    if (!this.remoteHandshake) {
      this.remoteHandshake = this.#reader.write(chunk);
      if (!this.remoteHandshake) return this.#wake();
      for (const rest of this.#reader.remainder()) this.#decoder.write(rest.slice());
    } else this.#decoder.write(chunk.slice());
    this.#wake();
  }
  drain(): void {
    this.#wake();
  }
  close(err?: Error): void {
    this.closedWith = { err };
    this.#resolveClosed(err);
    this.#wake();
  }

  /** Sends raw bytes as they are. Returns the stream's write result. */
  send(bytes: Uint8Array | readonly number[]): boolean {
    return this.stream.write(bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes));
  }
  /** Sends one encoded message. */
  sendMessage(m: WireMessage): boolean {
    return this.send(encodeMessage(m));
  }
  /** Sends a handshake. */
  handshake(h: ScriptedHandshake): boolean {
    return this.send(encodeHandshake({ infoHash: h.infoHash, peerId: h.peerId, fast: h.fast ?? true, extended: h.extended ?? true }));
  }
  /** A raw message frame: 4-byte length prefix (any value, even a lie), id, payload. */
  static frame(length: number, id: number, payload: readonly number[] | Uint8Array = []): Uint8Array {
    const p = payload instanceof Uint8Array ? payload : Uint8Array.from(payload);
    const b = new Uint8Array(5 + p.length);
    new DataView(b.buffer).setUint32(0, length >>> 0);
    b[4] = id;
    b.set(p, 5);
    return b;
  }
  /** Big-endian u32 bytes. */
  static u32(...vals: number[]): number[] {
    const out: number[] = [];
    for (const v of vals) out.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
    return out;
  }

  /** Messages of one type received so far. */
  ofType<T extends WireMessage['type']>(type: T): Extract<WireMessage, { type: T }>[] {
    return this.messages.filter((m): m is Extract<WireMessage, { type: T }> => m.type === type);
  }
  /** The connection's extension handshake, if received. */
  extensionHandshake(): DecodedExtensionHandshake | undefined {
    const m = this.messages.find((x) => x.type === 'extended' && x.id === 0);
    return m && m.type === 'extended' ? decodeExtensionHandshake(m.payload) : undefined;
  }

  /** Resolves once `pred()` holds (checked after every event), rejects after `ms`. */
  async until(pred: () => boolean, ms = 2000, what = 'condition'): Promise<void> {
    if (pred()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== check);
        reject(new Error(`scripted peer: timed out waiting for ${what}`));
      }, ms);
      const check = (): void => {
        if (!pred()) return;
        clearTimeout(timer);
        this.#waiters = this.#waiters.filter((w) => w !== check);
        resolve();
      };
      this.#waiters.push(check);
    });
  }

  /** Waits for a message of `type` (past or future) matching `pred`. */
  async waitFor<T extends WireMessage['type']>(type: T, pred: (m: Extract<WireMessage, { type: T }>) => boolean = () => true, ms = 2000): Promise<Extract<WireMessage, { type: T }>> {
    let found: Extract<WireMessage, { type: T }> | undefined;
    await this.until(() => (found = this.ofType(type).find(pred)) !== undefined, ms, `a ${type} message`);
    return found!;
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
  }
}
