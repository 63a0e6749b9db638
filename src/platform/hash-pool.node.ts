/**
 * Node hash pool: worker_threads over all cores, so SHA-1/SHA-256 of pieces never blocks the event loop.
 *
 * Design notes / invariants:
 * - Workers start lazily on the first call, one per core (os.availableParallelism()) unless told otherwise.
 * - At most {@link PER_WORKER} jobs are posted to a worker at a time (one running, one ready so the worker
 *   never waits for a round trip); everything else waits in a main-thread FIFO bounded by `maxQueue`
 *   (a call that would exceed it rejects with `hash_queue_full` rather than growing memory without
 *   limit). Buffers stay on the main thread until posted. CreateTorrent keeps a small window in flight.
 * - Buffers go to workers by transfer, not copy: a Uint8Array that spans its whole ArrayBuffer is
 *   detached by the call. A view into a larger (or pooled) buffer is copied first, so Node's pooled
 *   Buffers and other views stay intact.
 * - Shared memory (`sharedMemory` is true here): a `bytes` segment with `transfer` set whose view lies on
 *   a SharedArrayBuffer is neither copied nor detached: the worker hashes it in place. The caller must
 *   not change those bytes until the job settles (the piece store reuses such buffers afterwards).
 * - A worker with no posted jobs is unref()'d: an idle pool never keeps the process alive; a busy one
 *   is ref()'d so a pending hash does. close() terminates every worker and rejects queued calls.
 * - A crashed worker rejects its posted jobs with `hash_failed` and is replaced on demand.
 * - A piece job of file ranges and zeros (no bytes) with at least two pieces per thread is split: the
 *   same request is queued once per thread with a shared claim counter (see hash-worker.node.ts), so
 *   every worker hashes pieces of it until none are left. Each copy is an ordinary queued task (it may
 *   even land twice on one worker: the second finds nothing left); the job settles when all copies have.
 * - Workers start with no Node flags (`execArgv: []`): the worker is self-contained CommonJS needing only
 *   node:crypto, node:fs and node:worker_threads. Inheriting the parent's flags would load a loader
 *   (`--import tsx`) again in every thread, and per-process V8 flags (`--perf-basic-prof`, ...) make
 *   `new Worker` throw ERR_WORKER_INVALID_EXEC_ARGV, failing every hash.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { TorrentError } from '../errors.js';
import { HASH_WORKER_SOURCE } from './hash-worker.node.js';
import { jobLength, segmentLength } from './hash-jobs.js';
import type { HashPool, HashPoolOptions, JobSegment, PieceJob, PieceJobResult } from './hash-jobs.js';

export type { HashPool, HashPoolOptions, JobSegment, PieceJob, PieceJobResult } from './hash-jobs.js';

/** Jobs posted to one worker at a time. */
const PER_WORKER = 2;

/** Bytes a worker claims at a time from a split job (rounded to whole pieces). */
const CLAIM_BYTES = 1024 * 1024;

type WireSegment =
  | { kind: 'path'; path: string; offset: number; length: number }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'zeros'; length: number };

/** Piece claiming for a job split across workers (see the worker's protocol notes). */
interface SharedClaim {
  claim: Int32Array;
  grain: number;
  v1: Uint8Array | null;
  v2: Uint8Array | null;
}

type Request =
  | { op: 'sha1' | 'sha256' | 'sha256blocks'; data: Uint8Array }
  | {
      op: 'pieces';
      job: { pieceLength: number; v1: boolean; v2Length: number; v2Leaves: number; segments: WireSegment[]; shared?: SharedClaim };
    };

interface Task {
  readonly id: number;
  readonly request: Request;
  readonly transfer: ArrayBuffer[];
  resolve(value: unknown): void;
  reject(err: Error): void;
}

interface Slot {
  readonly worker: Worker;
  readonly posted: Map<number, Task>;
}

interface Reply {
  id: number;
  result?: unknown;
  error?: { message: string; code?: string };
}

/** Returns `data` as a view over an ArrayBuffer that can be transferred, copying when it must. */
function transferable(data: Uint8Array): Uint8Array<ArrayBuffer> {
  const b = data.buffer;
  if (b instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === b.byteLength && data.byteLength > 0) {
    return data as Uint8Array<ArrayBuffer>;
  }
  return new Uint8Array(data);
}

class NodeHashPool implements HashPool {
  readonly size: number;
  readonly sharedMemory = true;
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;

  constructor(threads: number, private readonly maxQueue: number) {
    this.size = threads;
  }

  sha1(data: Uint8Array): Promise<Uint8Array> {
    return this.simple('sha1', data);
  }

  sha256(data: Uint8Array): Promise<Uint8Array> {
    return this.simple('sha256', data);
  }

  sha256Blocks(data: Uint8Array): Promise<Uint8Array> {
    if (data.byteLength === 0) return Promise.resolve(new Uint8Array(0));
    return this.simple('sha256blocks', data);
  }

  async hashPieces(job: PieceJob): Promise<PieceJobResult> {
    const pieces = Math.ceil(jobLength(job) / job.pieceLength);
    if (this.size > 1 && pieces >= 2 * this.size && job.segments.every((s) => s.kind === 'path' || s.kind === 'zeros')) {
      return this.splitPieces(job, pieces);
    }
    const transfer: ArrayBuffer[] = [];
    const segments: WireSegment[] = [];
    for (const s of job.segments) segments.push(await this.wireSegment(s, transfer));
    const request: Request = {
      op: 'pieces',
      job: { pieceLength: job.pieceLength, v1: job.v1, v2Length: job.v2Length, v2Leaves: job.v2Leaves, segments },
    };
    return (await this.submit(request, transfer)) as PieceJobResult;
  }

  /**
   * A job of file ranges (nothing to copy or transfer) is posted once per thread and shared: each worker
   * that takes it claims pieces from a shared counter, so the threads split it evenly to the last piece
   * and one that started late (a worker still booting) or is busy elsewhere simply claims fewer.
   */
  private async splitPieces(job: PieceJob, pieces: number): Promise<PieceJobResult> {
    const v2n = Math.ceil(job.v2Length / job.pieceLength);
    const sharedBytes = (n: number): Uint8Array => new Uint8Array(new SharedArrayBuffer(n));
    const shared: SharedClaim = {
      claim: new Int32Array(new SharedArrayBuffer(4)),
      grain: Math.max(1, Math.floor(CLAIM_BYTES / job.pieceLength)),
      v1: job.v1 ? sharedBytes(pieces * 20) : null,
      v2: v2n > 0 ? sharedBytes(v2n * 32) : null,
    };
    const segments = job.segments.map((s): WireSegment =>
      s.kind === 'path' ? { kind: 'path', path: s.path, offset: s.offset, length: s.length } : { kind: 'zeros', length: segmentLength(s) },
    );
    const request: Request = {
      op: 'pieces',
      job: { pieceLength: job.pieceLength, v1: job.v1, v2Length: job.v2Length, v2Leaves: job.v2Leaves, segments, shared },
    };
    await Promise.all(Array.from({ length: this.size }, () => this.submit(request, [])));
    // copied out of shared memory: callers get ordinary buffers
    return { ...(shared.v1 ? { v1: shared.v1.slice() } : {}), ...(shared.v2 ? { v2: shared.v2.slice() } : {}) };
  }

  async close(): Promise<void> {
    this.closed = true;
    const err = new TorrentError('aborted', 'hash pool closed');
    for (const t of this.queue.splice(0)) t.reject(err);
    const slots = this.slots.splice(0);
    for (const s of slots) for (const t of s.posted.values()) t.reject(err);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private async wireSegment(s: JobSegment, transfer: ArrayBuffer[]): Promise<WireSegment> {
    switch (s.kind) {
      case 'path':
        return { kind: 'path', path: s.path, offset: s.offset, length: s.length };
      case 'zeros':
        return { kind: 'zeros', length: s.length };
      case 'bytes': {
        // shared memory given away is hashed in place; otherwise copied unless the caller opted in to
        // giving the buffer away
        if (s.transfer === true && s.bytes.buffer instanceof SharedArrayBuffer) return { kind: 'bytes', bytes: s.bytes };
        const bytes = s.transfer ? transferable(s.bytes) : new Uint8Array(s.bytes);
        transfer.push(bytes.buffer);
        return { kind: 'bytes', bytes };
      }
      case 'blob': {
        const bytes = new Uint8Array(await s.blob.slice(s.offset, s.offset + s.length).arrayBuffer());
        if (bytes.byteLength !== s.length) throw new TorrentError('create_io_error', 'blob is shorter than when it was added');
        transfer.push(bytes.buffer);
        return { kind: 'bytes', bytes };
      }
    }
  }

  private async simple(op: 'sha1' | 'sha256' | 'sha256blocks', data: Uint8Array): Promise<Uint8Array> {
    const d = transferable(data);
    return (await this.submit({ op, data: d }, d.byteLength > 0 ? [d.buffer] : [])) as Uint8Array;
  }

  private submit(request: Request, transfer: ArrayBuffer[]): Promise<unknown> {
    if (this.closed) return Promise.reject(new TorrentError('aborted', 'hash pool closed'));
    if (this.queue.length >= this.maxQueue) {
      return Promise.reject(new TorrentError('hash_queue_full', 'too many hash calls waiting', { details: { maxQueue: this.maxQueue } }));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, request, transfer, resolve, reject });
      this.pump();
    });
  }

  private spawn(): Slot {
    const worker = new Worker(HASH_WORKER_SOURCE, { eval: true, name: 'swarmkit-hash', execArgv: [] });
    const slot: Slot = { worker, posted: new Map() };
    worker.unref();
    // unref() before the worker is online does not cover its message port in Node 20; repeat it once online
    worker.once('online', () => {
      if (slot.posted.size === 0) worker.unref();
    });
    worker.on('message', (m: Reply) => this.onReply(slot, m));
    const fail = (err: Error): void => {
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      const e = new TorrentError('hash_failed', `hash worker failed: ${err.message}`, { cause: err });
      for (const t of slot.posted.values()) t.reject(e);
      slot.posted.clear();
      if (!this.closed) this.pump();
    };
    worker.on('error', fail);
    worker.on('exit', (code: number) => {
      if (!this.closed && this.slots.includes(slot)) fail(new Error(`exited with code ${code}`));
    });
    this.slots.push(slot);
    return slot;
  }

  private onReply(slot: Slot, m: Reply): void {
    const task = slot.posted.get(m.id);
    if (!task) return;
    slot.posted.delete(m.id);
    if (slot.posted.size === 0) slot.worker.unref();
    if (m.error) {
      const code = m.error.code;
      task.reject(
        task.request.op === 'pieces'
          ? new TorrentError('create_io_error', m.error.message, { details: { errno: code } })
          : new TorrentError('hash_failed', m.error.message, { details: { errno: code } }),
      );
    } else {
      task.resolve(m.result);
    }
    this.pump();
  }

  private pump(): void {
    while (this.queue.length > 0 && !this.closed) {
      while (this.slots.length < this.size) this.spawn();
      let best: Slot | undefined;
      for (const s of this.slots) if (s.posted.size < PER_WORKER && (!best || s.posted.size < best.posted.size)) best = s;
      if (!best) return;
      const task = this.queue.shift()!;
      if (best.posted.size === 0) best.worker.ref();
      best.posted.set(task.id, task);
      best.worker.postMessage({ id: task.id, ...task.request }, task.transfer);
    }
  }
}

/** Creates a hash pool over `threads` worker threads (default: every core). */
export function createHashPool(opts: HashPoolOptions = {}): HashPool {
  const threads = opts.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) throw new TorrentError('invalid_argument', 'threads must be a positive integer', { details: { threads } });
  const maxQueue = opts.maxQueue ?? 1024 * threads;
  if (!Number.isInteger(maxQueue) || maxQueue < 1) throw new TorrentError('invalid_argument', 'maxQueue must be a positive integer', { details: { maxQueue } });
  return new NodeHashPool(threads, maxQueue);
}
