/**
 * The timers of a connected peer, run from one housekeeping tick (no timer per message, no clock read per
 * chunk: the hot path only sets flags, the tick turns them into timestamps).
 *
 * - idle: nothing at all received for `peerTimeoutMs` → close `idle_timeout`;
 * - inactive: neither side interested and no payload either way for `inactivityTimeoutMs` → close `inactive`;
 * - keep-alive: nothing sent for `keepAliveIntervalMs` → send one;
 * - stall: requests outstanding, the remote lets us download, no block for `stallTimeoutMs` → report once;
 * - bad-request counters decay by half per second, so only a persistent flood trips their limits.
 */
import type { PeerSettings } from './limits.js';
import { DOUBLE_ZERO } from '../double-zero.js';

/** What the tick decided. */
export const TICK_OK = 0;
export const TICK_IDLE = 1;
export const TICK_INACTIVE = 2;

/** Flags and timestamps for one connection's timers. */
export class Liveness {
  received = false;
  sent = false;
  payload = false;
  lastRecv: number;
  lastSend: number;
  lastPayload: number;
  /** When the current wait for a block started (last block, unchoke, or first request). */
  lastBlockAt: number;
  lastTick: number;
  stallReported = false;
  badFlood = DOUBLE_ZERO; // decay to fractions: double fields from the start (../double-zero.ts)
  badUnservable = DOUBLE_ZERO;

  constructor(now: number) {
    this.lastRecv = this.lastSend = this.lastPayload = this.lastBlockAt = this.lastTick = now;
  }

  /** Starts every clock at `now` (when the connection becomes connected). */
  reset(now: number): void {
    this.lastRecv = this.lastSend = this.lastPayload = this.lastBlockAt = this.lastTick = now;
    this.received = this.sent = this.payload = this.stallReported = false;
    this.badFlood = this.badUnservable = 0;
  }

  /** Restarts the stall clock (a block arrived, we got unchoked, or the first request went out). */
  waitFromNow(now: number): void {
    this.lastBlockAt = now;
    this.stallReported = false;
  }

  /** Folds the flags into timestamps and checks the close conditions. */
  check(now: number, s: Readonly<PeerSettings>, anyInterest: boolean): number {
    if (this.received) this.lastRecv = now;
    if (this.sent) this.lastSend = now;
    if (this.payload) this.lastPayload = now;
    this.received = this.sent = this.payload = false;
    const decay = Math.pow(0.5, (now - this.lastTick) / 1000);
    this.badFlood *= decay;
    this.badUnservable *= decay;
    this.lastTick = now;
    if (now - this.lastRecv >= s.peerTimeoutMs) return TICK_IDLE;
    if (s.inactivityTimeoutMs > 0 && !anyInterest && now - this.lastPayload >= s.inactivityTimeoutMs) return TICK_INACTIVE;
    return TICK_OK;
  }

  /** True when a keep-alive is due (and records it as sent). */
  keepAliveDue(now: number, s: Readonly<PeerSettings>): boolean {
    if (now - this.lastSend < s.keepAliveIntervalMs) return false;
    this.lastSend = now;
    return true;
  }

  /** How long we have waited for a block when a stall should be reported now, else -1. */
  stall(now: number, s: Readonly<PeerSettings>, outstanding: number, mayDownload: boolean): number {
    if (outstanding === 0 || !mayDownload || this.stallReported) return -1;
    const waited = now - this.lastBlockAt;
    if (waited < s.stallTimeoutMs) return -1;
    this.stallReported = true;
    return waited;
  }
}
