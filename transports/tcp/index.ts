/** The TCP transport (Node only): node:net sockets adapted to PeerStream. See transports/README.md. */
export { createTcpTransport } from './tcp-transport.js';
export type { ListeningTransport, TcpTransportOptions } from './tcp-transport.js';
export { SocketReader, socketToPeerStream, TcpPeerStream } from './socket-stream.js';
export type { SocketStreamOptions } from './socket-stream.js';
export { mapSocketError } from './errors.js';
