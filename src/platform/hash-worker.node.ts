/**
 * The hash worker's program, as plain JavaScript source run with `new Worker(source, { eval: true })`.
 *
 * Why a string and not a worker file: the same module must work from TypeScript source (Vitest, tsx)
 * and from compiled dist/ JS. A `.ts` worker file needs a loader in the worker; a `.js` file beside the
 * sources is not emitted by tsc. Source text needs neither and is never rewritten by a transpiler.
 * It only needs node:crypto, node:fs and node:worker_threads (CommonJS `require` exists in eval workers).
 *
 * Protocol (main → worker): `{ id, op: 'sha1' | 'sha256' | 'sha256blocks', data }` or
 * `{ id, op: 'pieces', job }` with a PieceJob whose segments are `path`, `bytes` or `zeros` (the pool
 * turns `blob` segments into `bytes` first). Replies: `{ id, result }` or `{ id, error: { message, code } }`.
 * Results are fresh buffers and are transferred back. The worker reuses one scratch buffer for job data
 * read from files (or spanning segments), streaming each job through it a cache-sized chunk at a time
 * (read, then hash while the bytes are still in cache); chunks that lie inside one `bytes` segment are
 * hashed in place (transferred or shared buffers are not copied again).
 * A `pieces` job may carry `shared: { claim, grain, v1, v2 }` (an Int32Array counter and result arrays on
 * SharedArrayBuffers): then every worker it was posted to claims `grain` pieces at a time with
 * Atomics.add until none are left, writes their hashes in place, and replies with an empty result.
 */
export const HASH_WORKER_SOURCE = String.raw`'use strict';
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const BLOCK = 16384;
let scratch = new Uint8Array(0);

function scratchOf(n) {
  if (scratch.byteLength < n) scratch = new Uint8Array(Math.max(n, scratch.byteLength * 2));
  return scratch.subarray(0, n);
}

function digestInto(algo, data, out, at) {
  out.set(createHash(algo).update(data).digest(), at);
}

// Reads a job's bytes in order from byte 'start', segment by segment, into caller-provided buffers.
function cursor(segments, start) {
  let si = 0;
  let used = start; // bytes of segments[si] already consumed
  while (si < segments.length) {
    const s = segments[si];
    const len = s.kind === 'bytes' ? s.bytes.byteLength : s.length;
    if (used < len) break;
    used -= len;
    si++;
  }
  let fd = -1;
  return {
    read(buf, at, n) {
      while (n > 0) {
        const s = segments[si];
        const len = s.kind === 'bytes' ? s.bytes.byteLength : s.length;
        const take = Math.min(n, len - used);
        if (s.kind === 'path') {
          if (fd < 0) fd = fs.openSync(s.path, 'r');
          let done = 0;
          while (done < take) {
            const got = fs.readSync(fd, buf, at + done, take - done, s.offset + used + done);
            if (got === 0) {
              const err = new Error('file is shorter than when it was added: ' + s.path);
              err.code = 'ESHORT';
              throw err;
            }
            done += got;
          }
        } else if (s.kind === 'bytes') {
          buf.set(s.bytes.subarray(used, used + take), at);
        } else {
          buf.fill(0, at, at + take);
        }
        at += take;
        n -= take;
        used += take;
        if (used === len) { this.closeFd(); si++; used = 0; }
      }
    },
    // The next n bytes as a view of a bytes segment when they lie in one (no copy), else read into buf.
    view(buf, n) {
      const s = segments[si];
      if (s !== undefined && s.kind === 'bytes' && s.bytes.byteLength - used >= n) {
        const v = s.bytes.subarray(used, used + n);
        used += n;
        if (used === s.bytes.byteLength) { si++; used = 0; }
        return v;
      }
      this.read(buf, 0, n);
      return buf.subarray(0, n);
    },
    closeFd() { if (fd >= 0) { fs.closeSync(fd); fd = -1; } },
  };
}

// Root of a complete tree over count leaves (a power of two), computed in place.
function merkleInPlace(layer, count) {
  for (let n = count; n > 1; n >>= 1) {
    for (let i = 0; i < n >> 1; i++) digestInto('sha256', layer.subarray(64 * i, 64 * i + 64), layer, 32 * i);
  }
  return layer.slice(0, 32);
}

// Streams the job through a cache-sized buffer: read a chunk, hash it while it is hot, repeat.
// Chunks never cross a piece boundary; for v2 they start on 16 KiB block boundaries.
// A shared job (job.shared) is run by several workers at once: each claims 'grain' pieces at a time
// from the shared counter and writes their hashes into the shared result arrays.
const CHUNK = 1024 * 1024;
function runPieces(job) {
  let total = 0;
  for (const s of job.segments) total += s.kind === 'bytes' ? s.bytes.byteLength : s.length;
  const pl = job.pieceLength;
  const pieces = Math.ceil(total / pl);
  const chunkSize = Math.min(pl, CHUNK);
  const buf = scratchOf(chunkSize);
  const sh = job.shared;
  const v2n = Math.ceil(job.v2Length / pl);
  const v1 = job.v1 ? (sh ? sh.v1 : new Uint8Array(pieces * 20)) : null;
  const v2 = v2n > 0 ? (sh ? sh.v2 : new Uint8Array(v2n * 32)) : null;
  const leaves = v2 ? new Uint8Array(job.v2Leaves * 32) : null;
  function hashRun(first, end) {
    const src = cursor(job.segments, first * pl);
    try {
      for (let i = first; i < end; i++) {
        const pStart = i * pl;
        const pEnd = Math.min(total, pStart + pl);
        const h = v1 ? createHash('sha1') : null;
        if (leaves && i < v2n) leaves.fill(0);
        let leaf = 0;
        for (let pos = pStart; pos < pEnd; pos += chunkSize) {
          const n = Math.min(chunkSize, pEnd - pos);
          const chunk = src.view(buf, n);
          if (h) h.update(chunk);
          if (leaves && pos < job.v2Length) {
            const v2End = Math.min(n, job.v2Length - pos);
            for (let o = 0; o < v2End; o += BLOCK) digestInto('sha256', chunk.subarray(o, Math.min(v2End, o + BLOCK)), leaves, 32 * leaf++);
          }
        }
        if (h) v1.set(h.digest(), 20 * i);
        if (leaves && i < v2n) v2.set(merkleInPlace(leaves, job.v2Leaves), 32 * i);
      }
    } finally {
      src.closeFd();
    }
  }
  if (!sh) {
    hashRun(0, pieces);
  } else {
    try {
      for (;;) {
        const first = Atomics.add(sh.claim, 0, sh.grain);
        if (first >= pieces) break;
        hashRun(first, Math.min(pieces, first + sh.grain));
      }
    } catch (e) {
      Atomics.store(sh.claim, 0, pieces); // the job has failed: the other workers stop claiming
      throw e;
    }
    return {};
  }
  const result = {};
  if (v1) result.v1 = v1;
  if (v2) result.v2 = v2;
  return result;
}

function run(msg) {
  switch (msg.op) {
    case 'sha1': return createHash('sha1').update(msg.data).digest();
    case 'sha256': return createHash('sha256').update(msg.data).digest();
    case 'sha256blocks': {
      const n = Math.ceil(msg.data.byteLength / BLOCK);
      const out = new Uint8Array(n * 32);
      for (let i = 0; i < n; i++) digestInto('sha256', msg.data.subarray(i * BLOCK, (i + 1) * BLOCK), out, 32 * i);
      return out;
    }
    case 'pieces': return runPieces(msg.job);
    default: throw new Error('unknown op ' + msg.op);
  }
}

parentPort.on('message', (msg) => {
  try {
    const r = run(msg);
    if (r instanceof Uint8Array) {
      const copy = new Uint8Array(r);
      parentPort.postMessage({ id: msg.id, result: copy }, [copy.buffer]);
    } else {
      const list = [];
      if (r.v1) list.push(r.v1.buffer);
      if (r.v2) list.push(r.v2.buffer);
      parentPort.postMessage({ id: msg.id, result: r }, list);
    }
  } catch (e) {
    parentPort.postMessage({ id: msg.id, error: { message: String(e && e.message || e), code: e && e.code ? String(e.code) : undefined } });
  }
});
`;
