/**
 * The in-process transport: a runtime-neutral pair with real backpressure and optional fault injection.
 * The test double for every layer above the transports (see transports/README.md).
 */
export { createMemoryTransport, defaultMemoryNetwork, MemoryNetwork } from './network.js';
export type { MemoryTransportHandle, MemoryTransportOptions } from './network.js';
export { memoryStreamPair, MemoryPeerStream } from './stream.js';
export type { MemoryLinkOptions, MemoryStreamPairOptions } from './stream.js';
