/**
 * RTT / RTO estimation (as TCP, RFC 6298) and LEDBAT congestion control (RFC 6817, as BEP 29 uses it).
 * Runtime-neutral; times in milliseconds except delays, which are microseconds as on the wire.
 *
 * LEDBAT: the peer reports, in every packet, how long our last packet took to reach it
 * (timestamp_difference). Its minimum over the last two minutes is the base delay (propagation);
 * what exceeds it is queuing delay. Each ACK moves the window by
 *   gain * (target - queuing) / target * bytes_acked / cwnd
 * so the window grows while queues are short and shrinks once they pass the target (100 ms). Slow
 * start doubles the window per RTT until the first loss or until the delay nears the target. A loss
 * halves the window (once per window of data); a timeout drops it to one packet.
 */

/** Tunables (libtorrent's defaults where it has one). */
export interface LedbatOptions {
  /** Target queuing delay in microseconds. Default 100 000 (utp_target_delay 100 ms). */
  targetDelayUs?: number;
  /** Bytes the window may grow per RTT at zero queuing delay. Default 3000 (utp_gain_factor). */
  gainBytes?: number;
  /** Smallest window in bytes. Default 2 packets. */
  minCwnd?: number;
  /** Largest window in bytes. Default 4 MiB. */
  maxCwnd?: number;
  /** Packet size used for the minimum window and slow start. */
  packetSize: number;
}

/** RTT estimator with TCP's smoothing and a minimum RTO. */
export class RttEstimator {
  /** Smoothed RTT in ms (0 until the first sample). */
  rtt = 0;
  rttVar = 0;
  /** Current retransmission timeout in ms (before back-off). */
  rto: number;
  constructor(readonly minRto = 500, initialRto = 1000, readonly maxRto = 60_000) {
    this.rto = initialRto;
  }
  /** Adds one RTT sample (ms), from a packet sent exactly once (Karn's rule). */
  sample(ms: number): void {
    if (this.rtt === 0) {
      this.rtt = ms;
      this.rttVar = ms / 2;
    } else {
      this.rttVar += (Math.abs(this.rtt - ms) - this.rttVar) / 4;
      this.rtt += (ms - this.rtt) / 8;
    }
    this.rto = Math.min(this.maxRto, Math.max(this.minRto, this.rtt + 4 * this.rttVar));
  }
}

const MINUTE_MS = 60_000;

/** Minimum-delay history: one minimum per minute, two minutes kept (wrap-safe u32 microseconds). */
export class DelayHistory {
  #mins: number[] = [];
  #current = Number.POSITIVE_INFINITY;
  #bucketStart = -1;
  /** Adds a sample; returns the base delay (min over the history). */
  add(delayUs: number, nowMs: number): number {
    if (this.#bucketStart < 0) this.#bucketStart = nowMs;
    if (nowMs - this.#bucketStart >= MINUTE_MS) {
      this.#mins.push(this.#current);
      if (this.#mins.length > 2) this.#mins.shift();
      this.#current = Number.POSITIVE_INFINITY;
      this.#bucketStart = nowMs;
    }
    if (delayUs < this.#current) this.#current = delayUs;
    return this.base;
  }
  /** The base delay (Infinity before any sample). */
  get base(): number {
    let m = this.#current;
    for (const v of this.#mins) if (v < m) m = v;
    return m;
  }
}

/** The LEDBAT congestion window. */
export class Ledbat {
  /** Congestion window in bytes. */
  cwnd: number;
  /** Slow start ends at the first loss or when delay approaches the target. */
  slowStart = true;
  /** After a timeout, slow start runs again up to this window. */
  ssthresh = Number.POSITIVE_INFINITY;
  /** Most recent queuing delay estimate (µs). */
  queuingDelayUs = 0;
  readonly #target: number;
  readonly #gain: number;
  readonly #min: number;
  readonly #max: number;
  readonly #history = new DelayHistory();
  /** The last few delay samples; the smallest is used (filters jitter). */
  readonly #recent: number[] = [];

  constructor(opts: LedbatOptions) {
    this.#target = opts.targetDelayUs ?? 100_000;
    this.#gain = opts.gainBytes ?? 3000;
    this.#min = opts.minCwnd ?? 2 * opts.packetSize;
    this.#max = opts.maxCwnd ?? 4 * 1024 * 1024;
    this.cwnd = Math.min(this.#max, Math.max(this.#min, 4 * opts.packetSize));
  }

  /** Records a one-way delay sample (the peer's timestamp_difference, µs); 0 means "unknown". */
  onDelaySample(delayUs: number, nowMs: number): void {
    if (delayUs === 0) return;
    const base = this.#history.add(delayUs, nowMs);
    this.#recent.push(delayUs - base);
    if (this.#recent.length > 3) this.#recent.shift();
    this.queuingDelayUs = Math.min(...this.#recent);
  }

  /** Grows or shrinks the window for `ackedBytes` newly acknowledged with `inFlight` bytes outstanding before. */
  onAck(ackedBytes: number, inFlight: number): void {
    if (ackedBytes <= 0) return;
    const offTarget = (this.#target - this.queuingDelayUs) / this.#target;
    if (this.slowStart) {
      if (this.queuingDelayUs > this.#target * 0.9 || this.cwnd >= this.ssthresh) this.slowStart = false;
      else this.cwnd += ackedBytes;
    }
    if (!this.slowStart) {
      // Window-limited senders only grow when they actually use the window (RFC 6817 §2.4.2).
      if (offTarget > 0 && inFlight + ackedBytes < this.cwnd * 0.5) return this.#clamp();
      this.cwnd += (this.#gain * offTarget * ackedBytes) / this.cwnd;
    }
    this.#clamp();
  }

  /** A packet was lost (fast retransmit): halve the window and leave slow start. */
  onLoss(): void {
    this.slowStart = false;
    this.cwnd = this.cwnd / 2;
    this.#clamp();
  }

  /** A retransmission timeout: one packet's window. */
  onTimeout(packetSize: number): void {
    this.ssthresh = Math.max(this.#min, this.cwnd / 2);
    this.slowStart = true;
    this.cwnd = Math.max(packetSize, this.#min / 2);
  }

  #clamp(): void {
    if (this.cwnd < this.#min) this.cwnd = this.#min;
    if (this.cwnd > this.#max) this.cwnd = this.#max;
  }
}
