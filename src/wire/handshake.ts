/**
 * The BitTorrent handshake (BEP 3): 68 bytes = pstrlen (19), "BitTorrent protocol", 8 reserved bytes
 * (capability bits), 20-byte info-hash, 20-byte peer id. {@link HandshakeReader} parses it incrementally and
 * fails at the first wrong byte of the protocol string, without waiting for all 68 bytes.
 */
import { TorrentError } from '../errors.js';

/** The protocol string of BEP 3. */
export const PROTOCOL = 'BitTorrent protocol';
/** Handshake length in bytes. */
export const HANDSHAKE_LENGTH = 68;

const PSTR = new TextEncoder().encode(PROTOCOL);
const INFO_HASH_AT = 28;
const PEER_ID_AT = 48;

/** Capability bits carried in the reserved bytes. */
export interface HandshakeFlags {
  /** BEP 6 fast extension: reserved[7] & 0x04. */
  readonly fast?: boolean;
  /** BEP 10 extension protocol: reserved[5] & 0x10. */
  readonly extended?: boolean;
  /** BEP 5 DHT: reserved[7] & 0x01. */
  readonly dht?: boolean;
  /** BEP 52 upgrade to v2 for hybrid torrents: reserved[7] & 0x10. */
  readonly v2?: boolean;
}

/** A parsed handshake. Byte arrays are copies the caller owns. */
export interface Handshake extends Required<HandshakeFlags> {
  /** The 8 reserved bytes as received (unknown bits kept). */
  readonly reserved: Uint8Array;
  /** 20 bytes: the v1 info-hash, or the v2 info-hash truncated to 20 bytes. */
  readonly infoHash: Uint8Array;
  /** 20 bytes. */
  readonly peerId: Uint8Array;
}

/** Reserved bytes with the given capability bits set. */
export function makeReserved(flags: HandshakeFlags): Uint8Array {
  const r = new Uint8Array(8);
  if (flags.extended) r[5] = 0x10;
  r[7] = (flags.fast ? 0x04 : 0) | (flags.dht ? 0x01 : 0) | (flags.v2 ? 0x10 : 0);
  return r;
}

/** Decodes the capability bits of 8 reserved bytes. */
export function readFlags(reserved: Uint8Array): Required<HandshakeFlags> {
  const b5 = reserved[5] ?? 0;
  const b7 = reserved[7] ?? 0;
  return { fast: (b7 & 0x04) !== 0, extended: (b5 & 0x10) !== 0, dht: (b7 & 0x01) !== 0, v2: (b7 & 0x10) !== 0 };
}

/** What {@link encodeHandshake} needs. Give either `reserved` (8 raw bytes) or capability flags. */
export interface HandshakeInit extends HandshakeFlags {
  readonly infoHash: Uint8Array;
  readonly peerId: Uint8Array;
  readonly reserved?: Uint8Array;
}

/** The 68-byte handshake. */
export function encodeHandshake(init: HandshakeInit): Uint8Array {
  if (init.infoHash.length !== 20) throw new TorrentError('invalid_argument', `info-hash must be 20 bytes, got ${init.infoHash.length}`);
  if (init.peerId.length !== 20) throw new TorrentError('invalid_argument', `peer id must be 20 bytes, got ${init.peerId.length}`);
  const reserved = init.reserved ?? makeReserved(init);
  if (reserved.length !== 8) throw new TorrentError('invalid_argument', `reserved must be 8 bytes, got ${reserved.length}`);
  const b = new Uint8Array(HANDSHAKE_LENGTH);
  b[0] = PSTR.length;
  b.set(PSTR, 1);
  b.set(reserved, 20);
  b.set(init.infoHash, INFO_HASH_AT);
  b.set(init.peerId, PEER_ID_AT);
  return b;
}

/**
 * Incremental handshake parser. Feed chunks with {@link write} until it returns the handshake; bytes after the
 * 68th (the first wire messages) are then available from {@link remainder} for the {@link WireDecoder}.
 * Throws `TorrentError('handshake_failed')` as soon as the prefix is wrong.
 */
export class HandshakeReader {
  private readonly buf = new Uint8Array(HANDSHAKE_LENGTH);
  private filled = 0;
  private rest: Uint8Array[] = [];
  private done: Handshake | undefined;

  /** Bytes of the handshake received so far (0..68). */
  get received(): number {
    return this.filled;
  }

  /**
   * The info-hash once its 48 bytes have arrived (before the peer id), so an incoming connection can pick the
   * torrent and answer early; undefined before that.
   */
  get infoHash(): Uint8Array | undefined {
    return this.filled >= PEER_ID_AT ? this.buf.slice(INFO_HASH_AT, PEER_ID_AT) : undefined;
  }

  /** Feeds bytes; returns the handshake once complete (and on every later call), else undefined. */
  write(chunk: Uint8Array): Handshake | undefined {
    if (this.done) {
      if (chunk.length > 0) this.rest.push(chunk);
      return this.done;
    }
    const take = Math.min(chunk.length, HANDSHAKE_LENGTH - this.filled);
    const start = this.filled;
    this.buf.set(chunk.subarray(0, take), start);
    this.filled += take;
    this.checkPrefix(start, this.filled);
    if (take < chunk.length) this.rest.push(chunk.subarray(take));
    if (this.filled < HANDSHAKE_LENGTH) return undefined;
    const reserved = this.buf.slice(20, INFO_HASH_AT);
    this.done = {
      ...readFlags(reserved),
      reserved,
      infoHash: this.buf.slice(INFO_HASH_AT, PEER_ID_AT),
      peerId: this.buf.slice(PEER_ID_AT, HANDSHAKE_LENGTH),
    };
    return this.done;
  }

  /** Bytes received after the handshake (views of the caller's chunks), and forgets them. */
  remainder(): Uint8Array[] {
    const r = this.rest;
    this.rest = [];
    return r;
  }

  private checkPrefix(from: number, to: number): void {
    const end = Math.min(to, 1 + PSTR.length);
    for (let i = from; i < end; i++) {
      const want = i === 0 ? PSTR.length : PSTR[i - 1];
      if (this.buf[i] !== want) {
        throw new TorrentError(
          'handshake_failed',
          i === 0 ? `handshake protocol length ${this.buf[0]}, expected 19` : 'handshake protocol string is not "BitTorrent protocol"',
          { details: { offset: i } },
        );
      }
    }
  }
}

/**
 * A BEP 20 peer id: an 8-byte Azureus-style prefix (`-SK0100-` for swarmkit 0.1.0) and 12 random bytes.
 * `prefix` must be 1..20 ASCII bytes; the rest of the 20 bytes are random.
 */
export function generatePeerId(prefix = '-SK0100-'): Uint8Array {
  const p = new TextEncoder().encode(prefix);
  if (p.length === 0 || p.length > 20 || p.length !== prefix.length) {
    throw new TorrentError('invalid_argument', `peer id prefix must be 1..20 ASCII characters, got ${JSON.stringify(prefix)}`);
  }
  const id = new Uint8Array(20);
  id.set(p, 0);
  crypto.getRandomValues(id.subarray(p.length));
  return id;
}
