/**
 * Builds the bencoded .torrent of CreateTorrent from a laid-out file list and its hashes, key for key
 * as libtorrent 2.0's create_torrent::generate() does, so the info dict (and so the info-hash) is the
 * same for the same files and piece length:
 * - info: `name`; `private` = 1 only when set; `piece length`; v1 `pieces`; v2 `meta version` = 2 and
 *   `file tree`.
 * - single-file v1: `length`, `attr` "x" for an executable, `mtime` only when asked for. The v2 tree
 *   leaf of a single file is like any other (libtorrent 2.0.8, checked by experiment).
 * - multi-file v1 `files`: `length`, `path` (without the name), `attr` ("p" pad, "x" executable) when
 *   any flag is set, `mtime` only when asked for and non-zero. Pad files appear only here.
 * - v2 `file tree` leaves: `length`, `pieces root` (omitted for empty files), `attr` "x", `mtime`.
 * - outside info: `announce` (first tracker), `announce-list` only with more than one tracker,
 *   `comment`, `creation date`, `created by`, `url-list` (a string for one web seed, else a list),
 *   `httpseeds`, `nodes`, and for v2 `piece layers` (always present, files of more than one piece).
 */
import { BencodeRaw, bencode, binaryKey } from './bencode.js';
import type { BEncodable } from './bencode.js';
import type { LaidOutFile } from './create-files.js';

/** Everything that goes into the .torrent. */
export interface TorrentParts {
  readonly name: string;
  readonly files: readonly LaidOutFile[];
  /** Single-file torrent: one file whose path is just the name. */
  readonly multiFile: boolean;
  readonly pieceLength: number;
  readonly isPrivate: boolean;
  readonly includeMtime: boolean;
  /** Concatenated SHA-1 piece hashes (v1, hybrid). */
  readonly v1Pieces?: Uint8Array;
  /** Per laid-out file: merkle root and piece layer (v2, hybrid); undefined for pads and empty files. */
  readonly v2?: ReadonlyArray<{ root: Uint8Array; layer: Uint8Array } | undefined>;
  readonly comment?: string;
  readonly creator?: string;
  /** Unix seconds; undefined leaves the key out. */
  readonly creationDate?: number;
  /** Trackers sorted by tier. */
  readonly trackers: ReadonlyArray<{ url: string; tier: number }>;
  readonly urlSeeds: readonly string[];
  readonly httpSeeds: readonly string[];
  readonly nodes: ReadonlyArray<readonly [string, number]>;
}

type Dict = Map<string, BEncodable>;

const utf8 = new TextEncoder();
const key = (s: string): string => binaryKey(utf8.encode(s));

function fileAttr(f: LaidOutFile): string {
  return (f.pad ? 'p' : '') + (f.executable ? 'x' : '');
}

function fileTree(parts: TorrentParts): Dict {
  const tree: Dict = new Map();
  parts.files.forEach((f, i) => {
    if (f.pad) return;
    let node = tree;
    for (const el of f.path.slice(parts.multiFile ? 1 : 0)) {
      const k = key(el);
      let child = node.get(k) as Dict | undefined;
      if (!child) {
        child = new Map();
        node.set(k, child);
      }
      node = child;
    }
    const leaf: Dict = new Map<string, BEncodable>([['length', f.length]]);
    const hashes = parts.v2?.[i];
    if (hashes && f.length > 0) leaf.set('pieces root', hashes.root);
    if (f.executable) leaf.set('attr', 'x');
    if (parts.includeMtime && f.mtime) leaf.set('mtime', f.mtime);
    node.set('', leaf);
  });
  return tree;
}

/** The bencoded info dict. */
export function buildInfo(parts: TorrentParts): Uint8Array {
  const info: Dict = new Map();
  info.set('name', parts.name);
  info.set('piece length', parts.pieceLength);
  if (parts.isPrivate) info.set('private', 1);
  const v1 = parts.v1Pieces !== undefined;
  if (!parts.multiFile) {
    const f = parts.files[0]!;
    if (v1) {
      if (parts.includeMtime) info.set('mtime', f.mtime ?? 0);
      info.set('length', f.length);
      if (f.executable) info.set('attr', 'x');
    }
  } else if (v1) {
    info.set(
      'files',
      parts.files.map((f) => {
        const e: Dict = new Map<string, BEncodable>([
          ['length', f.length],
          ['path', f.path.slice(1)],
        ]);
        const attr = fileAttr(f);
        if (attr) e.set('attr', attr);
        if (parts.includeMtime && f.mtime && !f.pad) e.set('mtime', f.mtime);
        return e;
      }),
    );
  }
  if (parts.v2) {
    info.set('file tree', fileTree(parts));
    info.set('meta version', 2);
  }
  if (parts.v1Pieces) info.set('pieces', parts.v1Pieces);
  return bencode(info);
}

/** The whole .torrent around an already-encoded info dict. */
export function buildTorrent(parts: TorrentParts, info: Uint8Array): Uint8Array {
  const t: Dict = new Map();
  const first = parts.trackers[0];
  if (first) t.set('announce', first.url);
  if (parts.nodes.length > 0) t.set('nodes', parts.nodes.map(([h, p]) => [h, p]));
  if (parts.trackers.length > 1) {
    const tiers: string[][] = [];
    let tier: number | undefined;
    for (const tr of parts.trackers) {
      if (tr.tier !== tier || tiers.length === 0) {
        tiers.push([]);
        tier = tr.tier;
      }
      tiers[tiers.length - 1]!.push(tr.url);
    }
    t.set('announce-list', tiers);
  }
  if (parts.comment) t.set('comment', parts.comment);
  if (parts.creationDate !== undefined) t.set('creation date', parts.creationDate);
  if (parts.creator) t.set('created by', parts.creator);
  if (parts.urlSeeds.length === 1) t.set('url-list', parts.urlSeeds[0]!);
  else if (parts.urlSeeds.length > 1) t.set('url-list', [...parts.urlSeeds]);
  if (parts.httpSeeds.length === 1) t.set('httpseeds', parts.httpSeeds[0]!);
  else if (parts.httpSeeds.length > 1) t.set('httpseeds', [...parts.httpSeeds]);
  if (parts.v2) {
    const layers: Dict = new Map();
    parts.v2.forEach((h, i) => {
      const f = parts.files[i]!;
      if (h && f.length > parts.pieceLength) layers.set(binaryKey(h.root), h.layer);
    });
    t.set('piece layers', layers);
  }
  t.set('info', new BencodeRaw(info));
  return bencode(t);
}
