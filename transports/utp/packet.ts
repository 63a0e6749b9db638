/**
 * uTP packet codec (BEP 29). Runtime-neutral.
 *
 * Header (20 bytes, big-endian): type<<4|version, first extension type, connection_id u16,
 * timestamp_microseconds u32, timestamp_difference_microseconds u32, wnd_size u32, seq_nr u16, ack_nr u16.
 * Extensions follow as a linked list: [next type u8][length u8][length bytes]. Type 1 is the selective
 * ACK: a bitmask where bit i (LSB first in each byte) acknowledges ack_nr + 2 + i.
 *
 * Selective-ACK length: BEP 29 asks for a multiple of 4 bytes and we always send one, but libtorrent
 * (the reference peer) sizes its bitmask to its reorder buffer, (span + 7) / 8 bytes, so 1, 9, 10 ...
 * byte masks are normal on the wire, and it is capped only by the u8 length field. Any non-empty length
 * is accepted: refusing one drops the whole packet, cumulative ACK included, and libtorrent attaches a
 * selective ACK to every ACK while it holds out-of-order data, i.e. exactly after a loss. (That was a
 * stall: every ACK after a loss dropped, RTO back-off until one side gave up.)
 *
 * Parsing is otherwise strict: wrong version, unknown type, an extension chain that overruns the
 * datagram, an empty or second selective ACK, or payload on a non-DATA packet makes {@link decodePacket}
 * return undefined, and the caller ignores the datagram. Unknown extension types (libtorrent sends a
 * close-reason extension) are skipped.
 */

/** Packet types. */
export const ST_DATA = 0;
/** Finalises the connection; carries the last sequence number. */
export const ST_FIN = 1;
/** An ACK without payload (does not consume a sequence number). */
export const ST_STATE = 2;
/** Terminates the connection forcefully. */
export const ST_RESET = 3;
/** Opens a connection. */
export const ST_SYN = 4;

/** The protocol version in the low nibble of byte 0. */
export const UTP_VERSION = 1;
/** Header size without extensions. */
export const HEADER_SIZE = 20;
/** Largest selective-ACK bitmask we send (1024 packets); we accept up to 255 bytes (the u8 length field). */
export const MAX_SACK_BYTES = 128;

/** A decoded packet. `payload` is a view into the datagram (valid only as long as the datagram is). */
export interface UtpPacket {
  type: number;
  connectionId: number;
  timestamp: number;
  timestampDiff: number;
  wndSize: number;
  seqNr: number;
  ackNr: number;
  /** Selective-ACK bitmask, when the packet carries extension 1. */
  sack?: Uint8Array | undefined;
  payload: Uint8Array;
}

/** Fields of a packet to encode. */
export interface UtpPacketFields {
  type: number;
  connectionId: number;
  timestamp: number;
  timestampDiff: number;
  wndSize: number;
  seqNr: number;
  ackNr: number;
  sack?: Uint8Array | undefined;
  payload?: Uint8Array | undefined;
}

/** Parses a datagram; undefined when it is not a well-formed uTP v1 packet. */
export function decodePacket(data: Uint8Array): UtpPacket | undefined {
  if (data.length < HEADER_SIZE) return undefined;
  const b0 = data[0] as number;
  const type = b0 >> 4;
  if ((b0 & 0x0f) !== UTP_VERSION || type > ST_SYN) return undefined;
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let ext = data[1] as number;
  let at = HEADER_SIZE;
  let sack: Uint8Array | undefined;
  let hops = 0;
  while (ext !== 0) {
    if (at + 2 > data.length || ++hops > 8) return undefined;
    const next = data[at] as number;
    const len = data[at + 1] as number;
    at += 2;
    if (at + len > data.length) return undefined;
    if (ext === 1) {
      if (len === 0 || sack !== undefined) return undefined; // any non-empty length: see the module notes
      sack = data.subarray(at, at + len);
    }
    at += len;
    ext = next;
  }
  const payload = data.subarray(at);
  if (payload.length > 0 && type !== ST_DATA && type !== ST_FIN) return undefined; // a FIN may carry the last bytes
  return {
    type,
    connectionId: dv.getUint16(2),
    timestamp: dv.getUint32(4),
    timestampDiff: dv.getUint32(8),
    wndSize: dv.getUint32(12),
    seqNr: dv.getUint16(16),
    ackNr: dv.getUint16(18),
    sack,
    payload,
  };
}

/** Total encoded size of a packet with these fields. */
export function encodedSize(p: UtpPacketFields): number {
  return HEADER_SIZE + (p.sack ? 2 + p.sack.length : 0) + (p.payload?.length ?? 0);
}

/** Writes the 20-byte header (and the selective ACK) into `out`; returns where the payload starts. */
export function writeHeader(out: Uint8Array, p: UtpPacketFields): number {
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  out[0] = (p.type << 4) | UTP_VERSION;
  out[1] = p.sack ? 1 : 0;
  dv.setUint16(2, p.connectionId & 0xffff);
  dv.setUint32(4, p.timestamp >>> 0);
  dv.setUint32(8, p.timestampDiff >>> 0);
  dv.setUint32(12, p.wndSize >>> 0);
  dv.setUint16(16, p.seqNr & 0xffff);
  dv.setUint16(18, p.ackNr & 0xffff);
  let at = HEADER_SIZE;
  if (p.sack) {
    out[at] = 0;
    out[at + 1] = p.sack.length;
    out.set(p.sack, at + 2);
    at += 2 + p.sack.length;
  }
  return at;
}

/** Encodes a packet into a fresh buffer. */
export function encodePacket(p: UtpPacketFields): Uint8Array {
  const out = new Uint8Array(encodedSize(p));
  const at = writeHeader(out, p);
  if (p.payload) out.set(p.payload, at);
  return out;
}

// ---- 16-bit sequence arithmetic --------------------------------------------------------------------------

/** `(a - b) mod 2^16` as a signed distance in [-32768, 32767]. */
export function seqDiff(a: number, b: number): number {
  const d = (a - b) & 0xffff;
  return d >= 0x8000 ? d - 0x10000 : d;
}

/** True when `a` comes before `b` in 16-bit serial order. */
export function seqLess(a: number, b: number): boolean {
  return seqDiff(a, b) < 0;
}

/** `(a + n) mod 2^16`. */
export function seqAdd(a: number, n: number): number {
  return (a + n) & 0xffff;
}
