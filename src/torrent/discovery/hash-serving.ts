/**
 * A swarm's side of BEP 52 hash serving. The server (hash-server.ts, with the hash message codec,
 * wire/hash-messages.ts) loads on first use (../../lazy.ts): at once for a torrent with v2 pieces roots (v2
 * or hybrid: its peers may fetch its piece layers from us), else with the first hash request (id 21) a peer
 * sends. A v1 torrent's peers have no reason to send one (its server would reject every request, as it has
 * no layers), so a plain v1 download never loads the code.
 *
 * - Hashes (22), hash rejects (23) and other ids are ignored, as the server ignores them: we asked nothing.
 * - Once loaded (a module-wide cache), requests are handed to the server synchronously, exactly as before:
 *   a malformed one throws `invalid_message` and the peer layer closes that connection.
 * - While loading, each request is kept (a 48-byte copy) in the order it came and handed to the server
 *   once it is in, so it is answered or rejected then, as it would have been at once; one that is malformed
 *   closes its connection then (kind `protocol`, the codec's message). A payload of the wrong size is
 *   malformed whatever it holds: its connection is closed at once, with the codec's message. A peer with
 *   more than {@link MAX_QUEUED_PER_PEER} requests waiting is closed as a request flood (the server would
 *   have rejected all but 16 of them). Requests of peers gone meanwhile are dropped: there is no one to
 *   answer.
 * - A failed load (a chunk that cannot be fetched) posts `session_error` through the host and closes the
 *   connections whose requests were waiting (they asked something we cannot answer); the next request
 *   tries again.
 */
import type { PeerConnection } from '../../peer/index.js';
import { lazy } from '../../lazy.js';
import type { HashServer, HashServerMeta } from './hash-server.js';

/** The hash server with the BEP 52 hash message codec (one chunk). */
const loadHashServer = lazy(() => import('./bep52-wire.js'));

/** BEP 52's hash request id (HashMessageId.hashRequest of wire/hash-messages.ts, spelled here so the codec stays lazy). */
export const HASH_REQUEST_ID = 21;
/** Bytes of a hash request payload (HASH_REQUEST_SIZE of wire/hash-messages.ts). */
export const HASH_REQUEST_BYTES = 48;
/** Most requests kept per peer while the server loads (the server answers at most 16 at a time per peer). */
export const MAX_QUEUED_PER_PEER = 64;

/** Writes a whole wire message to a connected peer (raw: ids 21–23 have no command in the peer layer). */
export function sendWire(conn: PeerConnection, message: Uint8Array): void {
  if (conn.phase === 'connected') conn.stream.write(message);
}

/** What hash serving needs from its swarm. */
export interface HashServingHost {
  readonly meta: HashServerMeta;
  /** Whether `conn` is still one of the swarm's peers. */
  isPeer(conn: PeerConnection): boolean;
  /** The server could not be loaded: post it as an alert. */
  loadFailed(message: string): void;
}

/** Serves a swarm's hash requests, loading the server when first needed (see the module notes). */
export class HashServing {
  readonly #host: HashServingHost;
  #server: HashServer<PeerConnection> | undefined;
  /** Requests received while the server loads, per peer, in arrival order. */
  #queue: Map<PeerConnection, Uint8Array[]> | undefined;
  #loading = false;
  #closed = false;

  constructor(host: HashServingHost) {
    this.#host = host;
    const code = loadHashServer.loaded;
    if (code) this.#server = new code.HashServer(host.meta, sendWire);
    else if (host.meta.files.some((f) => f.piecesRoot !== undefined)) this.#load();
  }

  /** A message with an id the codec does not parse, from one of the swarm's peers. Throws `invalid_message`. */
  message(conn: PeerConnection, id: number, payload: Uint8Array): void {
    if (id !== HASH_REQUEST_ID) return;
    if (this.#server) {
      this.#server.message(conn, id, payload);
      return;
    }
    if (payload.length !== HASH_REQUEST_BYTES) {
      conn.close(`hash request payload of ${payload.length} bytes, expected ${HASH_REQUEST_BYTES}`, 'protocol');
      return;
    }
    const queue = (this.#queue ??= new Map());
    const mine = queue.get(conn) ?? [];
    if (mine.length >= MAX_QUEUED_PER_PEER) {
      queue.delete(conn);
      conn.close('hash request flood', 'request_flood');
      return;
    }
    mine.push(payload.slice()); // the payload is a view valid during this call only
    queue.set(conn, mine);
    this.#load();
  }

  /** The swarm stopped: nothing waiting is answered any more. */
  close(): void {
    this.#closed = true;
    this.#queue = undefined;
  }

  #load(): void {
    if (this.#loading) return;
    this.#loading = true;
    loadHashServer().then(
      (m) => {
        this.#loading = false;
        if (this.#closed || this.#server) return;
        this.#server = new m.HashServer(this.#host.meta, sendWire);
        this.#drain(this.#server);
      },
      (err: unknown) => {
        this.#loading = false;
        const waiting = this.#queue;
        this.#queue = undefined;
        if (this.#closed || !waiting) return; // a v2 torrent's early load: the next request tries again
        const message = `the BEP 52 hash server could not be loaded: ${String(err)}`;
        this.#host.loadFailed(message);
        for (const conn of waiting.keys()) conn.close(message, 'local');
      },
    );
  }

  /** Hands the requests that waited to the server, in order. */
  #drain(server: HashServer<PeerConnection>): void {
    const waiting = this.#queue;
    this.#queue = undefined;
    if (!waiting) return;
    for (const [conn, payloads] of waiting) {
      for (const payload of payloads) {
        if (conn.phase !== 'connected' || !this.#host.isPeer(conn)) break;
        try {
          server.message(conn, HASH_REQUEST_ID, payload);
        } catch (err) {
          conn.close((err as Error).message, 'protocol'); // the codec throws TorrentError only
          break;
        }
      }
    }
  }
}
