/**
 * BEP 52 (v2) structures: the `file tree`, the v2 byte layout with implicit padding, the hybrid
 * cross-check against the v1 file list, and verification of `piece layers`.
 *
 * File tree: a dict of path element → node; a node holding the key "" is a file, whose value is
 * `{ length, pieces root, attr?, ... }`; a file node must hold nothing else. Walked with an explicit
 * stack, in key order (the strict decoder guarantees sorted keys), which is the torrent's file order.
 *
 * Layout: in v2 every file starts on a piece boundary. For pure v2 torrents we insert pad entries
 * (BEP 47 style, path `.pad/<n>`) after each file that ends mid-piece, as libtorrent does, so piece
 * indexes address the same bytes as in a hybrid torrent's v1 list.
 *
 * Piece layers: for each file longer than one piece, the layer is the concatenation of its
 * ceil(length / pieceLength) piece hashes; its merkle root (padded with zero-subtree roots up to a
 * power of two) must equal the file's `pieces root`. Files of at most one piece need no layer.
 */
import { TorrentError } from '../errors.js';
import { binaryKey, decodeUtf8Lossy, isDict, keyBytes } from './bencode.js';
import type { BDict } from './bencode.js';
import { BLOCK_SIZE } from './lengths.js';
import { HASH_LEN, merkleRoot, nextPow2 } from './merkle.js';
import { fileAttrs, fileLength, rawFile } from './metainfo-fields.js';
import type { RawFile } from './metainfo-fields.js';

function treeError(message: string, details: Record<string, string | number> = {}): never {
  throw new TorrentError('torrent_invalid_file_tree', message, { details });
}

/**
 * Parses `file tree` into files in torrent order.
 * @returns files (paths relative to the torrent directory) and whether it is a single-file torrent
 *   (exactly one top-level entry, and it is a file).
 */
export function parseFileTree(tree: BDict): { files: RawFile[]; single: boolean } {
  const files: RawFile[] = [];
  // Depth-first, children in key order: push in reverse so the smallest key pops first.
  const stack: Array<{ node: BDict; path: string[] }> = [{ node: tree, path: [] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    const leaf = node.get('');
    if (leaf !== undefined && path.length > 0) {
      const where = path.join('/');
      if (!isDict(leaf)) treeError(`file tree entry '${where}' is not a dictionary`, { path: where });
      if (node.size !== 1) treeError(`'${where}' is both a file and a directory`, { path: where });
      const length = fileLength(leaf, where);
      const root = leaf.get('pieces root');
      let piecesRoot: Uint8Array | undefined;
      if (length > 0) {
        if (!(root instanceof Uint8Array) || root.length !== HASH_LEN) treeError(`'${where}' needs a 32-byte pieces root`, { path: where });
        piecesRoot = root;
      }
      files.push(rawFile(path, length, fileAttrs(leaf, where), piecesRoot));
      continue;
    }
    if (leaf !== undefined) treeError('file tree root cannot be a file');
    const entries = [...node];
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i]!;
      if (!isDict(child)) treeError(`file tree node '${[...path, key].join('/')}' is not a dictionary`);
      if (child.size === 0) continue; // an empty directory holds no files
      stack.push({ node: child, path: [...path, decodeUtf8Lossy(keyBytes(key))] });
    }
  }
  if (files.length === 0) throw new TorrentError('torrent_empty', 'file tree holds no files');
  const top = [...tree.values()];
  const single = top.length === 1 && isDict(top[0]) && top[0].has('');
  return { files, single };
}

/** A pad entry of `length` bytes, as v2 layouts imply them. */
export function padFile(length: number): RawFile {
  return rawFile(['.pad', String(length)], length, { pad: true, executable: false, hidden: false });
}

/**
 * The pure-v2 file list with pad entries after every file (but the last) that ends mid-piece, so
 * each following file starts on a piece boundary — the layout libtorrent uses.
 */
export function alignV2(files: readonly RawFile[], pieceLength: number): RawFile[] {
  const out: RawFile[] = [];
  let offset = 0;
  files.forEach((f, i) => {
    out.push(f);
    offset += f.length;
    const misalign = offset % pieceLength;
    if (misalign !== 0 && i < files.length - 1) {
      out.push(padFile(pieceLength - misalign));
      offset += pieceLength - misalign;
    }
  });
  return out;
}

/**
 * Checks that a hybrid torrent's v1 list (with its pad files) describes the same files as the v2
 * tree: same paths and lengths in the same order, and each non-empty file at a piece boundary.
 * Returns the v1 list with each file's `pieces root` attached.
 */
export function mergeHybrid(v1: readonly RawFile[], v2: readonly RawFile[], pieceLength: number): RawFile[] {
  const out: RawFile[] = [];
  let j = 0;
  let offset = 0;
  for (const f of v1) {
    if (f.pad) {
      out.push(f);
      offset += f.length;
      continue;
    }
    const g = v2[j++];
    const where = f.path.join('/');
    if (g === undefined) treeError(`hybrid: v1 file '${where}' is not in the v2 file tree`, { path: where });
    if (g.length !== f.length || g.path.length !== f.path.length || g.path.some((e, i) => e !== f.path[i])) {
      treeError(`hybrid: v1 file '${where}' does not match v2 file '${g.path.join('/')}'`, { path: where });
    }
    if (f.length > 0 && offset % pieceLength !== 0) treeError(`hybrid: file '${where}' does not start on a piece boundary`, { path: where });
    out.push(g.piecesRoot ? { ...f, piecesRoot: g.piecesRoot } : f);
    offset += f.length;
  }
  if (j !== v2.length) treeError('hybrid: the v2 file tree has files the v1 list lacks', { v1: j, v2: v2.length });
  return out;
}

/**
 * Verifies the `piece layers` of every file longer than one piece against its pieces root.
 * @returns the verified layers keyed by binary pieces root.
 */
export async function verifyPieceLayers(layers: BDict | undefined, files: readonly RawFile[], pieceLength: number): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  const padHeight = Math.log2(pieceLength / BLOCK_SIZE);
  for (const f of files) {
    if (f.pad || f.piecesRoot === undefined || f.length <= pieceLength) continue;
    const key = binaryKey(f.piecesRoot);
    if (out.has(key)) continue;
    const where = f.path.join('/');
    const layer = layers?.get(key);
    const count = Math.ceil(f.length / pieceLength);
    if (!(layer instanceof Uint8Array)) {
      throw new TorrentError('torrent_invalid_piece_layers', `no piece layer for '${where}'`, { details: { path: where } });
    }
    if (layer.length !== count * HASH_LEN) {
      throw new TorrentError('torrent_invalid_piece_layers', `piece layer of '${where}' has ${layer.length} bytes, expected ${count * HASH_LEN}`, {
        details: { path: where, length: layer.length, expected: count * HASH_LEN },
      });
    }
    const root = await merkleRoot(layer, nextPow2(count), padHeight);
    if (!root.every((b, i) => b === f.piecesRoot![i])) {
      throw new TorrentError('torrent_invalid_piece_layers', `piece layer of '${where}' does not hash to its pieces root`, { details: { path: where } });
    }
    out.set(key, layer);
  }
  return out;
}
