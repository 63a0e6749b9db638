/** The UDP datagram socket (Node only): node:dgram adapted to DatagramSocket. See udp-socket.ts. */
export { createUdpFactory, mapUdpError } from './udp-socket.js';
export type { UdpFactoryOptions } from './udp-socket.js';
