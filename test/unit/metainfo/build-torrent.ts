// Test helper: builds real v1 / v2 / hybrid .torrent files from in-memory content by bencoding
// dicts ourselves and hashing with '#platform/sha' (works in Node and in the browser). It is
// independent of the parser under test except for the bencode encoder (checked against the npm
// `bencode` oracle in bencode.test.ts) and merkle.ts (engineer B's, tested separately).
import { sha1, sha256 } from '#platform/sha';
import { bencode, BencodeRaw, binaryKey } from '../../../src/metainfo/bencode.js';
import type { BEncodable } from '../../../src/metainfo/bencode.js';
import { merkleRoot, nextPow2 } from '../../../src/metainfo/merkle.js';

/** One file of a test torrent. */
export interface TestFile {
  path: string[];
  data: Uint8Array;
  attr?: string;
  symlink?: string[];
}

/** What to build. */
export interface BuildOptions {
  name: string;
  pieceLength: number;
  files: TestFile[];
  version: 'v1' | 'v2' | 'hybrid';
  /** Single-file torrent (files must hold one file; its path is ignored). */
  single?: boolean;
  /** Extra or overriding info-dict fields (undefined removes a field). */
  info?: Record<string, BEncodable | undefined>;
  /** Extra or overriding outer-dict fields. */
  outer?: Record<string, BEncodable | undefined>;
}

/** A built torrent. */
export interface Built {
  torrent: Uint8Array;
  info: Uint8Array;
  /** Every file's bytes in torrent order, pads included as zeroes (v1 / hybrid byte space). */
  content: Uint8Array;
  v1?: Uint8Array;
  v2?: Uint8Array;
  /** piece layers keyed by binary pieces root. */
  layers: Map<string, Uint8Array>;
}

const utf8 = new TextEncoder();
const BLOCK = 16384;

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Deterministic pseudo-random bytes. */
export function bytesOf(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed * 2654435761 >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** BEP 52 merkle root and piece layer of one file's data. */
export async function fileMerkle(data: Uint8Array, pieceLength: number): Promise<{ root: Uint8Array; layer: Uint8Array }> {
  const blocks = Math.ceil(data.length / BLOCK);
  const leaves = new Uint8Array(blocks * 32);
  for (let b = 0; b < blocks; b++) leaves.set(await sha256(data.subarray(b * BLOCK, (b + 1) * BLOCK)), b * 32);
  const perPiece = pieceLength / BLOCK;
  if (data.length <= pieceLength) return { root: await merkleRoot(leaves, nextPow2(blocks)), layer: new Uint8Array(0) };
  const pieces = Math.ceil(blocks / perPiece);
  const layer = new Uint8Array(pieces * 32);
  for (let p = 0; p < pieces; p++) {
    layer.set(await merkleRoot(leaves.subarray(p * perPiece * 32, Math.min(blocks, (p + 1) * perPiece) * 32), perPiece), p * 32);
  }
  return { root: await merkleRoot(layer, nextPow2(pieces), Math.log2(perPiece)), layer };
}

function withOverrides(base: Map<string, BEncodable>, extra: Record<string, BEncodable | undefined> | undefined): Map<string, BEncodable> {
  for (const [k, v] of Object.entries(extra ?? {})) {
    const key = binaryKey(utf8.encode(k));
    if (v === undefined) base.delete(key);
    else base.set(key, v);
  }
  return base;
}

/** Builds a torrent; see {@link BuildOptions}. */
export async function buildTorrent(o: BuildOptions): Promise<Built> {
  const v1 = o.version !== 'v2';
  const v2 = o.version !== 'v1';
  const info = new Map<string, BEncodable>([['name', o.name], ['piece length', o.pieceLength]]);
  const layers = new Map<string, Uint8Array>();
  const parts: Uint8Array[] = [];
  const v1Files: BEncodable[] = [];
  let offset = 0;
  o.files.forEach((f, i) => {
    const d = new Map<string, BEncodable>([['length', f.data.length], ['path', f.path]]);
    if (f.attr) d.set('attr', f.attr);
    if (f.symlink) d.set('symlink path', f.symlink);
    v1Files.push(d);
    parts.push(f.data);
    offset += f.data.length;
    const misalign = offset % o.pieceLength;
    if (v2 && i < o.files.length - 1 && misalign !== 0) {
      const pad = o.pieceLength - misalign;
      v1Files.push(new Map<string, BEncodable>([['attr', 'p'], ['length', pad], ['path', ['.pad', String(pad)]]]));
      parts.push(new Uint8Array(pad));
      offset += pad;
    }
  });
  const content = concat(parts);
  if (v1) {
    if (o.single) {
      info.set('length', o.files[0]!.data.length);
      if (o.files[0]!.attr) info.set('attr', o.files[0]!.attr);
    } else info.set('files', v1Files);
    const hashes: Uint8Array[] = [];
    for (let p = 0; p * o.pieceLength < content.length; p++) hashes.push(await sha1(content.subarray(p * o.pieceLength, (p + 1) * o.pieceLength)));
    info.set('pieces', concat(hashes));
  }
  if (v2) {
    info.set('meta version', 2);
    const tree = new Map<string, BEncodable>();
    for (const f of o.files) {
      const leaf = new Map<string, BEncodable>([['length', f.data.length]]);
      if (f.attr) leaf.set('attr', f.attr);
      if (f.symlink) leaf.set('symlink path', f.symlink);
      if (f.data.length > 0) {
        const { root, layer } = await fileMerkle(f.data, o.pieceLength);
        leaf.set('pieces root', root);
        if (layer.length > 0) layers.set(binaryKey(root), layer);
      }
      const path = o.single ? [o.name] : f.path;
      let node = tree;
      for (const e of path) {
        const k = binaryKey(utf8.encode(e));
        let next = node.get(k) as Map<string, BEncodable> | undefined;
        if (!next) node.set(k, (next = new Map()));
        node = next;
      }
      node.set('', leaf);
    }
    info.set('file tree', tree);
  }
  const infoBytes = bencode(withOverrides(info, o.info));
  const outer = new Map<string, BEncodable>([['info', new BencodeRaw(infoBytes)]]);
  if (layers.size > 0) outer.set('piece layers', layers);
  const torrent = bencode(withOverrides(outer, o.outer));
  return {
    torrent,
    info: infoBytes,
    content,
    ...(v1 ? { v1: await sha1(infoBytes) } : {}),
    ...(v2 ? { v2: await sha256(infoBytes) } : {}),
    layers,
  };
}
