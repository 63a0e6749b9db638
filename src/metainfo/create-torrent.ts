/**
 * CreateTorrent: makes .torrent files, after libtorrent's create_torrent, in Node and the browser.
 *
 * Add files (Node: a path, walked like libtorrent's add_files; anywhere: File / Blob / Uint8Array with a
 * path), set trackers, web seeds, comment, ..., then `generate()`. Hashing runs on the
 * `#platform/hash-pool` (Node: worker threads that read file ranges themselves; browser: WebCrypto over
 * Blob slices), a bounded window of jobs at a time, so the event loop keeps running and memory stays at
 * a few jobs' worth. The output is byte-identical to libtorrent 2.0's for the same files, options and
 * creation date (see create-files.ts for ordering and pad rules, create-info.ts for the keys).
 */
import { TorrentError } from '../errors.js';
import { createHashPool } from '#platform/hash-pool';
import type { HashPool } from '#platform/hash-pool';
import { listFiles } from '#platform/files';
import { autoPieceLength, BLOCK_SIZE, layoutFiles, splitPath } from './create-files.js';
import type { FileSource, LaidOutFile, ListedFile } from './create-files.js';
import { buildInfo, buildTorrent } from './create-info.js';
import { filePieces, JOB_BYTES, planPerFile, planV1 } from './create-plan.js';
import type { PlannedJob } from './create-plan.js';
import { merkleRoot, nextPow2 } from './merkle.js';
import { TorrentInfo } from './torrent-info.js';

export type { FileSource, LaidOutFile, ListedFile } from './create-files.js';
export { autoPieceLength } from './create-files.js';

/** Which hashes the torrent carries: v1 (BEP 3), v2 (BEP 52) or both (hybrid, libtorrent's default). */
export type TorrentVersion = 'v1' | 'v2' | 'hybrid';

/** Options of {@link CreateTorrent}; each has a setter too. */
export interface CreateTorrentOptions {
  /** Default 'hybrid', as libtorrent. */
  version?: TorrentVersion;
  /** Bytes per piece; 0 or absent picks libtorrent's automatic size. v2/hybrid need a power of two ≥ 16 KiB. */
  pieceLength?: number;
  /** v1 only: sort files and add pad files like v2 (libtorrent's `canonical_files`). v2/hybrid always do. */
  canonicalFiles?: boolean;
  /** Write file modification times (libtorrent's `modification_time` flag). */
  includeMtime?: boolean;
  private?: boolean;
  comment?: string;
  creator?: string;
  /** Unix seconds or a Date; default the time of `generate()`; null leaves the key out. */
  creationDate?: number | Date | null;
  /** Trackers: each entry a tier (a URL or a list of URLs); tiers in order. */
  trackers?: ReadonlyArray<string | readonly string[]>;
  /** BEP 19 web seeds (url-list). */
  webSeeds?: readonly string[];
  /** Pool to hash on (not closed by CreateTorrent); default a new pool per generate(), closed after. */
  hashPool?: HashPool;
}

/** A file given directly (any runtime). A browser File may be passed on its own. */
export interface FileInput {
  /** The bytes. */
  data: Blob | Uint8Array;
  /** Path inside the torrent, "name/dir/file" or elements; the first element is the torrent's name. */
  path: string | readonly string[];
  /** Unix seconds (written only with `includeMtime`). */
  mtime?: number;
  executable?: boolean;
}

/** Options of {@link CreateTorrent.generate}. */
export interface GenerateOptions {
  /** Called after each batch of pieces is hashed, with pieces done and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Aborting rejects `generate()` with `aborted`. */
  signal?: AbortSignal;
}

/** The resolved layout a {@link CreateTorrent} will hash. */
export interface CreateLayout {
  readonly name: string;
  readonly pieceLength: number;
  readonly pieceCount: number;
  /** Including pad files. */
  readonly totalLength: number;
  /** In torrent order, pad files included. */
  readonly files: readonly LaidOutFile[];
}

interface FileLike extends Blob {
  readonly name: string;
  readonly lastModified?: number;
  readonly webkitRelativePath?: string;
}

function isFileLike(x: unknown): x is FileLike {
  return typeof Blob !== 'undefined' && x instanceof Blob && typeof (x as { name?: unknown }).name === 'string';
}

/** Bytes per job when every file is read by path (see generate()). */
const PATH_JOB_BYTES = 32 * 1024 * 1024;

function aborted(): TorrentError {
  return new TorrentError('aborted', 'torrent creation was aborted');
}

/** Builds a torrent like libtorrent's create_torrent. */
export class CreateTorrent {
  private readonly listed: ListedFile[] = [];
  private version: TorrentVersion;
  private pieceLen: number;
  private canonical: boolean;
  private includeMtime: boolean;
  private priv: boolean;
  private comment: string | undefined;
  private creator: string | undefined;
  private creationDate: number | null | undefined;
  private readonly trackers: Array<{ url: string; tier: number }> = [];
  private readonly urlSeeds: string[] = [];
  private readonly httpSeeds: string[] = [];
  private readonly nodes: Array<[string, number]> = [];
  private readonly pool: HashPool | undefined;

  constructor(opts: CreateTorrentOptions = {}) {
    this.version = opts.version ?? 'hybrid';
    if (!['v1', 'v2', 'hybrid'].includes(this.version)) throw new TorrentError('create_invalid_option', `unknown version ${String(this.version)}`);
    this.pieceLen = opts.pieceLength ?? 0;
    this.canonical = opts.canonicalFiles ?? false;
    this.includeMtime = opts.includeMtime ?? false;
    this.priv = opts.private ?? false;
    this.comment = opts.comment;
    this.creator = opts.creator;
    this.pool = opts.hashPool;
    if (opts.creationDate !== undefined) this.setCreationDate(opts.creationDate);
    opts.trackers?.forEach((tier, i) => {
      for (const url of typeof tier === 'string' ? [tier] : tier) this.addTracker(url, i);
    });
    for (const u of opts.webSeeds ?? []) this.addUrlSeed(u);
  }

  /** Adds every regular file under `path` (a file or a directory), Node only; the torrent is named after its basename. */
  async addPath(path: string): Promise<this> {
    this.listed.push(...(await listFiles(path)));
    return this;
  }

  /** Adds one file from bytes, a Blob, or a browser File (path from `webkitRelativePath`, else its name). */
  addFile(input: FileInput | FileLike): this {
    let data: Blob | Uint8Array;
    let path: string | readonly string[];
    let mtime: number | undefined;
    let executable = false;
    if (isFileLike(input)) {
      data = input;
      path = input.webkitRelativePath || input.name;
      if (typeof input.lastModified === 'number') mtime = Math.floor(input.lastModified / 1000);
    } else {
      ({ data, path, mtime } = input);
      executable = input.executable ?? false;
    }
    const source: FileSource = data instanceof Uint8Array ? { kind: 'bytes', bytes: data } : { kind: 'blob', blob: data };
    const length = data instanceof Uint8Array ? data.byteLength : data.size;
    this.listed.push({ path: splitPath(path), length, executable, source, ...(mtime !== undefined ? { mtime } : {}) });
    return this;
  }

  /** Sets the version (v1, v2 or hybrid). */
  setVersion(v: TorrentVersion): this {
    this.version = v;
    return this;
  }
  /** Bytes per piece, 0 for automatic. */
  setPieceLength(n: number): this {
    this.pieceLen = n;
    return this;
  }
  /** Sets the comment (empty or undefined: none). */
  setComment(s: string | undefined): this {
    this.comment = s;
    return this;
  }
  /** Sets "created by" (empty or undefined: none). */
  setCreator(s: string | undefined): this {
    this.creator = s;
    return this;
  }
  /** Unix seconds or a Date; null leaves the key out; undefined means "when generated". */
  setCreationDate(d: number | Date | null | undefined): this {
    this.creationDate = d instanceof Date ? Math.floor(d.getTime() / 1000) : d;
    return this;
  }
  /** Sets the private flag (BEP 27). */
  setPrivate(p: boolean): this {
    this.priv = p;
    return this;
  }
  /** Adds a tracker in `tier` (lower tiers first); duplicates and empty URLs are ignored, as libtorrent. */
  addTracker(url: string, tier = 0): this {
    if (!url || this.trackers.some((t) => t.url === url)) return this;
    this.trackers.push({ url, tier });
    this.trackers.sort((a, b) => a.tier - b.tier); // stable: keeps insertion order within a tier
    return this;
  }
  /** Adds a BEP 19 web seed (url-list). */
  addUrlSeed(url: string): this {
    this.urlSeeds.push(url);
    return this;
  }
  /** Adds a BEP 17 HTTP seed (httpseeds). */
  addHttpSeed(url: string): this {
    this.httpSeeds.push(url);
    return this;
  }
  /** Adds a DHT bootstrap node (`nodes`). */
  addNode(host: string, port: number): this {
    this.nodes.push([host, port]);
    return this;
  }

  /** The layout `generate()` will hash: order, pad files, piece length. */
  layout(): CreateLayout {
    const content = this.listed.reduce((n, f) => n + f.length, 0);
    if (this.listed.length > 0 && content === 0) throw new TorrentError('create_no_files', 'every file is empty: a torrent needs at least one byte');
    const pl = this.pieceLen === 0 ? autoPieceLength(content) : this.pieceLen;
    this.checkPieceLength(pl);
    const aligned = this.version !== 'v1' || this.canonical;
    const { files, totalLength } = layoutFiles(this.listed, pl, { sort: aligned, pad: aligned });
    return { name: files[0]!.path[0]!, pieceLength: pl, pieceCount: Math.ceil(totalLength / pl), totalLength, files };
  }

  /** Hashes every file and returns the .torrent bytes. */
  async generate(opts: GenerateOptions = {}): Promise<Uint8Array> {
    const { signal, onProgress } = opts;
    if (signal?.aborted) throw aborted();
    const lay = this.layout();
    const v1 = this.version !== 'v2';
    const v2 = this.version !== 'v1';
    const multiFile = this.listed.length > 1 || this.listed[0]!.path.length > 1;
    const pieces = v1 ? new Uint8Array(lay.pieceCount * 20) : undefined;
    const layers = lay.files.map((f) => (v2 && !f.pad && f.length > 0 ? new Uint8Array(filePieces(f.length, lay.pieceLength) * 32) : undefined));
    // Jobs the pool reads by path cost no memory here and are shared out among its threads piece by
    // piece, so they can be larger (fewer messages); in-memory sources keep the planner's size.
    const byPath = lay.files.every((f) => f.pad || f.length === 0 || f.source?.kind === 'path');
    const jobBytes = byPath ? PATH_JOB_BYTES : JOB_BYTES;
    const plan = v2 ? planPerFile(lay.files, lay.pieceLength, v1, jobBytes) : planV1(lay.files, lay.totalLength, lay.pieceLength, jobBytes);
    const pool = this.pool ?? createHashPool();
    try {
      await runJobs(pool, plan, signal, lay.pieceCount, onProgress, (pj, r) => {
        if (pieces && r.v1) pieces.set(r.v1, pj.v1First * 20);
        if (pj.file >= 0 && r.v2) layers[pj.file]!.set(r.v2, pj.v2First * 32);
      });
    } finally {
      // Our own pool: its workers are told to stop now; their teardown (a few ms) need not delay the result.
      if (!this.pool) void pool.close().catch(() => undefined);
    }
    const padHeight = Math.log2(lay.pieceLength / BLOCK_SIZE);
    const v2Hashes = v2
      ? await Promise.all(
          layers.map(async (layer) => {
            if (!layer) return undefined;
            const n = layer.length / 32;
            const root = n === 1 ? layer.slice() : await merkleRoot(layer, nextPow2(n), padHeight);
            return { root, layer };
          }),
        )
      : undefined;
    const created = this.creationDate === undefined ? Math.floor(Date.now() / 1000) : this.creationDate;
    const parts = {
      name: lay.name,
      files: lay.files,
      multiFile,
      pieceLength: lay.pieceLength,
      isPrivate: this.priv,
      includeMtime: this.includeMtime,
      trackers: this.trackers,
      urlSeeds: this.urlSeeds,
      httpSeeds: this.httpSeeds,
      nodes: this.nodes,
      ...(pieces ? { v1Pieces: pieces } : {}),
      ...(v2Hashes ? { v2: v2Hashes } : {}),
      ...(this.comment ? { comment: this.comment } : {}),
      ...(this.creator ? { creator: this.creator } : {}),
      ...(created !== null ? { creationDate: created } : {}),
    };
    return buildTorrent(parts, buildInfo(parts));
  }

  /** Like {@link CreateTorrent.generate}, parsed back into a {@link TorrentInfo}. */
  async generateInfo(opts: GenerateOptions = {}): Promise<TorrentInfo> {
    return TorrentInfo.fromBytes(await this.generate(opts));
  }

  private checkPieceLength(pl: number): void {
    const pow2 = Number.isInteger(pl) && pl > 0 && (pl & (pl - 1)) === 0;
    const details = { pieceLength: pl, version: this.version };
    if (!Number.isSafeInteger(pl) || pl <= 0 || pl > 2 ** 30) {
      throw new TorrentError('create_invalid_piece_length', 'piece length must be a positive integer up to 1 GiB', { details });
    }
    if (this.version !== 'v1' || this.canonical) {
      if (!pow2 || pl < BLOCK_SIZE) throw new TorrentError('create_invalid_piece_length', 'v2, hybrid and canonical v1 torrents need a power-of-two piece length of at least 16 KiB', { details });
    } else if (!pow2 && pl % BLOCK_SIZE !== 0) {
      throw new TorrentError('create_invalid_piece_length', 'a v1 piece length must be a power of two or a multiple of 16 KiB', { details });
    }
  }
}

/**
 * Runs planned jobs on the pool with a bounded window in flight (enough to keep every worker fed,
 * few enough to bound memory when sources are Blobs or byte arrays copied into jobs).
 */
async function runJobs(
  pool: HashPool,
  plan: Iterable<PlannedJob>,
  signal: AbortSignal | undefined,
  total: number,
  onProgress: ((done: number, total: number) => void) | undefined,
  store: (pj: PlannedJob, r: { v1?: Uint8Array; v2?: Uint8Array }) => void,
): Promise<void> {
  const window = pool.size * 2 + 2;
  const inflight = new Set<Promise<void>>();
  let done = 0;
  let onAbort: (() => void) | undefined;
  const abortP = new Promise<never>((_, reject) => {
    if (!signal) return;
    onAbort = () => reject(aborted());
    signal.addEventListener('abort', onAbort, { once: true });
  });
  abortP.catch(() => undefined);
  try {
    for (const pj of plan) {
      if (signal?.aborted) throw aborted();
      const p = pool.hashPieces(pj.job).then((r) => {
        store(pj, r);
        done += pj.pieces;
        onProgress?.(done, total);
      });
      p.catch(() => undefined); // settled through the race below; never unhandled
      inflight.add(p);
      void p.finally(() => inflight.delete(p)).catch(() => undefined);
      if (inflight.size >= window) await Promise.race([...inflight, abortP]);
    }
    while (inflight.size > 0) await Promise.race([...inflight, abortP]);
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}
