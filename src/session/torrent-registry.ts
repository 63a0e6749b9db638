/**
 * The session's torrents and its indexes: by id, by each info-hash ('v1:<hex>' / 'v2:<hex>', so a hybrid
 * and a single-version add of the same torrent are duplicates) and by the 20-byte handshake hash (v1, or
 * v2 truncated) that routes incoming peers. Invariant: every index entry names a torrent in `#entries`.
 */
import { TorrentError } from '../errors.js';
import { toHex } from '../metainfo/info-hash.js';
import type { InfoHashes } from '../metainfo/info-hash.js';
import type { TorrentInfo } from '../metainfo/torrent-info.js';
import type { Torrent } from '../torrent/torrent.js';

/** One torrent of the session. */
export interface RegistryEntry {
  readonly torrent: Torrent;
  readonly infoHashes: InfoHashes;
  /** The TorrentInfo handles see (set when a magnet's metadata arrives). */
  ti: TorrentInfo | undefined;
}

const hashKeys = (ih: InfoHashes): string[] =>
  [ih.v1 && `v1:${toHex(ih.v1)}`, ih.v2 && `v2:${toHex(ih.v2)}`].filter((k): k is string => !!k);

/** Torrents by id, info-hash and handshake hash. */
export class TorrentRegistry {
  readonly #entries = new Map<string, RegistryEntry>();
  readonly #byHash = new Map<string, string>();
  readonly #byHandshake = new Map<string, string>();

  /** Throws `duplicate_torrent` when `id` or one of `infoHashes` is already present. */
  checkNew(id: string, infoHashes: InfoHashes): void {
    if (this.#entries.has(id) || hashKeys(infoHashes).some((k) => this.#byHash.has(k))) {
      throw new TorrentError('duplicate_torrent', `torrent ${id} is already in the session`, { details: { infoHash: id } });
    }
  }

  add(torrent: Torrent, infoHashes: InfoHashes, ti: TorrentInfo | undefined): void {
    const id = torrent.id;
    this.#entries.set(id, { torrent, infoHashes, ti });
    for (const k of hashKeys(infoHashes)) this.#byHash.set(k, id);
    if (infoHashes.v1) this.#byHandshake.set(toHex(infoHashes.v1), id);
    if (infoHashes.v2) this.#byHandshake.set(toHex(infoHashes.v2.subarray(0, 20)), id);
  }

  /** Removes a torrent and its index entries. */
  remove(id: string): void {
    this.#entries.delete(id);
    for (const [k, v] of this.#byHash) if (v === id) this.#byHash.delete(k);
    for (const [k, v] of this.#byHandshake) if (v === id) this.#byHandshake.delete(k);
  }

  /** Removes every torrent; returns them. */
  clear(): Torrent[] {
    const all = [...this.#entries.values()].map((e) => e.torrent);
    this.#entries.clear();
    this.#byHash.clear();
    this.#byHandshake.clear();
    return all;
  }

  get(id: string): RegistryEntry | undefined {
    return this.#entries.get(id);
  }

  /** Every entry, in the order added. */
  values(): IterableIterator<RegistryEntry> {
    return this.#entries.values();
  }

  /** The torrent whose handshake hash is `hex` (40 hex digits). */
  byHandshakeHex(hex: string): Torrent | undefined {
    const id = this.#byHandshake.get(hex);
    return id === undefined ? undefined : this.#entries.get(id)?.torrent;
  }

  /** The id of the torrent with this info-hash (hex v1 / v2 / id, or InfoHashes); throws for a malformed hex. */
  find(infoHash: string | InfoHashes): string | undefined {
    if (typeof infoHash === 'string') {
      const hex = infoHash.toLowerCase();
      if (!/^[0-9a-f]{40}$|^[0-9a-f]{64}$/.test(hex)) throw new TorrentError('invalid_argument', 'an info-hash is 40 or 64 hex digits');
      return this.#entries.has(hex) ? hex : this.#byHash.get(`v1:${hex}`) ?? this.#byHash.get(`v2:${hex}`);
    }
    return (infoHash.v1 && this.#byHash.get(`v1:${toHex(infoHash.v1)}`)) || (infoHash.v2 && this.#byHash.get(`v2:${toHex(infoHash.v2)}`)) || undefined;
  }
}
