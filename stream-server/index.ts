/**
 * swarmkit's Node stream server: serves torrent files over HTTP with Range support while they download.
 * See http-server.ts for the routes and security rules; the runtime-neutral parts live in src/stream/.
 */
export { createStreamServer } from './http-server.js';
export type { StreamServer, StreamServerOptions } from './http-server.js';
export { createReadStream } from './node-readable.js';
export { HostAllowList } from './host-check.js';
