import { DOUBLE_ZERO } from '../double-zero.js';

/**
 * A transfer-rate estimate with O(1) updates and no timers: an exponentially decaying byte count.
 * After a steady rate r bytes/s for several time constants, `rate()` ≈ r.
 */
export class RateMeter {
  private acc = DOUBLE_ZERO; // decays to fractions: a double field from the start (../double-zero.ts)
  private at: number | undefined;

  /** @param tauMs time constant of the decay, in ms (default 5000: about the last 5 seconds). */
  constructor(private readonly tauMs = 5000) {}

  private decay(now: number): void {
    if (this.at !== undefined && now > this.at) this.acc *= Math.exp(-(now - this.at) / this.tauMs);
    if (this.at === undefined || now > this.at) this.at = now;
  }

  /** Records `bytes` transferred at time `now` (ms). */
  add(bytes: number, now: number): void {
    this.decay(now);
    this.acc += bytes;
  }

  /** Bytes per second at time `now`. */
  rate(now: number): number {
    this.decay(now);
    return (this.acc * 1000) / this.tauMs + 0; // + 0: never -0 (acc starts at DOUBLE_ZERO)
  }
}
