/** BEP 14 Local Service Discovery on Node multicast sockets (lsd-socket.ts) driving src/lsd's announcer (node-lsd.ts). */
export { openLsdSocket } from './lsd-socket.js';
export type { LsdSocket, LsdSocketOptions } from './lsd-socket.js';
export { startLsd } from './node-lsd.js';
export type { NodeLsd, NodeLsdOptions } from './node-lsd.js';
