/**
 * The page side of the stream service worker: answers the worker's requests (./protocol.ts) from a
 * {@link StreamProvider}, one FileReader per request.
 *
 * Invariants:
 * - Pull-based: a chunk is read only when the worker pulls; so memory is one piece per open request,
 *   and the media element's pace reaches the reader's deadline window.
 * - A `cancel` (the fetch was aborted, e.g. by a seek), the port closing, or {@link StreamResponder.close}
 *   closes the reader, which resets its deadlines; nothing is posted afterwards.
 * - A request nobody pulls from for `parkAfterMs` (the player has enough buffered) drops its deadlines
 *   and keeps its position; one idle for `closeAfterMs` is closed with an error (the worker may be gone:
 *   ports have no reliable close event everywhere).
 * - Chunks are copied out of the piece and their buffer transferred: posting a view would clone the
 *   whole piece.
 */
import { TorrentError } from '../../errors.js';
import { FileReader } from '../file-reader.js';
import type { ReadAheadOptions } from '../read-ahead.js';
import type { StreamProvider } from '../provider.js';
import type { StreamSource } from '../source.js';
import { isHasMessage, isStreamRequest, isWorkerCommand } from './protocol.js';
import type { HasReply, PageReply, StreamRequestMessage } from './protocol.js';
import { errorPlan, planResponse } from './response-head.js';
import type { ResponsePlan } from './response-head.js';

/** One answered request, as reported to {@link StreamResponderOptions.onRequest}. */
export interface StreamRequestEvent {
  readonly infoHash: string;
  readonly fileIndex: number;
  readonly method: 'GET' | 'HEAD';
  /** The request's Range header, or null. */
  readonly range: string | null;
  /** The status answered. */
  readonly status: number;
}

/** How a request ended, as reported to {@link StreamResponderOptions.onFinish}. */
export type StreamFinishReason = 'complete' | 'cancelled' | 'error' | 'idle' | 'closed';

/** Options of {@link StreamResponder}. */
export interface StreamResponderOptions {
  /** Largest chunk posted to the worker, bytes (default 64 KiB). */
  chunkSize?: number;
  /** Read-ahead tuning of every reader. */
  readAhead?: ReadAheadOptions;
  /** Drop the deadlines of a request not pulled from for this long, ms (default 20 000). */
  parkAfterMs?: number;
  /** Close a request not pulled from for this long, ms (default 600 000). */
  closeAfterMs?: number;
  /** Called when a request's head is sent. */
  onRequest?: (e: StreamRequestEvent) => void;
  /** Called when a request ends. */
  onFinish?: (e: StreamRequestEvent, reason: StreamFinishReason) => void;
}

/** Counters of a responder. */
export interface StreamResponderStats {
  requests: number;
  complete: number;
  cancelled: number;
  errors: number;
}

function post(port: MessagePort, msg: PageReply | HasReply, transfer: Transferable[] = []): void {
  try {
    port.postMessage(msg, transfer);
  } catch {
    // A closed or neutered port: the other side is gone; the request is being finished anyway.
  }
}

interface Open {
  finish(reason: StreamFinishReason): void;
}

/** Answers stream requests from a service worker with data from a StreamProvider. */
export class StreamResponder {
  readonly #provider: StreamProvider;
  readonly #opts: StreamResponderOptions;
  readonly #open = new Set<Open>();
  readonly stats: StreamResponderStats = { requests: 0, complete: 0, cancelled: 0, errors: 0 };
  #closed = false;

  constructor(provider: StreamProvider, opts: StreamResponderOptions = {}) {
    this.#provider = provider;
    this.#opts = opts;
  }

  /** Requests being answered (head sent, body not finished). */
  get active(): number {
    return this.#open.size;
  }

  /**
   * Handles one message from the worker (`navigator.serviceWorker`'s message event: its data and ports).
   * Returns false for messages that are not a stream request or query (left to other listeners).
   */
  handleMessage(data: unknown, ports: readonly MessagePort[]): boolean {
    const port = ports[0];
    if (!port) return false;
    if (isHasMessage(data)) {
      let has = false;
      try {
        has = !this.#closed && this.#provider.getTorrent(data.infoHash) !== undefined;
      } catch {
        has = false;
      }
      post(port, { type: 'has-reply', has });
      port.close();
      return true;
    }
    if (isStreamRequest(data)) {
      this.answer(data, port);
      return true;
    }
    return false;
  }

  /** Answers one request on `port` (which the responder owns and closes). */
  answer(req: StreamRequestMessage, port: MessagePort): void {
    this.stats.requests++;
    const ev = (status: number): StreamRequestEvent => ({ infoHash: req.infoHash, fileIndex: req.fileIndex, method: req.method, range: req.range, status });
    const sendHead = (plan: ResponsePlan): void => {
      post(port, { type: 'head', status: plan.status, headers: plan.headers, body: plan.body });
      this.#opts.onRequest?.(ev(plan.status));
    };
    const endNow = (plan: ResponsePlan, reason: StreamFinishReason): void => {
      sendHead(plan);
      port.close();
      if (reason === 'complete') this.stats.complete++;
      else this.stats.errors++;
      this.#opts.onFinish?.(ev(plan.status), reason);
    };
    if (this.#closed) return endNow(errorPlan(503), 'closed');
    let source: StreamSource | undefined;
    try {
      source = this.#provider.getSource(req.infoHash, req.fileIndex);
    } catch (err) {
      const missing = err instanceof TorrentError && (err.code === 'invalid_handle' || err.code === 'metadata_not_available' || err.code === 'invalid_argument');
      return endNow(errorPlan(missing ? 404 : 500), 'error');
    }
    if (!source) return endNow(errorPlan(404), 'error');
    const plan = planResponse(req, { infoHash: req.infoHash, fileIndex: req.fileIndex, path: source.filePath, length: source.fileLength });
    if (!plan.body) return endNow(plan, plan.status < 400 ? 'complete' : 'error');
    this.#stream(source, plan, port, ev(plan.status), sendHead);
  }

  #stream(source: StreamSource, plan: ResponsePlan, port: MessagePort, ev: StreamRequestEvent, sendHead: (p: ResponsePlan) => void): void {
    const reader = new FileReader(source, { start: plan.start, end: plan.end, chunkSize: this.#opts.chunkSize, readAhead: this.#opts.readAhead });
    const parkAfter = this.#opts.parkAfterMs ?? 20_000;
    const closeAfter = this.#opts.closeAfterMs ?? 600_000;
    let reading = false;
    let done = false;
    let parkTimer: ReturnType<typeof setTimeout> | undefined;
    let closeTimer: ReturnType<typeof setTimeout> | undefined;

    const armTimers = (): void => {
      clearTimeout(parkTimer);
      clearTimeout(closeTimer);
      parkTimer = setTimeout(() => {
        // Keep the position, drop the window's deadlines: the player is not reading now.
        if (!reading && !reader.closed) reader.seek(reader.position);
      }, parkAfter);
      closeTimer = setTimeout(() => {
        post(port, { type: 'error', message: 'the stream was idle too long' });
        open.finish('idle');
      }, closeAfter);
    };

    const pull = async (): Promise<void> => {
      reading = true;
      armTimers();
      try {
        const r = await reader.next();
        if (done) return;
        if (r.done) {
          post(port, { type: 'end' });
          open.finish('complete');
          return;
        }
        const copy = r.value.slice();
        post(port, { type: 'chunk', data: copy }, [copy.buffer]);
      } catch (err) {
        if (done) return;
        post(port, { type: 'error', message: err instanceof Error ? err.message : String(err) });
        open.finish('error');
      } finally {
        reading = false;
      }
    };

    const onMessage = (e: MessageEvent): void => {
      const cmd: unknown = e.data;
      if (!isWorkerCommand(cmd) || done) return;
      if (cmd.type === 'cancel') open.finish('cancelled');
      else void pull();
    };
    const onClose = (): void => open.finish('cancelled');

    const open: Open = {
      finish: (reason) => {
        if (done) return;
        done = true;
        clearTimeout(parkTimer);
        clearTimeout(closeTimer);
        reader.close();
        port.removeEventListener('message', onMessage);
        port.removeEventListener('close', onClose);
        port.close();
        this.#open.delete(open);
        if (reason === 'complete') this.stats.complete++;
        else if (reason === 'cancelled' || reason === 'closed') this.stats.cancelled++;
        else this.stats.errors++;
        this.#opts.onFinish?.(ev, reason);
      },
    };
    this.#open.add(open);
    port.addEventListener('message', onMessage);
    // Chromium fires `close` on a port whose other end went away (worker stopped); elsewhere the idle
    // timer covers it.
    port.addEventListener('close', onClose);
    port.start();
    sendHead(plan);
    armTimers();
  }

  /** Stops answering: every open request is closed (its reader too); later requests get 503. */
  close(): void {
    this.#closed = true;
    for (const o of [...this.#open]) o.finish('closed');
  }
}
