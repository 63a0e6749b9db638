/**
 * The uTP transport (BEP 29, LEDBAT). Runtime-neutral core; `bindUtpTransport` (node.ts) is the Node-only
 * helper that binds its own UDP socket. See transports/utp/README.md.
 */
export { createUtpTransport } from './utp-transport.js';
export type { UtpTransport, UtpTransportOptions } from './utp-transport.js';
export { UTP_DEFAULTS, resolveUtpOptions } from './options.js';
export type { UtpOptions } from './options.js';
export type { UtpStats } from './socket-manager.js';
export { decodePacket, encodePacket, seqAdd, seqDiff, seqLess, ST_DATA, ST_FIN, ST_STATE, ST_RESET, ST_SYN } from './packet.js';
export type { UtpPacket, UtpPacketFields } from './packet.js';
