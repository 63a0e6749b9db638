/**
 * TorrentInfo: a parsed, validated .torrent (v1, v2 or hybrid), libtorrent's torrent_info.
 *
 * Parsing order matters for hostile input (HOSTILE-INPUTS.md 1–12):
 * 1. The whole file is bounded (`maxBytes`) and decoded with the strict decoder, lenient only about
 *    the key order of the outer dict (real torrents have unsorted outer dicts); duplicates always fail.
 * 2. The `info` dict's raw bytes are taken exactly as received and decoded again in strict mode
 *    (sorted, unique keys at every level). Info-hashes are SHA-1 / SHA-256 of those raw bytes.
 * 3. Piece length, file lengths and the piece count are validated before anything per-piece exists;
 *    piece hashes stay one view into the info bytes (no per-piece arrays).
 * 4. Paths are sanitised element by element and made unique (sanitize-path.ts); symlinks whose
 *    target leaves the torrent are neutralised (the entry becomes a plain file).
 * 5. v2 piece layers are verified against each file's pieces root (file-tree.ts).
 *
 * file-tree.ts (the BEP 52 file tree, layout and piece layers) is loaded with the first v2 or hybrid
 * torrent (../lazy.ts); v1 torrents never need it.
 */
import { TorrentError } from '../errors.js';
import type { LayoutFile, TorrentLayout } from '../interfaces/storage.js';
import { bdecode, bdecodeWithSpans, bencode, BencodeRaw, binaryKey, getBytes, getDict, isDict } from './bencode.js';
import type { BDict, BEncodable } from './bencode.js';
import { lazy } from '../lazy.js';
import { hashInfo, infoHashId, toHex } from './info-hash.js';
import type { InfoHashes } from './info-hash.js';
import { checkPieceLength, DEFAULT_MAX_PIECES, Lengths } from './lengths.js';
import { makeMagnet } from './magnet-link.js';
import { announceTiers, creationDate, isPrivate, textField, v1Files, webSeeds } from './metainfo-fields.js';
import type { RawFile } from './metainfo-fields.js';
import { sanitizeElement, sanitizePath, UniquePaths } from './sanitize-path.js';

export type { InfoHashes } from './info-hash.js';

/** One file of a torrent, in torrent order (pad files included, flagged `pad`). */
export interface FileEntry {
  /** Sanitised, unique path relative to the save directory (multi-file: starts with the torrent name). */
  readonly path: readonly string[];
  /** Path elements as listed in the torrent (decoded), before sanitising. */
  readonly originalPath: readonly string[];
  readonly length: number;
  /** Offset of the file's first byte in the torrent's byte space. */
  readonly offset: number;
  /** BEP 47 pad file (never stored; reads as zeroes). */
  readonly pad: boolean;
  readonly executable: boolean;
  readonly hidden: boolean;
  /** Symlink target relative to the save directory (sanitised; only targets inside the torrent). */
  readonly symlink?: readonly string[];
  /** BEP 52 merkle root of the file (v2 / hybrid, non-empty files). */
  readonly piecesRoot?: Uint8Array;
  /** BEP 47 modification time, unix seconds. */
  readonly mtime?: number;
}

/** Limits and switches for parsing. */
export interface TorrentInfoOptions {
  /** Most pieces accepted (default 2,097,152). */
  maxPieces?: number;
  /** Largest .torrent file accepted in bytes (default 64 MiB). */
  maxBytes?: number;
  /** Require valid `piece layers` for v2 files longer than one piece (default true in fromBytes). */
  requirePieceLayers?: boolean;
}

/** Fields from outside the info dict (trackers, web seeds, ...), e.g. from a magnet link. */
export interface TorrentExtras {
  announce?: string[][];
  urlList?: string[];
  comment?: string;
  createdBy?: string;
  creationDate?: number;
}

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

const loadFileTree = lazy(() => import('./file-tree.js'));

interface Parsed {
  infoHashes: InfoHashes;
  name: string;
  lengths: Lengths;
  files: FileEntry[];
  isPrivate: boolean;
  metaVersion: 'v1' | 'v2' | 'hybrid';
  pieces: Uint8Array | undefined;
  layers: Map<string, Uint8Array>;
  infoBytes: Uint8Array;
}

/** A parsed and validated torrent. Immutable. */
export class TorrentInfo {
  readonly infoHashes: InfoHashes;
  /** {@link infoHashId}: v1 hex, else v2 truncated to 20 bytes. */
  readonly id: string;
  /** Sanitised torrent name (file name for single-file torrents, directory otherwise). */
  readonly name: string;
  readonly pieceLength: number;
  readonly pieceCount: number;
  /** Total bytes including pad files. */
  readonly totalLength: number;
  readonly files: readonly FileEntry[];
  readonly isPrivate: boolean;
  readonly metaVersion: 'v1' | 'v2' | 'hybrid';
  readonly comment?: string;
  readonly createdBy?: string;
  /** Unix seconds. */
  readonly creationDate?: number;
  /** Tracker tiers (BEP 12). */
  readonly announce: string[][];
  /** BEP 19 web seeds. */
  readonly urlList: string[];
  /** The info dict exactly as received. */
  readonly infoBytes: Uint8Array;
  /** Piece and block geometry. */
  readonly lengths: Lengths;
  private readonly pieces: Uint8Array | undefined;
  private readonly layers: Map<string, Uint8Array>;

  private constructor(p: Parsed, extras: TorrentExtras) {
    this.infoHashes = p.infoHashes;
    this.id = infoHashId(p.infoHashes);
    this.name = p.name;
    this.lengths = p.lengths;
    this.pieceLength = p.lengths.pieceLength;
    this.pieceCount = p.lengths.pieceCount;
    this.totalLength = p.lengths.totalLength;
    this.files = p.files;
    this.isPrivate = p.isPrivate;
    this.metaVersion = p.metaVersion;
    this.pieces = p.pieces;
    this.layers = p.layers;
    this.infoBytes = p.infoBytes;
    this.announce = extras.announce?.map((t) => [...t]) ?? [];
    this.urlList = [...(extras.urlList ?? [])];
    if (extras.comment !== undefined) this.comment = extras.comment;
    if (extras.createdBy !== undefined) this.createdBy = extras.createdBy;
    if (extras.creationDate !== undefined) this.creationDate = extras.creationDate;
  }

  /** Parses a .torrent file. Throws {@link TorrentError} (`bdecode_*`, `torrent_*`). */
  static async fromBytes(torrentFile: Uint8Array, opts: TorrentInfoOptions = {}): Promise<TorrentInfo> {
    const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    if (torrentFile.length > maxBytes) {
      throw new TorrentError('bdecode_size_limit_exceeded', `torrent file over ${maxBytes} bytes`, { details: { size: torrentFile.length, maxBytes } });
    }
    const own = torrentFile.slice(); // views below point into our copy, never the caller's buffer
    const { value, spanOf } = bdecodeWithSpans(own, { strict: false });
    if (!isDict(value)) throw new TorrentError('torrent_invalid', 'a torrent file must be a dictionary');
    const info = value.get('info');
    if (!isDict(info)) throw new TorrentError('torrent_missing_info', "torrent file has no 'info' dictionary");
    const span = spanOf(info)!;
    const pl = value.get('piece layers'); // only v2 needs it; a non-dict fails there as missing layers
    const layers = isDict(pl) ? pl : undefined;
    const extras: TorrentExtras = { announce: announceTiers(value), urlList: webSeeds(value) };
    const comment = textField(value, 'comment');
    const createdBy = textField(value, 'created by');
    const date = creationDate(value);
    if (comment !== undefined) extras.comment = comment;
    if (createdBy !== undefined) extras.createdBy = createdBy;
    if (date !== undefined) extras.creationDate = date;
    const parsed = await parseInfo(own.subarray(span.start, span.end), layers, opts.requirePieceLayers ?? true, opts);
    return new TorrentInfo(parsed, extras);
  }

  /** Builds from a bare info dict (e.g. fetched over ut_metadata for a magnet link). */
  static async fromInfoDict(info: Uint8Array, extras: TorrentExtras = {}, opts: TorrentInfoOptions = {}): Promise<TorrentInfo> {
    const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    if (info.length > maxBytes) throw new TorrentError('bdecode_size_limit_exceeded', `info dict over ${maxBytes} bytes`, { details: { size: info.length } });
    return new TorrentInfo(await parseInfo(info.slice(), undefined, opts.requirePieceLayers ?? false, opts), extras);
  }

  /**
   * This torrent with BEP 52 piece layers added (e.g. fetched from peers with hash requests for a magnet):
   * `layers` maps a file index to its layer (32-byte hashes, one per piece). Every v2 file longer than one
   * piece needs one; each must hash to the file's pieces root. Throws `torrent_invalid_piece_layers`.
   */
  async withPieceLayers(layers: ReadonlyMap<number, Uint8Array>): Promise<TorrentInfo> {
    const dict: BDict = new Map();
    for (const [i, layer] of layers) {
      const root = this.files[i]?.piecesRoot;
      if (root === undefined) throw new TorrentError('torrent_invalid_piece_layers', `file ${i} has no pieces root`, { details: { file: i } });
      dict.set(binaryKey(root), layer);
    }
    const parsed = await parseInfo(this.infoBytes, dict, true, { maxPieces: Math.max(DEFAULT_MAX_PIECES, this.pieceCount) });
    const extras: TorrentExtras = { announce: this.announce, urlList: this.urlList };
    if (this.comment !== undefined) extras.comment = this.comment;
    if (this.createdBy !== undefined) extras.createdBy = this.createdBy;
    if (this.creationDate !== undefined) extras.creationDate = this.creationDate;
    return new TorrentInfo(parsed, extras);
  }

  /** SHA-1 of piece `i` (v1 / hybrid), a view into the info bytes; undefined for pure v2. */
  pieceHash(i: number): Uint8Array | undefined {
    this.lengths.checkPiece(i);
    return this.pieces?.subarray(i * 20, i * 20 + 20);
  }

  /** The verified v2 piece layer of file `file` (files longer than one piece), else undefined. */
  pieceLayer(file: number): Uint8Array | undefined {
    const root = this.files[file]?.piecesRoot;
    return root === undefined ? undefined : this.layers.get(binaryKey(root));
  }

  /** Bytes in piece `i`. */
  pieceSize(i: number): number {
    return this.lengths.pieceSize(i);
  }

  /** The storage layout (src/interfaces/storage.ts). */
  layout(): TorrentLayout {
    const files: LayoutFile[] = this.files.map((f) => ({ path: f.path, length: f.length, offset: f.offset, ...(f.pad ? { pad: true } : {}) }));
    return { id: this.id, pieceLength: this.pieceLength, totalLength: this.totalLength, pieceCount: this.pieceCount, files };
  }

  /** A .torrent file: the info dict verbatim plus trackers, web seeds, text fields and piece layers. */
  toBytes(): Uint8Array {
    const root = new Map<string, BEncodable>();
    const first = this.announce[0]?.[0];
    if (first !== undefined) root.set('announce', first);
    if (this.announce.length > 1 || (this.announce[0]?.length ?? 0) > 1) root.set('announce-list', this.announce);
    if (this.comment !== undefined) root.set('comment', this.comment);
    if (this.createdBy !== undefined) root.set('created by', this.createdBy);
    if (this.creationDate !== undefined) root.set('creation date', this.creationDate);
    root.set('info', new BencodeRaw(this.infoBytes));
    if (this.layers.size > 0) root.set('piece layers', this.layers);
    if (this.urlList.length > 0) root.set('url-list', this.urlList);
    return bencode(root);
  }

  /** A magnet link with info-hash(es), name, trackers and web seeds. */
  toMagnet(): string {
    return makeMagnet({ infoHashes: this.infoHashes, name: this.name, trackers: this.announce.flat(), webSeeds: this.urlList, peers: [] });
  }
}

async function parseInfo(infoBytes: Uint8Array, layers: BDict | undefined, requireLayers: boolean, opts: TorrentInfoOptions): Promise<Parsed> {
  const info = bdecode(infoBytes); // strict: sorted, unique keys throughout the info dict
  if (!isDict(info)) throw new TorrentError('torrent_missing_info', 'info is not a dictionary');
  const mv = info.get('meta version');
  if (mv !== undefined && mv !== 1 && mv !== 2) {
    throw new TorrentError('torrent_invalid_meta_version', `unsupported meta version ${String(mv)}`, { details: { metaVersion: String(mv) } });
  }
  const hasV2 = mv === 2;
  const v1 = v1Files(info);
  if (!hasV2 && v1 === undefined) throw new TorrentError('torrent_invalid', "info has neither 'files' nor 'length'");
  const metaVersion = hasV2 ? (v1 ? 'hybrid' : 'v2') : 'v1';
  const pieceLength = checkPieceLength(info.get('piece length'), hasV2);
  const maxPieces = opts.maxPieces ?? DEFAULT_MAX_PIECES;
  const rawName = textField(info, 'name') ?? '';

  let raw: RawFile[];
  let multi: boolean;
  const fileTree = hasV2 ? await loadFileTree() : undefined;
  if (fileTree) {
    const tree = getDict(info, 'file tree', { required: true, code: 'torrent_invalid_file_tree' })!;
    const v2 = fileTree.parseFileTree(tree);
    if (v1) {
      const v2Files = v1.multi ? v2.files : v2.files.map((f) => ({ ...f, path: [] }));
      raw = fileTree.mergeHybrid(v1.files, v2Files, pieceLength);
      multi = v1.multi;
    } else {
      multi = !(v2.single && v2.files[0]!.path[0] === rawName);
      raw = fileTree.alignV2(multi ? v2.files : v2.files.map((f) => ({ ...f, path: [] })), pieceLength);
    }
  } else {
    raw = v1!.files;
    multi = v1!.multi;
  }

  // Sizes first: total bounded by maxPieces × pieceLength before any per-piece work.
  let total = 0;
  for (const f of raw) {
    total += f.length;
    if (total > maxPieces * pieceLength) {
      throw new TorrentError('torrent_too_many_pieces', `torrent needs more than ${maxPieces} pieces`, { details: { maxPieces } });
    }
  }
  if (total === 0) throw new TorrentError('torrent_empty', 'torrent holds no data');
  const lengths = new Lengths(total, pieceLength, maxPieces);

  let pieces: Uint8Array | undefined;
  if (v1) {
    pieces = getBytes(info, 'pieces', { required: true, code: 'torrent_invalid_pieces' })!;
    if (pieces.length % 20 !== 0) throw new TorrentError('torrent_invalid_pieces', "'pieces' length is not a multiple of 20", { details: { length: pieces.length } });
    if (pieces.length / 20 !== lengths.pieceCount) {
      throw new TorrentError('torrent_invalid_pieces', `'pieces' holds ${pieces.length / 20} hashes for ${lengths.pieceCount} pieces`, {
        details: { hashes: pieces.length / 20, pieceCount: lengths.pieceCount },
      });
    }
  }

  const infoHashes = await hashInfo(infoBytes, { v1: v1 !== undefined, v2: hasV2 });
  const name = sanitizeElement(rawName) ?? toHex(infoHashes.v1 ?? infoHashes.v2!.subarray(0, 20));
  const files = buildEntries(raw, multi, name, rawName);
  const verified = fileTree && (requireLayers || layers !== undefined) ? await fileTree.verifyPieceLayers(layers, raw, pieceLength) : new Map<string, Uint8Array>();
  return { infoHashes, name, lengths, files, isPrivate: isPrivate(info), metaVersion, pieces, layers: verified, infoBytes };
}

/** Sanitises and de-duplicates paths, resolves symlink targets, assigns offsets. */
function buildEntries(raw: readonly RawFile[], multi: boolean, name: string, rawName: string): FileEntry[] {
  const unique = new UniquePaths();
  const out: FileEntry[] = [];
  let offset = 0;
  for (const f of raw) {
    let path: string[];
    if (f.pad) path = [...(multi ? [name] : []), '.pad', String(f.length)];
    else if (!multi) path = unique.add([name]);
    else {
      const rel = sanitizePath(f.path);
      path = unique.add([name, ...(rel.length > 0 ? rel : ['_'])]);
    }
    const symlink = f.symlink && !f.pad ? resolveSymlink(f.symlink, multi ? [name] : []) : undefined;
    out.push({
      path,
      originalPath: multi ? [rawName, ...f.path] : [f.path[0] ?? rawName],
      length: f.length,
      offset,
      pad: f.pad,
      executable: f.executable,
      hidden: f.hidden,
      ...(symlink ? { symlink } : {}),
      ...(f.piecesRoot ? { piecesRoot: f.piecesRoot } : {}),
      ...(f.mtime !== undefined ? { mtime: f.mtime } : {}),
    });
    offset += f.length;
  }
  return out;
}

/**
 * Resolves a BEP 47 symlink target (relative to the torrent root) lexically. Returns the target
 * below the save directory, or undefined when it leaves the torrent or names the root itself.
 */
export function resolveSymlink(target: readonly string[], root: readonly string[]): string[] | undefined {
  const stack: string[] = [];
  for (const e of target) {
    if (e === '' || e === '.') continue;
    if (e === '..') {
      if (stack.length === 0) return undefined;
      stack.pop();
      continue;
    }
    if (/^[a-zA-Z]:/u.test(e) || e.startsWith('/') || e.startsWith('\\')) return undefined;
    const s = sanitizeElement(e);
    if (s !== undefined) stack.push(s);
  }
  return stack.length === 0 ? undefined : [...root, ...stack];
}
