/**
 * The handshake phase of a peer connection, as pure steps the connection drives:
 * - {@link HandshakeFlow} wraps the incremental {@link HandshakeReader} and hands out the info-hash once
 *   (after 48 bytes) so an incoming connection can route to its torrent before the peer id arrives;
 * - {@link ourHandshake} builds our 68 bytes (fast / extension protocol / DHT bits from the settings);
 * - {@link firstMessages} builds what we send right after both handshakes: the bitfield (or BEP 6 have-all /
 *   have-none) and then the BEP 10 extension handshake, in one buffer.
 */
import { HandshakeReader, encodeHandshake, makeReserved } from '../wire/handshake.js';
import type { Handshake } from '../wire/handshake.js';
import { encodeBitfield, encodeExtended, encodeHaveAll, encodeHaveNone } from '../wire/encoder.js';
import { encodeExtensionHandshake } from '../wire/extensions/extension-handshake.js';
import type { ExtensionHandshake } from '../wire/extensions/extension-handshake.js';
import type { PeerSettings } from './limits.js';
import type { PeerOwnerQueries } from './peer-owner.js';
import { parseIP } from '../net/ip.js';

/** Incremental handshake reading with a one-shot info-hash notification. */
export class HandshakeFlow {
  readonly #reader = new HandshakeReader();
  #infoHashTaken = false;
  #done: Handshake | undefined;

  /** Feeds bytes; returns the remote handshake once complete. Throws `handshake_failed` on a bad prefix. */
  feed(chunk: Uint8Array): Handshake | undefined {
    this.#done = this.#reader.write(chunk);
    return this.#done;
  }

  /** The remote info-hash the first time it is available (48 bytes in), then undefined. */
  takeInfoHash(): Uint8Array | undefined {
    if (this.#infoHashTaken) return undefined;
    const ih = this.#reader.infoHash;
    if (ih !== undefined) this.#infoHashTaken = true;
    return ih;
  }

  /** Bytes after the handshake (the first wire messages). */
  remainder(): Uint8Array[] {
    return this.#reader.remainder();
  }

  /** Handshake bytes received so far. */
  get received(): number {
    return this.#reader.received;
  }
}

/** Our 68-byte handshake. */
export function ourHandshake(infoHash: Uint8Array, peerId: Uint8Array, s: Readonly<PeerSettings>): Uint8Array {
  return encodeHandshake({
    infoHash,
    peerId,
    reserved: makeReserved({ fast: s.fastExtension, extended: s.extensionProtocol, dht: s.dht }),
  });
}

function allSet(bits: Uint8Array, pieceCount: number): boolean {
  const whole = pieceCount >> 3;
  for (let i = 0; i < whole; i++) if (bits[i] !== 0xff) return false;
  const rest = pieceCount & 7;
  return rest === 0 || bits[whole] === ((0xff << (8 - rest)) & 0xff);
}

function noneSet(bits: Uint8Array): boolean {
  for (let i = 0; i < bits.length; i++) if (bits[i] !== 0) return false;
  return true;
}

/**
 * The messages we send right after both handshakes, in one buffer: our pieces (bitfield, or have-all /
 * have-none with the fast extension; nothing at all without fast when we have no pieces) and then our
 * extension handshake when BEP 10 was negotiated.
 */
export function firstMessages(
  owner: PeerOwnerQueries,
  fast: boolean,
  extended: boolean,
  s: Readonly<PeerSettings>,
  remoteHost: string,
): Uint8Array {
  const parts: Uint8Array[] = [];
  const pc = owner.pieceCount();
  const bits = pc === undefined ? undefined : owner.bitfield();
  if (pc !== undefined && bits !== undefined && pc > 0 && fast && allSet(bits, pc)) parts.push(encodeHaveAll());
  else if (bits === undefined || noneSet(bits)) {
    if (fast) parts.push(encodeHaveNone());
  } else parts.push(encodeBitfield(bits));
  if (extended) {
    const hs: { -readonly [K in keyof ExtensionHandshake]: ExtensionHandshake[K] } = {
      m: owner.extensions(),
      v: s.clientVersion,
      reqq: s.maxRequestQueue,
    };
    const yourip = ipBytes(remoteHost);
    if (yourip) hs.yourip = yourip;
    if (s.listenPort !== undefined) hs.p = s.listenPort;
    const size = owner.metadataSize();
    if (size !== undefined && size > 0) hs.metadataSize = size;
    parts.push(encodeExtended(0, encodeExtensionHandshake(hs)));
  }
  if (parts.length === 1) return parts[0]!;
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** 4 or 16 bytes for an IPv4 / IPv6 literal (brackets and a zone allowed), else undefined (memory hosts, names). */
export function ipBytes(host: string): Uint8Array | undefined {
  return parseIP(host);
}
