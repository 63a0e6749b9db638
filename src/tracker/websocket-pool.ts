/**
 * One WebSocket per tracker URL, shared by every torrent announcing there (WebTorrent does the same:
 * sockets are slow to open and browsers limit them). A socket is refcounted by its subscribers (one
 * per torrent, keyed by binary info-hash); incoming frames are routed by `info_hash`. When the socket
 * drops while subscribers remain, it reconnects with exponential back-off (min … max, plus jitter) and
 * tells the subscribers, which re-announce. Frames sent while connecting wait in a small bounded queue.
 * The last subscriber leaving closes the socket and cancels any reconnect timer.
 */
import { TorrentError } from '../errors.js';
import { parseServerMessage } from './websocket-messages.js';
import type { WsServerMessage } from './websocket-messages.js';

/** The WebSocket members we use (the browser's, or `ws` in Node). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

/** A WebSocket constructor: the global one in browsers; inject `ws`'s in Node 20. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** What a socket tells each subscriber. */
export interface SocketSubscriber {
  /** A validated frame for this subscriber's info-hash (or one naming none: scrape, bare failure). */
  frame(msg: WsServerMessage): void;
  /** The socket (re)opened. */
  open(): void;
  /** The socket dropped; a reconnect is scheduled. */
  down(err: Error): void;
}

/** Pool options. */
export interface SocketPoolOptions {
  WebSocket?: WebSocketConstructor;
  /** First reconnect delay. Default 10 000 ms (WebTorrent's). */
  reconnectMinMs?: number;
  /** Largest reconnect delay. Default 3 600 000 ms. */
  reconnectMaxMs?: number;
  /** Frames kept while connecting. Default 64. */
  maxQueuedFrames?: number;
  /** Longest frame accepted from a tracker (chars); longer ones are dropped unparsed. Default 64 KiB. */
  maxFrameBytes?: number;
  /** Longest SDP accepted in a relayed offer or answer. Default 16 KiB. */
  maxSdpBytes?: number;
}

const OPEN = 1;

/** One shared socket. */
export class TrackerSocket {
  readonly url: string;
  readonly #pool: WebSocketPool;
  readonly #subs = new Map<string, SocketSubscriber>();
  #ws: WebSocketLike | undefined;
  #queue: string[] = [];
  #retries = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(pool: WebSocketPool, url: string) {
    this.#pool = pool;
    this.url = url;
    this.#connect();
  }

  get connected(): boolean {
    return this.#ws?.readyState === OPEN;
  }

  subscribe(key: string, sub: SocketSubscriber): void {
    this.#subs.set(key, sub);
    if (this.connected) queueMicrotask(() => this.#subs.get(key) === sub && sub.open());
  }

  unsubscribe(key: string): void {
    this.#subs.delete(key);
    if (this.#subs.size === 0) this.destroy();
  }

  /** Sends now, or queues until open (drops the oldest past the cap). */
  send(text: string): void {
    if (this.#closed) return;
    if (this.connected) {
      this.#ws?.send(text);
      return;
    }
    this.#queue.push(text);
    if (this.#queue.length > this.#pool.maxQueuedFrames) this.#queue.shift();
  }

  /** Routes a frame to the subscriber of its info-hash, or to all when it names none. */
  route(msg: WsServerMessage): void {
    const ih = msg.kind === 'scrape' ? undefined : msg.infoHash;
    if (ih !== undefined) this.#subs.get(ih)?.frame(msg);
    else for (const s of [...this.#subs.values()]) s.frame(msg);
  }

  destroy(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#pool.forget(this);
    const ws = this.#ws;
    this.#ws = undefined;
    if (ws !== undefined) {
      ws.onopen = ws.onmessage = ws.onerror = null;
      ws.onclose = null;
      try {
        ws.close(1000);
      } catch {
        // closing a socket that never opened may throw; it is gone either way
      }
    }
  }

  #connect(): void {
    let ws: WebSocketLike;
    try {
      ws = new this.#pool.WebSocket(this.url);
    } catch (cause) {
      this.#down(new TorrentError('tracker_error', `cannot open ${this.url}`, { cause }));
      return;
    }
    this.#ws = ws;
    ws.onopen = () => {
      this.#retries = 0;
      const q = this.#queue;
      this.#queue = [];
      for (const t of q) ws.send(t);
      for (const s of [...this.#subs.values()]) s.open();
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return; // the protocol is text only
      this.#pool.dispatch(this, ev.data);
    };
    ws.onerror = () => {};
    ws.onclose = () => {
      ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
      if (this.#ws === ws) this.#ws = undefined;
      this.#down(new TorrentError('tracker_error', `websocket tracker ${this.url} closed`, { details: { reason: 'network' } }));
    };
  }

  #down(err: Error): void {
    if (this.#closed) return;
    for (const s of [...this.#subs.values()]) s.down(err);
    const base = Math.min(this.#pool.reconnectMinMs * 2 ** this.#retries, this.#pool.reconnectMaxMs);
    const delay = base + Math.floor(Math.random() * base * 0.25);
    this.#retries = Math.min(this.#retries + 1, 30);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.#closed) this.#connect();
    }, delay);
  }
}

/** Sockets by tracker URL. */
export class WebSocketPool {
  readonly WebSocket: WebSocketConstructor;
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  readonly maxQueuedFrames: number;
  readonly maxFrameBytes: number;
  readonly maxSdpBytes: number;
  /** Frames dropped as malformed, oversized or of an unknown kind. */
  dropped = 0;
  readonly #sockets = new Map<string, TrackerSocket>();

  constructor(opts: SocketPoolOptions = {}) {
    const Ctor = opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (Ctor === undefined) throw new TorrentError('not_supported', 'no WebSocket: pass a constructor (e.g. the ws package in Node)');
    this.WebSocket = Ctor;
    this.reconnectMinMs = opts.reconnectMinMs ?? 10_000;
    this.reconnectMaxMs = opts.reconnectMaxMs ?? 3_600_000;
    this.maxQueuedFrames = opts.maxQueuedFrames ?? 64;
    this.maxFrameBytes = opts.maxFrameBytes ?? 64 * 1024;
    this.maxSdpBytes = opts.maxSdpBytes ?? 16 * 1024;
  }

  /** The socket for `url`, opened on first use. */
  get(url: string): TrackerSocket {
    let s = this.#sockets.get(url);
    if (s === undefined) {
      s = new TrackerSocket(this, url);
      this.#sockets.set(url, s);
    }
    return s;
  }

  /** Number of open (or reconnecting) sockets. */
  get size(): number {
    return this.#sockets.size;
  }

  /** @internal */
  forget(s: TrackerSocket): void {
    if (this.#sockets.get(s.url) === s) this.#sockets.delete(s.url);
  }

  /** @internal */
  dispatch(s: TrackerSocket, text: string): void {
    const msg = parseServerMessage(text, { maxFrameBytes: this.maxFrameBytes, maxSdpBytes: this.maxSdpBytes });
    if (msg === undefined) this.dropped++;
    else s.route(msg);
  }

  /** Closes every socket. */
  destroy(): void {
    for (const s of [...this.#sockets.values()]) s.destroy();
  }
}
