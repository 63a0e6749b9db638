// Node's hashing: OpenSSL through node:crypto. Synchronous under the hood; callers that hash many
// large buffers use the worker pool (src/platform/hash-pool.*) so the event loop keeps running.
import { createHash } from 'node:crypto';

/** SHA-1 of `data`. */
export async function sha1(data: Uint8Array): Promise<Uint8Array> {
  return sha1Sync(data);
}

/** SHA-256 of `data`. */
export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return sha256Sync(data);
}

/** Synchronous SHA-1, available in Node only; small inputs (info dicts, handshakes). */
export function sha1Sync(data: Uint8Array): Uint8Array {
  const d = createHash('sha1').update(data).digest();
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** Synchronous SHA-256, available in Node only. */
export function sha256Sync(data: Uint8Array): Uint8Array {
  const d = createHash('sha256').update(data).digest();
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** An incremental synchronous SHA-1 (Node only): feed bytes in order, then take the digest once. */
export interface Sha1Stream {
  update(data: Uint8Array): void;
  digest(): Uint8Array;
}

/** A new incremental SHA-1 (Node only). */
export function sha1Stream(): Sha1Stream {
  const h = createHash('sha1');
  return {
    update: (data) => { h.update(data); },
    digest: () => {
      const d = h.digest();
      return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
    },
  };
}

/** Whether the synchronous functions are real (Node) rather than unavailable (browser). */
export const hasSyncHash = true;
