/**
 * BEP 11 (ut_pex) message codec. The payload is a bencoded dict with compact peer lists:
 * `added` / `dropped` (6 bytes each: IPv4 + big-endian port), `added6` / `dropped6` (18 bytes each) and
 * `added.f` / `added6.f` (one flag byte per added peer, see {@link PexFlags}).
 *
 * Decoding is bounded before allocating: at most `maxPerList` entries are read from each list (the rest
 * are cut and `truncated` is set — HOSTILE-INPUTS 23), a list whose length is not a multiple of the entry
 * size is cut to whole entries, a flag string of the wrong length gives flags 0. Only bytes that are not a
 * bencoded dict fail (`ok: false`). Address filtering (0.0.0.0, multicast, port 0, ourselves) is the
 * tracker's job (ut-pex.ts), since "ourselves" is context.
 */
import { bdecode, bencode, isDict } from '../../metainfo/bencode.js';
import type { BValue } from '../../metainfo/bencode.js';
import { TorrentError } from '../../errors.js';
import { decodeCompactPeerList, writeCompactPeer } from '../../net/compact.js';
import type { CompactPeerList } from '../../net/compact.js';
import { parseIP, unmapIPv4 } from '../../net/ip.js';

/** Extension name in the BEP 10 `m` dict. */
export const UT_PEX = 'ut_pex';
/** BEP 11's cap on added (and on dropped) peers per message. */
export const PEX_MAX_PEERS = 50;

/** Flag bits of `added.f` / `added6.f`. */
export const PexFlags = {
  /** Prefers encryption. */
  encryption: 0x01,
  /** Seed or partial seed (upload only). */
  seed: 0x02,
  /** Supports uTP. */
  utp: 0x04,
  /** Supports the ut_holepunch extension. */
  holepunch: 0x08,
  /** Reachable: we connected to it (it accepts incoming connections). */
  reachable: 0x10,
} as const;

/** A peer address with its PEX flags. */
export interface PexPeer {
  /** IP literal. */
  readonly host: string;
  /** 1..65535. */
  readonly port: number;
  /** {@link PexFlags} bits (0 when unknown). */
  readonly flags: number;
}

/** A PEX message: peers connected since the last message, peers dropped since then. */
export interface PexMessage {
  readonly added: readonly PexPeer[];
  readonly dropped: readonly { readonly host: string; readonly port: number }[];
}

/** Result of {@link decodePexMessage}. */
export type PexDecodeResult =
  | { readonly ok: true; readonly message: PexMessage; readonly truncated: boolean }
  | { readonly ok: false; readonly reason: string };

function compactList(peers: readonly { host: string; port: number }[], family: 4 | 16): Uint8Array {
  const entry = family + 2;
  const out = new Uint8Array(peers.length * entry);
  peers.forEach((p, i) => {
    writeCompactPeer(out, i * entry, unmapIPv4(parseIP(p.host)!), p.port);
  });
  return out;
}

/**
 * Encodes a PEX message. Addresses must be IP literals with ports 1..65535 (`invalid_argument` otherwise);
 * each list is written as given (the tracker enforces the 50-entry cap).
 */
export function encodePexMessage(msg: PexMessage): Uint8Array {
  const split = <T extends { host: string; port: number }>(list: readonly T[]): [T[], T[]] => {
    const v4: T[] = [];
    const v6: T[] = [];
    for (const p of list) {
      const parsed = parseIP(p.host);
      const ip = parsed && unmapIPv4(parsed);
      if (!ip || !Number.isInteger(p.port) || p.port < 1 || p.port > 0xffff) {
        throw new TorrentError('invalid_argument', `not a PEX peer address: ${p.host}:${p.port}`);
      }
      (ip.length === 4 ? v4 : v6).push(p);
    }
    return [v4, v6];
  };
  const [a4, a6] = split(msg.added);
  const [d4, d6] = split(msg.dropped);
  const d = new Map<string, BValue>();
  d.set('added', compactList(a4, 4));
  d.set('added.f', Uint8Array.from(a4, (p) => p.flags & 0xff));
  d.set('added6', compactList(a6, 16));
  d.set('added6.f', Uint8Array.from(a6, (p) => p.flags & 0xff));
  d.set('dropped', compactList(d4, 4));
  d.set('dropped6', compactList(d6, 16));
  return bencode(d);
}

function readList(v: BValue | undefined, family: 4 | 16, max: number, flags?: BValue): { peers: PexPeer[]; cut: boolean } {
  if (!(v instanceof Uint8Array)) return { peers: [], cut: false };
  const whole = Math.floor(v.length / (family + 2));
  const f = flags instanceof Uint8Array && flags.length === whole ? flags : undefined;
  const list: CompactPeerList = { peers: [], dropped: 0 };
  decodeCompactPeerList(v, family === 4 ? 4 : 6, max, list); // no filter: only the cap and a partial tail drop
  const peers: PexPeer[] = list.peers.map((p, i) => ({ host: p.host, port: p.port, flags: f ? f[i]! : 0 }));
  return { peers, cut: list.dropped > 0 };
}

/** Decodes a ut_pex payload, reading at most `maxPerList` entries of each list (default 50). */
export function decodePexMessage(payload: Uint8Array, maxPerList = PEX_MAX_PEERS): PexDecodeResult {
  let root: BValue;
  try {
    root = bdecode(payload, { strict: false, maxDepth: 4, maxTokens: 256, largeIntegers: 'reject' });
  } catch {
    return { ok: false, reason: 'not_bencode' };
  }
  if (!isDict(root)) return { ok: false, reason: 'not_a_dict' };
  const a4 = readList(root.get('added'), 4, maxPerList, root.get('added.f'));
  const a6 = readList(root.get('added6'), 16, maxPerList, root.get('added6.f'));
  const d4 = readList(root.get('dropped'), 4, maxPerList);
  const d6 = readList(root.get('dropped6'), 16, maxPerList);
  const added = [...a4.peers, ...a6.peers].slice(0, maxPerList);
  const dropped = [...d4.peers, ...d6.peers].slice(0, maxPerList).map(({ host, port }) => ({ host, port }));
  const truncated = a4.cut || a6.cut || d4.cut || d6.cut || a4.peers.length + a6.peers.length > maxPerList
    || d4.peers.length + d6.peers.length > maxPerList;
  return { ok: true, message: { added, dropped }, truncated };
}
