/**
 * One uTP connection: the BEP 29 state machine, reliable in-order delivery and LEDBAT. Runtime-neutral
 * (no timers of its own: the socket manager calls {@link UtpConnection.tick} periodically).
 *
 * Invariants (16-bit serial arithmetic throughout, see packet.ts):
 * - `seqNr` is the next sequence number we will send; SYN, DATA and FIN consume one, STATE and RESET do not.
 * - `ackedSeq` is the peer's cumulative ACK; every packet in (ackedSeq, seqNr) not selectively acked is in
 *   `#inflight` and counted in `inflightBytes`; at most `maxInflightPackets` are outstanding.
 * - `ackNr` is the last sequence number received in order; packets ahead of it wait in the bounded
 *   reorder buffer; the advertised window is the receive budget minus what is held (reorder + unread).
 * - Connection ids: the dialer picks R, receives on R and sends with R+1; the acceptor receives on R+1
 *   and sends with R. The acceptor answers a SYN with a STATE (seq = its random initial S, not consumed)
 *   and stays *unverified* until a packet acks S-1: only then does it count as a connection, so a spoofed
 *   SYN costs one 20-byte reply and a small, capped, expiring record, never buffers.
 * - A RESET is honoured only when its ack_nr names a sequence number we sent recently (HOSTILE 27).
 * - Closing: `end()` queues a FIN after the queued data. The connection closes cleanly once our FIN is
 *   acked and the peer's FIN arrived in order; a RESET received in that final state also counts as clean.
 *   We send an empty FIN; a peer's FIN may carry the stream's last bytes, which are delivered in order, once,
 *   before the remote end (also when that FIN arrives ahead of the data before it).
 */
import { TorrentError } from '../../src/errors.js';
import { releaseBlock } from '../../src/interfaces/block-release.js';
import type { PeerAddress } from '../../src/interfaces/transport.js';
import { Ledbat, RttEstimator } from './ledbat.js';
import { HEADER_SIZE, ST_DATA, ST_FIN, ST_RESET, ST_STATE, ST_SYN, encodePacket, seqAdd, seqDiff, writeHeader } from './packet.js';
import type { UtpPacket } from './packet.js';
import { ReorderBuffer } from './reorder.js';
import type { UtpOptions } from './options.js';

/** What the socket manager provides to a connection. */
export interface ConnectionHost {
  send(data: Uint8Array, to: PeerAddress): void;
  /** Monotonic milliseconds. */
  now(): number;
  /** Runs `fn` soon, after the current batch of datagrams (deferred ACKs). */
  later(fn: () => void): void;
  /** The acceptor side was verified (its peer acked our STATE). */
  verified(conn: UtpConnection): void;
  /** The connection is finished and must be forgotten. */
  released(conn: UtpConnection): void;
}

/** What the stream above a connection receives. */
export interface ConnectionEvents {
  connected(): void;
  data(chunk: Uint8Array): void;
  /** The peer's FIN arrived in order (after its last data). */
  remoteEnd(): void;
  /** Queued bytes were packetized (the stream may call drain). */
  sent(): void;
  closed(err?: TorrentError): void;
}

/** Connection states. */
export type UtpState = 'syn_sent' | 'syn_recv' | 'connected' | 'closed';

interface OutPacket {
  seq: number;
  payload: Uint8Array;
  type: number;
  sentAt: number;
  tx: number;
  fastResent: boolean;
  /** Lost to a timeout: not counted in flight until sent again. */
  needResend: boolean;
}

const nowUs = (ms: number): number => Math.floor(ms * 1000) >>> 0;

/** A uTP connection (see the module notes). */
export class UtpConnection {
  state: UtpState;
  seqNr = 0;
  ackNr = 0;
  ackedSeq = 0;
  peerWnd = 0x100000;
  inflightBytes = 0;
  /** Bytes accepted from the stream but not yet in a packet. */
  queuedBytes = 0;
  events: ConnectionEvents | undefined;
  /** Bytes the stream holds undelivered (counted against our window). */
  heldBytes = (): number => 0;
  readonly rtt: RttEstimator;
  readonly ledbat: Ledbat;
  readonly createdAt: number;
  /** Outbound, or inbound and acked by the peer. */
  verified: boolean;
  #initialSeq = 0;
  #queue: Uint8Array[] = [];
  #queueHead = 0;
  readonly #inflight = new Map<number, OutPacket>();
  #reorder: ReorderBuffer | undefined;
  #replyMicro = 0;
  #dupAcks = 0;
  #resendCount = 0;
  #lossSeq = 0;
  #timeouts = 0;
  #rtoDeadline = 0;
  #lastRecv: number;
  #lastSend: number;
  #lastDataSend = 0;
  #synSent = 0;
  #ackPending = false;
  #flushPending = false;
  #finQueued = false;
  #finSeq = -1;
  #finAcked = false;
  #eofSeq = -1;
  #remoteEnded = false;
  #closeDeadline = 0;
  #lastWndAdvertised = 0;

  constructor(
    private readonly host: ConnectionHost,
    readonly remote: PeerAddress,
    readonly recvId: number,
    readonly sendId: number,
    private readonly opts: Required<UtpOptions>,
    readonly direction: 'in' | 'out',
  ) {
    this.state = direction === 'out' ? 'syn_sent' : 'syn_recv';
    this.verified = direction === 'out';
    this.createdAt = this.#lastRecv = this.#lastSend = host.now();
    this.rtt = new RttEstimator(opts.minRtoMs, 1000);
    this.ledbat = new Ledbat({ packetSize: opts.packetSize, targetDelayUs: opts.targetDelayMs * 1000, gainBytes: opts.gainBytes, maxCwnd: opts.maxCwnd });
  }

  // ---- opening --------------------------------------------------------------------------------------------

  /** Sends the SYN (dialer). */
  startDial(initialSeq: number): void {
    this.#initialSeq = initialSeq;
    this.seqNr = seqAdd(initialSeq, 1);
    this.ackedSeq = seqAdd(initialSeq, -1);
    this.#sendSyn();
  }

  /** Answers a SYN (acceptor, unverified until acked). */
  acceptSyn(syn: UtpPacket, initialSeq: number): void {
    this.#initialSeq = initialSeq;
    this.seqNr = initialSeq;
    this.ackedSeq = seqAdd(initialSeq, -1);
    this.ackNr = syn.seqNr;
    this.#noteRecv(syn);
    this.#sendState();
  }

  #sendSyn(): void {
    this.#synSent = this.host.now();
    this.#sendRaw({ type: ST_SYN, seqNr: this.#initialSeq, ackNr: 0 });
  }

  // ---- the stream's side ----------------------------------------------------------------------------------

  /** Queues bytes (kept by reference until packetized). */
  queue(data: Uint8Array): void {
    if (data.length === 0 || this.#finQueued || this.state === 'closed') {
      releaseBlock(data); // dropped: nobody reads it
      return;
    }
    this.#queue.push(data);
    this.queuedBytes += data.length;
    this.#scheduleFlush();
  }

  /** Queues our FIN after the data; `closeTimeoutMs` later the connection is reset if not closed. */
  end(): void {
    if (this.#finQueued || this.state === 'closed') return;
    this.#finQueued = true;
    this.#closeDeadline = this.host.now() + this.opts.closeTimeoutMs;
    this.#scheduleFlush();
  }

  /** The stream consumed held bytes: tell the peer when the window grew noticeably. */
  windowUpdate(): void {
    if (this.state !== 'connected') return;
    if (this.#window() >= this.#lastWndAdvertised + this.opts.packetSize * 4 || this.#lastWndAdvertised < this.opts.packetSize) this.#scheduleAck();
  }

  /** Sends a RESET and closes with `err` (no event when `silent`). */
  reset(err?: TorrentError, silent = false): void {
    if (this.state === 'closed') return;
    if (this.state !== 'syn_sent') this.#sendRaw({ type: ST_RESET, seqNr: this.seqNr, ackNr: this.ackNr });
    this.#finish(err, silent);
  }

  // ---- packets from the peer ------------------------------------------------------------------------------

  /** Handles one packet addressed to this connection. */
  onPacket(p: UtpPacket): void {
    if (this.state === 'closed') return;
    if (p.type === ST_RESET) return this.#onReset(p);
    if (this.state === 'syn_sent') {
      if (p.type !== ST_STATE && p.type !== ST_DATA) return;
      if (p.ackNr !== this.#initialSeq) return;
      this.state = 'connected';
      this.ackedSeq = this.#initialSeq;
      this.ackNr = seqAdd(p.seqNr, -1);
      this.#noteRecv(p);
      this.events?.connected();
      this.#sendState(); // proves to the acceptor that we saw its sequence number
      if (p.type === ST_STATE) return;
    } else if (this.state === 'syn_recv') {
      if (p.type === ST_SYN) {
        this.#sendState(); // a retransmitted SYN: one reply of the same size
        return;
      }
      if (seqDiff(p.ackNr, seqAdd(this.#initialSeq, -1)) < 0 || seqDiff(p.ackNr, this.seqNr) > 0) return;
      this.state = 'connected';
      this.verified = true;
      this.host.verified(this);
    } else if (p.type === ST_SYN) {
      this.#sendState();
      return;
    }
    this.#noteRecv(p);
    this.peerWnd = p.wndSize;
    this.#onAck(p);
    if (p.type === ST_DATA || p.type === ST_FIN) this.#onSequenced(p);
    this.#checkClosed();
  }

  #noteRecv(p: UtpPacket): void {
    const now = this.host.now();
    this.#lastRecv = now;
    this.#replyMicro = (nowUs(now) - p.timestamp) >>> 0;
  }

  #onReset(p: UtpPacket): void {
    const valid = this.state === 'syn_sent'
      ? p.ackNr === this.#initialSeq
      : seqDiff(p.ackNr, this.seqNr) <= 0 && seqDiff(p.ackNr, seqAdd(this.ackedSeq, -64)) >= 0;
    if (!valid) return;
    if (this.#remoteEnded && this.#finSeq >= 0) return this.#finish(undefined);
    this.#finish(new TorrentError('connection_failed', `utp connection to ${this.remote.host}:${this.remote.port} reset by peer`, { details: { host: this.remote.host, port: this.remote.port, transport: 'utp' } }));
  }

  #onAck(p: UtpPacket): void {
    const now = this.host.now();
    const before = this.inflightBytes;
    let acked = 0;
    const last = seqAdd(this.seqNr, -1);
    const ahead = seqDiff(p.ackNr, this.ackedSeq);
    if (ahead > 0 && seqDiff(p.ackNr, last) <= 0) {
      for (let s = seqAdd(this.ackedSeq, 1), i = 0; i < ahead; i++, s = seqAdd(s, 1)) acked += this.#ackOne(s, now);
      this.ackedSeq = p.ackNr;
      this.#dupAcks = 0;
    } else if (ahead === 0 && p.type === ST_STATE && this.#inflight.size > 0) {
      if (++this.#dupAcks === 3) this.#fastResend(seqAdd(this.ackedSeq, 1));
    }
    if (p.sack && seqDiff(p.ackNr, this.ackedSeq) <= 0) {
      // Any length (libtorrent's masks are not word-sized, see packet.ts). Holes with 3 selectively acked
      // packets above them are resent lowest first, so the receiver can deliver as soon as possible.
      let sackedAbove = 0;
      const holes: number[] = [];
      const bits = p.sack.length * 8;
      for (let i = bits - 1; i >= -1; i--) {
        const s = seqAdd(p.ackNr, 2 + i);
        if (i >= 0 && ((p.sack[i >> 3] ?? 0) & (1 << (i & 7))) !== 0) {
          if (seqDiff(s, last) <= 0 && seqDiff(s, this.ackedSeq) > 0) acked += this.#ackOne(s, now);
          sackedAbove++;
        } else if (sackedAbove >= 3 && this.#inflight.has(s)) {
          holes.push(s);
        }
      }
      for (let k = holes.length - 1; k >= 0; k--) this.#fastResend(holes[k] as number);
    }
    if (p.timestampDiff !== 0) this.ledbat.onDelaySample(p.timestampDiff, now);
    if (acked > 0) {
      this.ledbat.onAck(acked, before);
      this.#timeouts = 0;
      this.#rtoDeadline = this.#inflight.size > 0 ? now + this.rtt.rto : 0;
    }
    if (this.#finSeq >= 0 && !this.#finAcked && seqDiff(this.ackedSeq, this.#finSeq) >= 0) this.#finAcked = true;
    this.#flush();
  }

  /** Acks one outstanding packet; returns its payload size (0 when it was not outstanding). */
  #ackOne(seq: number, now: number): number {
    const op = this.#inflight.get(seq);
    if (op === undefined) return 0;
    this.#inflight.delete(seq);
    if (op.needResend) this.#resendCount--;
    else this.inflightBytes -= op.payload.length;
    if (op.tx === 1) this.rtt.sample(Math.max(0, now - op.sentAt));
    return op.payload.length || 1;
  }

  #fastResend(seq: number): void {
    const op = this.#inflight.get(seq);
    if (op === undefined || op.fastResent || op.needResend) return;
    op.fastResent = true;
    if (seqDiff(seq, this.#lossSeq) > 0) {
      this.ledbat.onLoss();
      this.#lossSeq = seqAdd(this.seqNr, -1);
    }
    this.#transmit(op);
  }

  #onSequenced(p: UtpPacket): void {
    const next = seqAdd(this.ackNr, 1);
    const d = seqDiff(p.seqNr, next);
    if (p.type === ST_FIN) {
      if (this.#eofSeq < 0 && d >= 0) this.#eofSeq = p.seqNr;
    }
    if (d === 0) {
      if (p.payload.length > 0 && !this.#accept(p.payload, true)) return this.#scheduleAck();
      if (p.type === ST_DATA) {
        this.ackNr = p.seqNr;
        if (p.payload.length > 0) this.events?.data(p.payload);
      } else if (p.payload.length > 0) {
        // A FIN's own payload, the stream's last bytes (ackNr moves in #drainReorder); a copy held from an
        // earlier, out-of-order arrival of the same FIN is dropped so the bytes are delivered once.
        this.#reorder?.take(p.seqNr);
        this.events?.data(p.payload);
      }
      this.#drainReorder(); // also consumes the FIN once everything before it arrived
    } else if (d > 0 && (p.type === ST_DATA ? this.#eofSeq < 0 || seqDiff(p.seqNr, this.#eofSeq) < 0 : p.payload.length > 0)) {
      if (this.#accept(p.payload, false)) {
        this.#reorder ??= new ReorderBuffer(this.opts.reorderCapacity);
        this.#reorder.insert(p.seqNr, next, p.payload);
      }
    }
    this.#scheduleAck();
  }

  /** True when the receive budget allows `payload` (in-order packets get one window of slack). */
  #accept(payload: Uint8Array, inOrder: boolean): boolean {
    const used = this.heldBytes() + (this.#reorder?.bytes ?? 0) + payload.length;
    return used <= this.opts.recvBufferSize + (inOrder ? this.opts.packetSize * 8 : 0);
  }

  #drainReorder(): void {
    for (;;) {
      const next = seqAdd(this.ackNr, 1);
      if (this.#eofSeq >= 0 && next === this.#eofSeq) {
        const last = this.#reorder?.take(next); // the FIN's payload, when it came early and carried one
        this.ackNr = next;
        if (last !== undefined && !this.#remoteEnded) this.events?.data(last);
        if (!this.#remoteEnded) {
          this.#remoteEnded = true;
          this.#reorder?.clear();
          this.events?.remoteEnd();
        }
        return;
      }
      const chunk = this.#reorder?.take(next);
      if (chunk === undefined) return;
      this.ackNr = next;
      this.events?.data(chunk);
    }
  }

  // ---- sending ----------------------------------------------------------------------------------------------

  #window(): number {
    return Math.max(0, this.opts.recvBufferSize - this.heldBytes() - (this.#reorder?.bytes ?? 0));
  }

  #scheduleAck(): void {
    if (this.#ackPending) return;
    this.#ackPending = true;
    this.host.later(() => {
      if (!this.#ackPending) return;
      this.#ackPending = false;
      if (this.state === 'connected') this.#sendState();
    });
  }

  #scheduleFlush(): void {
    if (this.#flushPending) return;
    this.#flushPending = true;
    queueMicrotask(() => {
      this.#flushPending = false;
      this.#flush();
      this.#checkClosed();
    });
  }

  #sendState(): void {
    this.#sendRaw({ type: ST_STATE, seqNr: this.seqNr, ackNr: this.ackNr });
  }

  #sendRaw(f: { type: number; seqNr: number; ackNr: number }): void {
    const now = this.host.now();
    const wnd = this.#window();
    this.#lastWndAdvertised = wnd;
    const sack = f.type === ST_STATE && this.#reorder !== undefined ? this.#reorder.sack(this.ackNr) : undefined;
    const id = f.type === ST_SYN ? this.recvId : this.sendId;
    this.#lastSend = now;
    this.host.send(encodePacket({ type: f.type, connectionId: id, timestamp: nowUs(now), timestampDiff: this.#replyMicro, wndSize: wnd, seqNr: f.seqNr, ackNr: f.ackNr, sack }), this.remote);
  }

  /** Packetizes queued bytes (and the FIN) as the congestion and receive windows allow. */
  #flush(): void {
    if (this.state !== 'connected') return;
    const mss = this.opts.packetSize;
    let sentAny = false;
    if (this.#resendCount > 0) {
      // Go-back-N after a timeout: resend what was lost, oldest first, as the window allows.
      for (const op of this.#inflight.values()) {
        if (!op.needResend) continue;
        if (this.inflightBytes + op.payload.length > Math.min(this.ledbat.cwnd, this.peerWnd) && this.inflightBytes > 0) break;
        op.needResend = false;
        this.#resendCount--;
        this.inflightBytes += op.payload.length;
        this.#transmit(op);
        if (this.#resendCount === 0) break;
      }
      if (this.#resendCount > 0) return;
    }
    while (this.#inflight.size < this.opts.maxInflightPackets) {
      const win = Math.min(this.ledbat.cwnd, this.peerWnd);
      if (this.queuedBytes > 0) {
        const size = Math.min(mss, this.queuedBytes);
        if (this.inflightBytes + size > win && this.#inflight.size > 0) break;
        if (size > this.peerWnd) break; // zero-window: the tick sends a probe
        this.#sendData(this.#take(size));
        sentAny = true;
      } else if (this.#finQueued && this.#finSeq < 0) {
        this.#finSeq = this.seqNr;
        this.#sendPacket(ST_FIN, new Uint8Array(0));
        break;
      } else break;
    }
    if (sentAny) this.events?.sent();
  }

  #take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const c = this.#queue[0] as Uint8Array;
      const k = Math.min(n - at, c.length - this.#queueHead);
      out.set(c.subarray(this.#queueHead, this.#queueHead + k), at);
      at += k;
      this.#queueHead += k;
      if (this.#queueHead === c.length) {
        this.#queue.shift();
        this.#queueHead = 0;
        releaseBlock(c); // copied into packets (src/interfaces/block-release.ts)
      }
    }
    this.queuedBytes -= n;
    return out;
  }

  #sendData(payload: Uint8Array): void {
    this.#sendPacket(ST_DATA, payload);
  }

  #sendPacket(type: number, payload: Uint8Array): void {
    const op: OutPacket = { seq: this.seqNr, payload, type, sentAt: 0, tx: 0, fastResent: false, needResend: false };
    this.seqNr = seqAdd(this.seqNr, 1);
    this.#inflight.set(op.seq, op);
    this.inflightBytes += payload.length;
    this.#transmit(op);
  }

  #transmit(op: OutPacket): void {
    const now = this.host.now();
    op.sentAt = now;
    op.tx++;
    const wnd = this.#window();
    this.#lastWndAdvertised = wnd;
    const buf = new Uint8Array(HEADER_SIZE + op.payload.length);
    writeHeader(buf, { type: op.type, connectionId: this.sendId, timestamp: nowUs(now), timestampDiff: this.#replyMicro, wndSize: wnd, seqNr: op.seq, ackNr: this.ackNr });
    buf.set(op.payload, HEADER_SIZE);
    if (this.#reorder === undefined || this.#reorder.count === 0) this.#ackPending = false; // the ack rides along
    this.#lastSend = this.#lastDataSend = now;
    if (this.#rtoDeadline === 0) this.#rtoDeadline = now + this.rtt.rto;
    this.host.send(buf, this.remote);
  }

  // ---- timers -----------------------------------------------------------------------------------------------

  /** Runs timeouts: SYN resends, connect timeout, RTO, zero-window probes, keepalive, dead peers, close timeout. */
  tick(now: number): void {
    const o = this.opts;
    if (this.state === 'closed') return;
    if (this.state === 'syn_sent') {
      if (now - this.createdAt >= o.connectTimeoutMs) return this.#finish(new TorrentError('timeout', `utp connect to ${this.remote.host}:${this.remote.port} timed out after ${o.connectTimeoutMs} ms`, { details: { host: this.remote.host, port: this.remote.port, transport: 'utp', timeoutMs: o.connectTimeoutMs } }));
      if (now - this.#synSent >= Math.min(4000, 1000 * 2 ** this.#timeouts)) {
        this.#timeouts++;
        this.#sendSyn();
      }
      return;
    }
    if (this.state === 'syn_recv') {
      if (now - this.createdAt >= o.halfOpenTimeoutMs) this.#finish(undefined, true);
      return;
    }
    if (this.#closeDeadline > 0 && now >= this.#closeDeadline) return this.reset(new TorrentError('timeout', 'utp close timed out', { details: { transport: 'utp' } }));
    if (now - this.#lastRecv >= o.idleTimeoutMs) return this.reset(new TorrentError('timeout', `utp peer ${this.remote.host}:${this.remote.port} went silent`, { details: { transport: 'utp' } }));
    if (this.#inflight.size > 0 && this.#rtoDeadline > 0 && now >= this.#rtoDeadline) {
      if (++this.#timeouts > o.maxTimeouts) return this.reset(new TorrentError('timeout', `utp peer ${this.remote.host}:${this.remote.port} stopped acknowledging`, { details: { transport: 'utp' } }));
      this.ledbat.onTimeout(o.packetSize);
      for (const op of this.#inflight.values()) {
        op.fastResent = false;
        if (!op.needResend) {
          op.needResend = true;
          this.#resendCount++;
          this.inflightBytes -= op.payload.length;
        }
      }
      this.#rtoDeadline = now + Math.min(30_000, this.rtt.rto * 2 ** this.#timeouts);
      const keep = this.#rtoDeadline;
      this.#flush();
      this.#rtoDeadline = keep;
      return;
    }
    if (this.#inflight.size === 0 && this.queuedBytes > 0 && this.peerWnd < Math.min(o.packetSize, this.queuedBytes) && now - this.#lastDataSend >= this.rtt.rto) {
      this.#sendData(this.#take(Math.min(o.packetSize, this.queuedBytes))); // zero-window probe
      this.events?.sent();
      return;
    }
    if (now - this.#lastSend >= o.keepaliveMs) this.#sendState();
  }

  #checkClosed(): void {
    if (this.state === 'connected' && this.#finAcked && this.#remoteEnded) {
      if (this.#ackPending) this.#sendState(); // the peer's FIN ack must not wait for a task we will skip
      this.#finish(undefined);
    }
  }

  #finish(err: TorrentError | undefined, silent = false): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.#inflight.clear();
    this.#resendCount = 0;
    for (const c of this.#queue) releaseBlock(c); // dropped unsent
    this.#queue = [];
    this.queuedBytes = 0;
    this.inflightBytes = 0;
    this.#reorder = undefined;
    this.host.released(this);
    if (!silent) this.events?.closed(err);
  }

  /** Diagnostics: window, RTT and queue figures. */
  snapshot(): Record<string, number | string | boolean> {
    return {
      state: this.state, seqNr: this.seqNr, ackNr: this.ackNr, ackedSeq: this.ackedSeq, inflight: this.#inflight.size,
      inflightBytes: this.inflightBytes, queuedBytes: this.queuedBytes, cwnd: Math.round(this.ledbat.cwnd), peerWnd: this.peerWnd,
      ourWnd: this.#window(), rtt: this.rtt.rtt, rto: this.rtt.rto, timeouts: this.#timeouts, reorder: this.#reorder?.count ?? 0,
      held: this.heldBytes(), rtoIn: this.#rtoDeadline === 0 ? -1 : Math.round(this.#rtoDeadline - this.host.now()),
    };
  }

  /** True once our FIN is queued or sent. */
  get ending(): boolean {
    return this.#finQueued;
  }
  /** True once the peer's FIN arrived in order. */
  get remoteEnded(): boolean {
    return this.#remoteEnded;
  }
}
