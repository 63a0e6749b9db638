/**
 * Node ids (BEP 5) and their binding to the node's IP (BEP 42).
 *
 * BEP 42: the first 21 bits of a node id are the top bits of CRC32-C over the node's IP masked
 * with 0x030f3fff (IPv4) or 0x0103070f1f3f7fff (IPv6, first 8 bytes), with a 3-bit random `r` from
 * the id's last byte folded into the first masked byte. Local addresses are exempt.
 */
import { parseIP } from '../net/ip.js';
import { isLocalIP } from './addr.js';

/** Length of a node id / info-hash in bytes. */
export const ID_LENGTH = 20;

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC32-C (Castagnoli) of `data`. */
export function crc32c(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) c = (CRC32C_TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Cryptographically random bytes (WebCrypto, present in Node ≥ 20 and browsers). */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  globalThis.crypto.getRandomValues(out);
  return out;
}

const V4_MASK = [0x03, 0x0f, 0x3f, 0xff];
const V6_MASK = [0x01, 0x03, 0x07, 0x0f, 0x1f, 0x3f, 0x7f, 0xff];

function ipCrc(ip: Uint8Array, r: number): number {
  const mask = ip.length === 4 ? V4_MASK : V6_MASK;
  const buf = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) buf[i] = (ip[i] ?? 0) & (mask[i] ?? 0);
  buf[0] = (buf[0] ?? 0) | ((r & 7) << 5);
  return crc32c(buf);
}

/**
 * A node id for `externalIP` per BEP 42 (random when the IP is unknown, unparsable or local).
 * `rand` (tests) fixes the random bytes: 20 bytes whose last byte is BEP 42's `rand`.
 */
export function generateNodeId(externalIP?: string, rand: Uint8Array = randomBytes(ID_LENGTH)): Uint8Array {
  const id = new Uint8Array(ID_LENGTH);
  id.set(rand.subarray(0, ID_LENGTH));
  const ip = externalIP === undefined ? undefined : parseIP(externalIP);
  if (!ip || externalIP === undefined || isLocalIP(externalIP)) return id;
  const r = (id[19] ?? 0) & 7;
  const crc = ipCrc(ip, r);
  id[0] = (crc >>> 24) & 0xff;
  id[1] = (crc >>> 16) & 0xff;
  id[2] = ((crc >>> 8) & 0xf8) | ((id[2] ?? 0) & 7);
  return id;
}

/** True when `id` is valid for `host` under BEP 42 (always true for local addresses). */
export function verifyNodeId(id: Uint8Array, host: string): boolean {
  if (id.length !== ID_LENGTH) return false;
  if (isLocalIP(host)) return true;
  const ip = parseIP(host);
  if (!ip) return false;
  const crc = ipCrc(ip, (id[19] ?? 0) & 7);
  return id[0] === ((crc >>> 24) & 0xff) && id[1] === ((crc >>> 16) & 0xff) && ((id[2] ?? 0) & 0xf8) === ((crc >>> 8) & 0xf8);
}

/** Number of leading bits `a` and `b` share (0–160). */
export function commonPrefixBits(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < ID_LENGTH; i++) {
    const x = (a[i] ?? 0) ^ (b[i] ?? 0);
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return ID_LENGTH * 8;
}

/** Compares the XOR distances of `a` and `b` to `target`: negative when `a` is closer. */
export function compareDistance(target: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < ID_LENGTH; i++) {
    const t = target[i] ?? 0;
    const d = ((a[i] ?? 0) ^ t) - ((b[i] ?? 0) ^ t);
    if (d !== 0) return d;
  }
  return 0;
}

/** A random id sharing exactly `bits` leading bits with `base` (for bucket refresh). */
export function randomIdWithPrefix(base: Uint8Array, bits: number): Uint8Array {
  const id = randomBytes(ID_LENGTH);
  if (bits >= ID_LENGTH * 8) return base.slice();
  const full = bits >> 3;
  id.set(base.subarray(0, full));
  const rem = bits & 7;
  const keepMask = (0xff00 >> rem) & 0xff; // top `rem` bits from base
  const flip = 0x80 >> rem; // the first differing bit
  const b = base[full] ?? 0;
  id[full] = (b & keepMask) | (~b & flip) | ((id[full] ?? 0) & ~(keepMask | flip) & 0xff);
  return id;
}

/** Lowercase hex of an id. */
export function idHex(id: Uint8Array): string {
  let s = '';
  for (const b of id) s += b.toString(16).padStart(2, '0');
  return s;
}
