/** Peer wire codec: handshake, message decoder and encoder, BEP 10 extension handshake. See WIRE.md. */
export * from './messages.js';
export * from './decoder.js';
export * from './encoder.js';
export * from './handshake.js';
export * from './extensions/extension-handshake.js';
export * from './hash-messages.js';
