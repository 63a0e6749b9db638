/**
 * One connected wire peer: handshake, message order rules, choke/interest state, the remote's pieces,
 * request bookkeeping both ways, timeouts and one close reason. Sits between a {@link PeerStream} and a
 * {@link PeerOwner} (the torrent). See PEER.md for the states, timers and limits.
 *
 * Hot path: the stream's chunks go straight into a {@link WireDecoder} whose handler is this object (the
 * `on*` WireHandler methods below), so receiving a block allocates no closure or promise. Small outgoing
 * messages produced in one tick (requests, cancels, haves, rejects, choke changes) are encoded together in
 * one microtask; a piece goes out as a 13-byte header plus the block view (writev when the stream has it).
 */
import { TorrentError } from '../errors.js';
import type { PeerAddress, PeerStream } from '../interfaces/transport.js';
import { WireDecoder } from '../wire/decoder.js';
import { encodeKeepAlive } from '../wire/encoder.js';
import { decodeExtensionHandshake, encodeExtended } from '../wire/index.js';
import type { Handshake, WireHandler } from '../wire/index.js';
import { closeReason } from './close-reason.js';
import type { PeerCloseKind, PeerCloseReason } from './close-reason.js';
import { HandshakeFlow, firstMessages, ourHandshake } from './handshake-flow.js';
import { bytesEqual } from '../bytes.js';
import { resolvePeerSettings, tickInterval } from './limits.js';
import type { PeerSettings } from './limits.js';
import type { PeerOwner, PeerRouter } from './peer-owner.js';
import { RequestBook, checkBlockArgs } from './request-book.js';
import { Uploader } from './uploader.js';
import { Outbox } from './outbox.js';
import { Liveness, TICK_IDLE, TICK_INACTIVE } from './liveness.js';
import { RemotePieces } from './remote-pieces.js';
import { PeerState } from './peer-state.js';
import type { UploadHost } from './uploader.js';

/** Options of a {@link PeerConnection}. Give `owner` (we know the torrent: outgoing) or `router` (incoming). */
export interface PeerConnectionOptions {
  /** Our 20-byte peer id. */
  peerId: Uint8Array;
  /** The torrent, when known before the handshake (outgoing connections). */
  owner?: PeerOwner;
  /** Picks the torrent from the remote's info-hash (incoming connections). */
  router?: PeerRouter;
  /** Connection settings (per-torrent overrides come from `owner.settings()`). */
  settings?: Partial<PeerSettings>;
  /** Monotonic clock in ms. Default `performance.now`. */
  now?: () => number;
  /** Called after the owner's `onClose` (and also when no owner was ever bound), e.g. by a connection pool. */
  onClose?: (peer: PeerConnection, reason: PeerCloseReason) => void;
}

/** Lifecycle phase of a {@link PeerConnection}. */
export type PeerPhase = 'handshake' | 'connected' | 'closed';

/** One wire peer. Create it as soon as the stream exists; it sends our handshake when it knows the torrent. */
export class PeerConnection extends PeerState implements WireHandler {
  /** The underlying stream (owned: destroyed on close). */
  readonly stream: PeerStream;
  /** The remote address. */
  readonly remote: PeerAddress;
  /** `out` when we dialed. */
  readonly direction: 'in' | 'out';
  /** Closes when the connection has closed, with its reason (never rejects). */
  readonly closed: Promise<PeerCloseReason>;

  readonly #opts: PeerConnectionOptions;
  #settings: PeerSettings;
  #owner: PeerOwner | undefined;
  #phase: PeerPhase = 'handshake';
  #reason: PeerCloseReason | undefined;
  #resolveClosed!: (r: PeerCloseReason) => void;
  readonly #flow = new HandshakeFlow();
  #decoder: WireDecoder | undefined;
  #handshakeTimer: ReturnType<typeof setTimeout> | undefined;
  #tickTimer: ReturnType<typeof setInterval> | undefined;
  readonly #onTick = (): void => this.#tick();
  readonly #requests = new RequestBook();
  #uploader: Uploader | undefined;
  /** Some message other than keep-alive / extended / port arrived: bitfield-type messages are now illegal. */
  #gotCore = false;
  #ourExtNames = new Map<number, string>();
  /** Timer state, reset when connected (the hot path only sets its flags). */
  readonly #live = new Liveness(0);
  readonly #out: Outbox;

  constructor(stream: PeerStream, opts: PeerConnectionOptions) {
    if (opts.peerId.length !== 20) throw new TorrentError('invalid_argument', 'peerId must be 20 bytes');
    if ((opts.owner === undefined) === (opts.router === undefined)) {
      throw new TorrentError('invalid_argument', 'give exactly one of owner (outgoing) or router (incoming)');
    }
    super(opts.now ?? (() => performance.now()));
    this.stream = stream;
    this.remote = stream.remote;
    this.direction = stream.direction;
    this.#opts = opts;
    this.#settings = resolvePeerSettings(opts.settings);
    this.#out = new Outbox(stream, this.#live, () => this.#uploader?.block());
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    stream.setSink({
      data: (chunk) => this.#onData(chunk),
      drain: () => this.#uploader?.drain(),
      close: (err) => this.#onStreamClose(err),
    });
    this.#handshakeTimer = setTimeout(
      () => this.#closeWith(closeReason('handshake_timeout', `no complete handshake within ${this.#settings.handshakeTimeoutMs} ms`)),
      this.#settings.handshakeTimeoutMs,
    );
    if (opts.owner) this.#bind(opts.owner);
  }

  // ---- public state --------------------------------------------------------------------------------------

  /** `handshake` → `connected` → `closed`. */
  get phase(): PeerPhase {
    return this.#phase;
  }
  /** The close reason once closed. */
  get closeReason(): PeerCloseReason | undefined {
    return this.#reason;
  }
  /** The torrent this connection belongs to, once known. */
  get owner(): PeerOwner | undefined {
    return this.#owner;
  }
  /** Effective settings. */
  get settings(): Readonly<PeerSettings> {
    return this.#settings;
  }
  /** Our requests not yet answered (cancelled ones excluded). */
  get outstandingRequests(): number {
    return this.#requests.live;
  }
  /** The remote's requests waiting in our upload queue, and storage reads in flight for it. */
  get uploadQueue(): { readonly queued: number; readonly reading: number; readonly blocked: boolean } {
    const u = this.#uploader;
    return { queued: u?.queued ?? 0, reading: u?.reading ?? 0, blocked: u?.blocked ?? false };
  }
  // ---- commands from the owner ---------------------------------------------------------------------------

  /** Choke the remote. Its queued requests are dropped (rejected with BEP 6), allowed-fast ones kept. */
  choke(): void {
    if (this.#phase === 'closed' || this.amChoking) return;
    this.amChoking = true;
    this.#out.queue({ type: 'choke' });
    this.#uploader?.dropQueued(
      (i) => this.allowedFastOut.has(i),
      (i, b, l) => this.#rejectOut(i, b, l),
    );
  }
  /** Unchoke the remote. */
  unchoke(): void {
    if (this.#phase === 'closed' || !this.amChoking) return;
    this.amChoking = false;
    this.#out.queue({ type: 'unchoke' });
  }
  /** Tell the remote we are interested. */
  interested(): void {
    if (this.#phase === 'closed' || this.amInterested) return;
    this.amInterested = true;
    this.#out.queue({ type: 'interested' });
  }
  /** Tell the remote we are not interested. */
  notInterested(): void {
    if (this.#phase === 'closed' || !this.amInterested) return;
    this.amInterested = false;
    this.#out.queue({ type: 'notInterested' });
  }

  /**
   * Requests a block (sent with the other requests of this tick). Returns false when it is already
   * outstanding or the connection is not usable. Throws `invalid_argument` for a block outside the torrent.
   */
  request(index: number, begin: number, length: number): boolean {
    if (this.#phase !== 'connected') return false;
    this.#checkBlock(index, begin, length);
    if (this.#requests.live === 0) this.#live.waitFromNow(this.now());
    if (!this.#requests.add(index, begin, length)) return false;
    this.#out.queue({ type: 'request', index, begin, length });
    return true;
  }

  /** Writes this tick's queued messages now, not at its end (requests a blocked reader waits for). */
  flushQueued(): void {
    this.#out.flush();
  }

  /**
   * Cancels an outstanding request. A request still in this tick's batch is simply not sent; otherwise a
   * cancel goes out and a block that still arrives is delivered (late data may be useful). False when the
   * block was not outstanding.
   */
  cancel(index: number, begin: number, length: number): boolean {
    if (this.#phase !== 'connected' || !this.#requests.isLive(index, begin, length)) return false;
    if (this.#out.unqueueRequest(index, begin, length)) {
      this.#requests.remove(index, begin);
      return true;
    }
    this.#requests.markCancelled(index, begin);
    this.#out.queue({ type: 'cancel', index, begin, length });
    return true;
  }

  /** Announces a piece we completed (batched per tick). Throws `invalid_argument` for a bad index. */
  have(index: number): void {
    if (this.#phase !== 'connected') return;
    this.#checkIndex(index);
    this.#out.queue({ type: 'have', index });
  }
  /** BEP 6: lets the remote request `index` while we choke it. Ignored without the fast extension. */
  allowFast(index: number): void {
    if (this.#phase !== 'connected' || !this.fast || this.allowedFastOut.has(index)) return;
    this.#checkIndex(index);
    this.allowedFastOut.add(index);
    this.#out.queue({ type: 'allowedFast', index });
  }
  /** BEP 6: suggests a piece. Ignored without the fast extension. */
  suggest(index: number): void {
    if (this.#phase !== 'connected' || !this.fast) return;
    this.#checkIndex(index);
    this.#out.queue({ type: 'suggest', index });
  }
  /** Sends a BEP 10 message of extension `name`; false when the remote does not support it. */
  sendExtended(name: string, payload: Uint8Array): boolean {
    const id = this.extensionHandshake?.m.get(name);
    if (this.#phase !== 'connected' || !this.extended || id === undefined || id === 0) return false;
    this.#out.write(encodeExtended(id, payload));
    return true;
  }

  /**
   * The torrent learned its piece count (metadata arrived). Checks what the remote already said against it:
   * a bitfield of the wrong size or with spare bits set closes the connection (HOSTILE-INPUTS 16).
   */
  setPieceCount(n: number): void {
    if (this.#phase === 'closed') return;
    if (this.#decoder) this.#decoder.pieceCount = n;
    const bad = this.pieces.setPieceCount(n);
    if (bad !== undefined) return this.#violation(bad);
    for (const i of this.allowedFastIn) if (i >= n) this.allowedFastIn.delete(i);
    for (let k = this.suggested.length - 1; k >= 0; k--) if (this.suggested[k]! >= n) this.suggested.splice(k, 1);
  }

  /** Stops reading from the stream (the remote is held back once buffers fill). */
  pauseReading(): void {
    this.stream.pause();
  }
  /** Resumes reading after {@link pauseReading}. */
  resumeReading(): void {
    this.stream.resume();
  }

  /** Closes the connection (kind `local` unless given) and destroys the stream. Idempotent. */
  close(message = 'closed by us', kind: PeerCloseKind = 'local'): void {
    this.#closeWith(closeReason(kind, message));
  }

  // ---- WireHandler: called by the decoder only ----------------------------------------------------------

  /** @internal */
  onKeepAlive(): void {}
  /** @internal */
  onChoke(): void {
    this.#gotCore = true;
    if (this.peerChoking) return;
    this.peerChoking = true;
    if (!this.fast) this.#requests.clear(); // BEP 3: the remote discards our requests when it chokes
    this.#owner!.onPeerChoked(this);
  }
  /** @internal */
  onUnchoke(): void {
    this.#gotCore = true;
    if (!this.peerChoking) return;
    this.peerChoking = false;
    this.#live.waitFromNow(this.now());
    this.#owner!.onPeerUnchoked(this);
  }
  /** @internal */
  onInterested(): void {
    this.#gotCore = true;
    if (this.peerInterested) return;
    this.peerInterested = true;
    this.#owner!.onPeerInterest?.(this, true);
  }
  /** @internal */
  onNotInterested(): void {
    this.#gotCore = true;
    if (!this.peerInterested) return;
    this.peerInterested = false;
    this.#owner!.onPeerInterest?.(this, false);
  }
  /** @internal */
  onHave(index: number): void {
    this.#gotCore = true;
    const fresh = this.pieces.have(index);
    if (typeof fresh === 'string') return this.#violation(fresh);
    if (fresh) this.#owner!.onHave(this, index);
  }
  /** @internal */
  onBitfield(bits: Uint8Array): void {
    if (this.#gotCore) return this.#violation('bitfield after other messages');
    this.#gotCore = true;
    this.pieces.bitfield(bits);
    this.#owner!.onBitfield(this, bits);
  }
  /** @internal */
  onHaveAll(): void {
    if (this.#gotCore) return this.#violation('have-all after other messages');
    this.#gotCore = true;
    this.pieces.haveAll();
    this.#owner!.onHaveAll(this);
  }
  /** @internal */
  onHaveNone(): void {
    if (this.#gotCore) return this.#violation('have-none after other messages');
    this.#gotCore = true;
    this.#owner!.onHaveNone?.(this);
  }
  /** @internal */
  onRequest(index: number, begin: number, length: number): void {
    this.#gotCore = true;
    const owner = this.#owner!;
    if (this.#decoder!.pieceCount === undefined) return this.#unservable(index, begin, length);
    if (begin + length > owner.pieceSize(index)) {
      return this.#violation(`request ${index}/${begin}+${length} beyond the piece end`);
    }
    if (this.amChoking && !this.allowedFastOut.has(index)) return this.#unservable(index, begin, length);
    if (!owner.havePiece(index)) return this.#unservable(index, begin, length);
    const up = this.#uploader!;
    if (up.full) {
      this.#rejectOut(index, begin, length);
      if (++this.#live.badFlood > this.#settings.maxBadRequests) {
        this.#closeWith(closeReason('request_flood', `more than ${this.#settings.maxRequestQueue} requests outstanding, persistently`));
      }
      return;
    }
    if (owner.onRequest?.(this, index, begin, length) === false) return this.#rejectOut(index, begin, length);
    up.enqueue(index, begin, length);
  }
  /** @internal */
  onPiece(index: number, begin: number, block: Uint8Array): void {
    this.#gotCore = true;
    if (!this.#requests.take(index, begin, block.length)) {
      this.unsolicitedBytes += block.length;
      return;
    }
    const now = this.now();
    this.downloaded += block.length;
    this.down.add(block.length, now);
    this.#live.payload = true;
    this.#live.waitFromNow(now);
    this.#owner!.onBlock(this, index, begin, block);
  }
  /** @internal */
  onCancel(index: number, begin: number, length: number): void {
    this.#gotCore = true;
    if (this.#uploader!.cancel(index, begin, length) && this.fast) {
      // A queued request cancelled: BEP 6 wants a reject. (An in-flight one is rejected when its read completes.)
      this.#rejectOut(index, begin, length);
    }
  }
  /** @internal */
  onPort(port: number): void {
    this.#owner!.onDhtPort?.(this, port);
  }
  /** @internal */
  onSuggest(index: number): void {
    this.#gotCore = true;
    if (this.suggested.includes(index)) return;
    if (this.suggested.length >= this.#settings.maxSuggested) this.suggested.shift();
    this.suggested.push(index);
    this.#owner!.onSuggest?.(this, index);
  }
  /** @internal */
  onReject(index: number, begin: number, length: number): void {
    this.#gotCore = true;
    if (!this.#requests.take(index, begin, length)) return; // not ours (or already answered): ignore
    this.#owner!.onReject(this, index, begin, length);
  }
  /** @internal */
  onAllowedFast(index: number): void {
    this.#gotCore = true;
    if (this.allowedFastIn.has(index) || this.allowedFastIn.size >= this.#settings.maxAllowedFast) return;
    this.allowedFastIn.add(index);
    this.#owner!.onAllowedFast?.(this, index);
  }
  /** @internal */
  onExtended(id: number, payload: Uint8Array): void {
    if (id === 0) {
      const hs = decodeExtensionHandshake(payload, { maxReqq: this.#settings.maxRemoteReqq, maxMetadataSize: this.#settings.maxMetadataSize });
      this.extensionHandshake = hs;
      this.#owner!.onExtensionHandshake?.(this, hs);
      return;
    }
    if (!this.extensionHandshake) return this.#violation(`extended message ${id} before the extension handshake`);
    const name = this.#ourExtNames.get(id);
    if (name !== undefined) this.#owner!.onExtended?.(this, name, payload);
  }
  /** @internal */
  onUnknown(id: number, payload: Uint8Array): void {
    this.#owner!.onUnknownMessage?.(this, id, payload);
  }

  // ---- internals -----------------------------------------------------------------------------------------

  #bind(owner: PeerOwner): void {
    if (owner.infoHash.length !== 20) throw new TorrentError('invalid_argument', 'owner.infoHash must be 20 bytes');
    this.#owner = owner;
    const over = owner.settings?.();
    if (over) this.#settings = resolvePeerSettings(over, this.#settings);
    for (const [name, id] of owner.extensions()) if (id > 0) this.#ourExtNames.set(id, name);
    this.#out.write(ourHandshake(owner.infoHash, this.#opts.peerId, this.#settings));
  }

  #onData(chunk: Uint8Array): void {
    if (this.#phase === 'closed') return;
    this.#live.received = true;
    if (this.#phase === 'handshake') return this.#handshakeData(chunk);
    try {
      this.#decoder!.write(chunk);
    } catch (err) {
      this.#fail(err);
    }
  }

  #handshakeData(chunk: Uint8Array): void {
    let hs: Handshake | undefined;
    try {
      hs = this.#flow.feed(chunk);
    } catch (err) {
      return this.#closeWith(closeReason('handshake_failed', undefined, err));
    }
    const ih = this.#flow.takeInfoHash();
    if (ih) {
      if (!this.#owner) {
        let owner: PeerOwner | undefined;
        try {
          owner = this.#opts.router!(ih);
          if (owner) this.#bind(owner);
        } catch (err) {
          return this.#closeWith(closeReason('owner_error', undefined, err));
        }
        if (!owner) return this.#closeWith(closeReason('unknown_info_hash', 'no torrent with the requested info-hash'));
      } else if (!bytesEqual(ih, this.#owner.infoHash)) {
        return this.#closeWith(closeReason('handshake_failed', 'the remote answered with another info-hash'));
      }
    }
    if (!hs) return;
    if (bytesEqual(hs.peerId, this.#opts.peerId)) return this.#closeWith(closeReason('self_connection', 'connected to ourselves'));
    this.#start(hs);
  }

  /** Both handshakes done: negotiate, send our first messages, start the decoder and timers. */
  #start(hs: Handshake): void {
    clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = undefined;
    const s = this.#settings;
    const owner = this.#owner!;
    this.peerId = hs.peerId;
    this.remoteHandshake = hs;
    this.fast = s.fastExtension && hs.fast;
    this.extended = s.extensionProtocol && hs.extended;
    this.#phase = 'connected';
    try {
      const pc = owner.pieceCount();
      this.#decoder = new WireDecoder(this, {
        fast: this.fast,
        extended: this.extended,
        maxBlockSize: s.maxBlockSize,
        maxMessageSize: s.maxMessageSize,
        maxExtendedSize: s.maxExtendedSize,
        ...(pc === undefined ? {} : { pieceCount: pc }),
      });
      this.#uploader = new Uploader(this.#uploadHost(), s.maxRequestQueue, s.maxReadsInFlight);
      this.#out.write(firstMessages(owner, this.fast, this.extended, s, this.remote.host));
      this.pieces = new RemotePieces(pc);
      this.#live.reset(this.now());
      this.#tickTimer = setInterval(this.#onTick, tickInterval(s));
      if (owner.onConnected?.(this) === false) return this.#closeWith(closeReason('rejected', 'refused by the torrent'));
    } catch (err) {
      return this.#fail(err);
    }
    if (this.#phase !== 'connected') return;
    for (const rest of this.#flow.remainder()) this.#onData(rest);
  }

  #uploadHost(): UploadHost {
    const owner = this.#owner!;
    return {
      readBlock: (i, b, l) => owner.readBlock(i, b, l),
      sendBlock: (i, b, block) => this.#sendBlock(i, b, block),
      reject: (i, b, l) => this.#rejectOut(i, b, l),
      canServe: (i) => !this.amChoking || this.allowedFastOut.has(i),
      readFailed: (i, b, l) => this.#rejectOut(i, b, l),
    };
  }

  #sendBlock(index: number, begin: number, block: Uint8Array): boolean {
    if (this.#phase !== 'connected') return true;
    const ok = this.#out.writePiece(index, begin, block);
    this.#live.payload = true;
    this.uploaded += block.length;
    this.up.add(block.length, this.now());
    try {
      this.#owner!.onBlockSent?.(this, index, begin, block.length);
    } catch (err) {
      this.#fail(err); // runs from a read's completion: never let it escape as an unhandled rejection
    }
    return ok;
  }

  /** Rejects one of the remote's requests with BEP 6; without it the request is silently dropped. */
  #rejectOut(index: number, begin: number, length: number): void {
    if (this.fast && this.#phase === 'connected') this.#out.queue({ type: 'reject', index, begin, length });
  }

  #unservable(index: number, begin: number, length: number): void {
    this.#rejectOut(index, begin, length);
    if (++this.#live.badUnservable > this.#settings.maxBadRequests) {
      this.#closeWith(closeReason('unservable_requests', 'persistent requests for pieces we cannot serve'));
    }
  }

  #violation(message: string): void {
    this.#closeWith(closeReason('protocol', message));
  }

  #fail(err: unknown): void {
    const wire = err instanceof TorrentError && (err.code === 'invalid_message' || err.code === 'message_too_large');
    this.#closeWith(closeReason(wire ? 'protocol' : 'owner_error', undefined, err));
  }

  /** Indexes we send are validated synchronously, so a bad one never fails inside the flush microtask. */
  #checkIndex(index: number): void {
    checkBlockArgs(this.#owner!, index, 0, 1, 1);
  }

  #checkBlock(index: number, begin: number, length: number): void {
    checkBlockArgs(this.#owner!, index, begin, length, this.settings.maxBlockSize);
  }

  #tick(): void {
    if (this.#phase !== 'connected') return;
    const s = this.#settings;
    const live = this.#live;
    const now = this.now();
    const verdict = live.check(now, s, this.amInterested || this.peerInterested);
    if (verdict === TICK_IDLE) {
      return this.#closeWith(closeReason('idle_timeout', `nothing received for ${Math.round(now - live.lastRecv)} ms`));
    }
    if (verdict === TICK_INACTIVE) return this.#closeWith(closeReason('inactive', 'neither side interested'));
    if (live.keepAliveDue(now, s)) {
      this.#out.write(encodeKeepAlive());
      live.sent = false;
    }
    const outstanding = this.#requests.live;
    const waited = live.stall(now, s, outstanding, !this.peerChoking || this.allowedFastIn.size > 0);
    if (waited >= 0) {
      try {
        this.#owner!.onStall?.(this, outstanding, waited);
      } catch (err) {
        this.#fail(err);
      }
    }
    this.#requests.trimCancelled(Math.max(64, s.maxRemoteReqq));
  }

  #onStreamClose(err: Error | undefined): void {
    if (this.#phase === 'closed') return;
    this.#closeWith(closeReason('remote_closed', err ? undefined : 'the remote closed the connection', err));
  }

  #closeWith(reason: PeerCloseReason): void {
    if (this.#phase === 'closed') return;
    this.#phase = 'closed';
    this.#reason = reason;
    clearTimeout(this.#handshakeTimer);
    clearInterval(this.#tickTimer);
    this.#handshakeTimer = this.#tickTimer = undefined;
    this.#decoder?.destroy();
    this.#uploader?.close();
    this.#out.close();
    this.#requests.clear();
    this.stream.destroy(reason.kind === 'remote_closed' ? undefined : reason.error);
    // Nothing is left to fail once closed: an exception from a close listener is dropped, never thrown
    // back into the stream or a timer.
    try {
      this.#owner?.onClose(this, reason);
    } catch {
      /* ignored: see above */
    }
    try {
      this.#opts.onClose?.(this, reason);
    } catch {
      /* ignored: see above */
    }
    this.#resolveClosed(reason);
  }
}
