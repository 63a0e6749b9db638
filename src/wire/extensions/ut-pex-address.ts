/**
 * IP text ⇄ bytes for PEX (and LSD). wire/ may not import dht/ or tracker/ (import direction rule), so the
 * few helpers it needs live here. IPv6 text is RFC 5952 (lowercase, longest zero run as `::`); an
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d) is reported as the IPv4 address it maps.
 */

/** Parses a dotted quad into 4 bytes, or undefined. Leading zeros beyond one digit are refused. */
export function parseIPv4Text(host: string): Uint8Array | undefined {
  const parts = host.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

/** Parses an IPv6 literal (brackets and a zone allowed, embedded IPv4 tail allowed) into 16 bytes. */
export function parseIPv6Text(host: string): Uint8Array | undefined {
  let h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const zone = h.indexOf('%');
  if (zone >= 0) h = h.slice(0, zone);
  if (!h.includes(':') || h.length > 45) return undefined;
  const halves = h.split('::');
  if (halves.length > 2) return undefined;
  const words = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIPv4Text(p);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) out.push(parseInt(p, 16));
      else return undefined;
    }
    return out;
  };
  const head = words(halves[0]!);
  const tail = halves.length === 2 ? words(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const total = head.length + tail.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const all = [...head, ...new Array<number>(8 - total).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** Parses an IP literal (IPv4-mapped IPv6 becomes 4 bytes). */
export function parseIPText(host: string): Uint8Array | undefined {
  const b = parseIPv4Text(host) ?? parseIPv6Text(host);
  if (b && b.length === 16 && b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return b.slice(12);
  return b;
}

/** Formats 4 or 16 address bytes (at `off`) as text. */
export function formatIPBytes(b: Uint8Array, len: 4 | 16, off = 0): string {
  if (len === 4) return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
  const w: number[] = [];
  for (let i = 0; i < 16; i += 2) w.push((b[off + i]! << 8) | b[off + i + 1]!);
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = (a: number[]): string => a.map((x) => x.toString(16)).join(':');
  return bestLen < 2 ? hex(w) : `${hex(w.slice(0, best))}::${hex(w.slice(best + bestLen))}`;
}

/** A canonical text form of an IP literal, so different spellings of one address compare equal. */
export function canonicalIP(host: string): string | undefined {
  const b = parseIPText(host);
  return b ? formatIPBytes(b, b.length === 4 ? 4 : 16) : undefined;
}

/**
 * True when an address can never be a peer (HOSTILE-INPUTS 23): not an IP literal, port 0, unspecified
 * (0.0.0.0/8, ::), multicast (224.0.0.0/4, ff00::/8), limited broadcast.
 */
export function isUnusablePeerAddress(host: string, port: number): boolean {
  if (!Number.isInteger(port) || port <= 0 || port > 0xffff) return true;
  const b = parseIPText(host);
  if (!b) return true;
  if (b.length === 4) return b[0] === 0 || (b[0]! >= 224 && b[0]! <= 239) || b.every((x) => x === 255);
  return b.every((x) => x === 0) || b[0] === 0xff;
}
