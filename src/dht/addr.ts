/**
 * IP address helpers for the DHT: text ⇄ bytes, the compact forms of BEP 5 (6 bytes for IPv4,
 * 18 for IPv6: address then big-endian port) and the filters of HOSTILE-INPUTS case 23.
 */

/** Parses an IPv4 dotted quad into 4 bytes, or undefined if `host` is not one. */
export function parseIPv4(host: string): Uint8Array | undefined {
  const parts = host.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] ?? '';
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

/** Parses an IPv6 literal (optionally with an embedded IPv4 tail) into 16 bytes, or undefined. */
export function parseIPv6(host: string): Uint8Array | undefined {
  let h = host;
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  const zone = h.indexOf('%');
  if (zone >= 0) h = h.slice(0, zone);
  if (!h.includes(':')) return undefined;
  const halves = h.split('::');
  if (halves.length > 2) return undefined;
  const words = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i] ?? '';
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIPv4(p);
        if (!v4) return undefined;
        out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = words(halves[0] ?? '');
  const tail = halves.length === 2 ? words(halves[1] ?? '') : [];
  if (!head || !tail) return undefined;
  const total = head.length + tail.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const all = [...head, ...new Array<number>(8 - total).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    out[i * 2] = w >> 8;
    out[i * 2 + 1] = w & 0xff;
  });
  return out;
}

/** Parses an IP literal into 4 or 16 bytes, or undefined. */
export function parseIP(host: string): Uint8Array | undefined {
  return parseIPv4(host) ?? parseIPv6(host);
}

/** Formats 4 or 16 address bytes as text (IPv6 in its shortest form). */
export function formatIP(b: Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const w: number[] = [];
  for (let i = 0; i < 16; i += 2) w.push(((b[i] ?? 0) << 8) | (b[i + 1] ?? 0));
  // longest run of zero words (length ≥ 2) becomes '::'
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (bestLen < 2) return hex(w);
  return `${hex(w.slice(0, best))}::${hex(w.slice(best + bestLen))}`;
}

/** A canonical text key for an IP (so "::ffff:1.2.3.4"-style spellings of one address compare equal). */
export function ipKey(host: string): string {
  const b = parseIP(host);
  return b ? formatIP(b) : host;
}

/** Encodes an address as compact bytes (6 or 18), or undefined if `host` is not an IP literal. */
export function encodeCompactAddr(host: string, port: number): Uint8Array | undefined {
  const ip = parseIP(host);
  if (!ip) return undefined;
  const out = new Uint8Array(ip.length + 2);
  out.set(ip, 0);
  out[ip.length] = (port >> 8) & 0xff;
  out[ip.length + 1] = port & 0xff;
  return out;
}

/** Decodes a 6- or 18-byte compact address. */
export function decodeCompactAddr(b: Uint8Array): { host: string; port: number } | undefined {
  if (b.length !== 6 && b.length !== 18) return undefined;
  const n = b.length - 2;
  return { host: formatIP(b.subarray(0, n)), port: ((b[n] ?? 0) << 8) | (b[n + 1] ?? 0) };
}

/**
 * True when an address must never be used as a peer or node (case 23): port 0, the unspecified
 * address, multicast, broadcast.
 */
export function isUnusableAddr(host: string, port: number): boolean {
  if (port <= 0 || port > 65535) return true;
  const b = parseIP(host);
  if (!b) return true;
  if (b.length === 4) {
    const a0 = b[0] ?? 0;
    if (a0 === 0) return true; // 0.0.0.0/8
    if (a0 >= 224 && a0 <= 239) return true; // multicast
    if (b.every((x) => x === 255)) return true; // broadcast
    return false;
  }
  if (b.every((x) => x === 0)) return true; // ::
  if (b[0] === 0xff) return true; // ff00::/8 multicast
  return false;
}

/** True for loopback and private (RFC 1918 / link-local / ULA) addresses, which BEP 42 exempts. */
export function isLocalIP(host: string): boolean {
  const b = parseIP(host);
  if (!b) return false;
  if (b.length === 4) {
    const [a, c] = [b[0] ?? 0, b[1] ?? 0];
    return a === 10 || a === 127 || (a === 172 && c >= 16 && c <= 31) || (a === 192 && c === 168) || (a === 169 && c === 254);
  }
  if (b.subarray(0, 15).every((x) => x === 0) && b[15] === 1) return true; // ::1
  const b0 = b[0] ?? 0;
  return (b0 & 0xfe) === 0xfc || (b0 === 0xfe && ((b[1] ?? 0) & 0xc0) === 0x80);
}
