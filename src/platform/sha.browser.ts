// Browser hashing: WebCrypto's SubtleCrypto, which runs off the main thread's critical path.
// There is no synchronous hash in browsers; the *Sync functions throw so misuse is loud.
import { TorrentError } from '../errors.js';

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new TorrentError('not_supported', 'WebCrypto (crypto.subtle) is not available: a secure context (https or localhost) is required');
  return s;
}

function asBuffer(data: Uint8Array): ArrayBuffer | ArrayBufferView<ArrayBuffer> {
  return data as ArrayBufferView<ArrayBuffer>;
}

/** SHA-1 of `data`. */
export async function sha1(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest('SHA-1', asBuffer(data)));
}

/** SHA-256 of `data`. */
export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest('SHA-256', asBuffer(data)));
}

/** Not available in browsers. */
export function sha1Sync(_data: Uint8Array): Uint8Array {
  throw new TorrentError('not_supported', 'synchronous SHA-1 is not available in browsers');
}

/** Not available in browsers. */
export function sha256Sync(_data: Uint8Array): Uint8Array {
  throw new TorrentError('not_supported', 'synchronous SHA-256 is not available in browsers');
}

/** An incremental synchronous SHA-1 (Node only): feed bytes in order, then take the digest once. */
export interface Sha1Stream {
  update(data: Uint8Array): void;
  digest(): Uint8Array;
}

/** Not available in browsers. */
export function sha1Stream(): Sha1Stream {
  throw new TorrentError('not_supported', 'synchronous SHA-1 is not available in browsers');
}

/** Whether the synchronous functions are real (Node) rather than unavailable (browser). */
export const hasSyncHash = false;
