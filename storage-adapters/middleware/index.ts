/** Storage wrappers for tests: fault injection, latency, timing. */
export { faulty, slow, timing } from './middleware.js';
export type { FaultOptions, OpStats, SlowOptions, StorageOp, TimingAdapter } from './middleware.js';
