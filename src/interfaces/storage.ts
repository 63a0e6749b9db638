/**
 * Storage contract. A storage adapter maps a torrent's byte space (addressed by piece index and offset)
 * onto a backing store: files on disk, IndexedDB records, memory, or anything a user writes.
 *
 * Contract (every adapter runs test/suites/storage.suite.ts):
 * - Addresses are validated: a piece index outside [0, pieceCount) or a range crossing the piece's end
 *   rejects with `storage_out_of_range`; nothing is written.
 * - `read` of bytes never written resolves to zeroes (sparse semantics) — callers never rely on
 *   unwritten data because nothing unverified is marked complete.
 * - A write that resolved is visible to every later read of the same handle; `flush` makes it durable.
 * - Failures reject with a `TorrentError`: `storage_no_space` (ENOSPC), `storage_quota_exceeded`
 *   (IndexedDB QuotaExceededError), `storage_access_denied` (EACCES/EPERM), `storage_io_error` otherwise.
 * - After `close()` or `destroy()`, every call rejects with `storage_closed` (`close()` itself is
 *   idempotent and resolves). `close`/`destroy` wait for calls already running.
 * - Files with priority 0 in `StorageOpenOptions.skipFiles` are not created, unless a piece spanning
 *   into them is written (then only the overlapping bytes are stored).
 * - Pad-file bytes (BEP 47) are never stored and always read as zeroes, whatever was written there.
 * - File existence (what `stat` reports): zero-length files that are neither pads nor skipped exist from
 *   `open` on; other files from their first write; pad files never.
 * - An inconsistent layout (piece count, file offsets) makes `open` reject with `invalid_argument`.
 */
export interface TorrentLayout {
  /** Info-hash as lowercase hex (v1 if present, else v2 truncated); a stable key for adapters. */
  readonly id: string;
  /** Bytes per piece; every piece but the last has this length. */
  readonly pieceLength: number;
  /** Total bytes of the torrent including pad files. */
  readonly totalLength: number;
  /** Number of pieces. */
  readonly pieceCount: number;
  /** Files in torrent order with their byte offset in the torrent's byte space. */
  readonly files: readonly LayoutFile[];
}

/** One file of a {@link TorrentLayout}. */
export interface LayoutFile {
  /** Sanitised relative path elements (already safe to join under a save directory). */
  readonly path: readonly string[];
  readonly length: number;
  /** Offset of the file's first byte in the torrent's byte space. */
  readonly offset: number;
  /** BEP 47 pad file: never stored, reads as zeroes. */
  readonly pad?: boolean;
}

/** Options passed to {@link StorageAdapter.open}. */
export interface StorageOpenOptions {
  readonly signal?: AbortSignal;
  /** Indexes of files the user does not want (priority 0): adapters should not create them. */
  readonly skipFiles?: ReadonlySet<number>;
}

/** Creates the storage of one torrent. One adapter instance may open many torrents. */
export interface StorageAdapter {
  /** Short name for logs and alerts, e.g. `fs`, `idb`, `memory`. */
  readonly name: string;
  open(layout: TorrentLayout, opts?: StorageOpenOptions): Promise<TorrentStorage>;
}

/** The open storage of one torrent, addressed by piece. */
export interface TorrentStorage {
  /** Writes `data` at `offset` within `piece`. The caller may reuse `data` once the promise resolves. */
  write(piece: number, offset: number, data: Uint8Array): Promise<void>;
  /** Reads `length` bytes at `offset` within `piece` into a new buffer. */
  read(piece: number, offset: number, length: number): Promise<Uint8Array>;
  /**
   * Optional: reads `out.length` bytes at `offset` within `piece` into `out` (the caller's buffer, reused
   * across reads so reading allocates nothing), with the same rules as `read` (range checks, zeroes for
   * unwritten bytes and pads). The adapter may fill `out` until the promise settles and never touches it
   * afterwards; on rejection its contents are unspecified.
   */
  readInto?(piece: number, offset: number, out: Uint8Array): Promise<void>;
  /** Makes completed writes durable (fsync / transaction commit). */
  flush?(): Promise<void>;
  /** Moves the data to a new location (fs: a directory). Data stays whole in one place if it fails. */
  move?(to: string): Promise<void>;
  /**
   * Per-file size and modification time where the backing store knows them (resume-data checks), in
   * layout order; `undefined` for a file that does not exist (see the existence rule above).
   */
  stat?(): Promise<ReadonlyArray<{ length: number; mtimeMs?: number } | undefined>>;
  /** Releases handles; the data stays. */
  close(): Promise<void>;
  /** Closes and deletes the torrent's data. */
  destroy(): Promise<void>;
}
