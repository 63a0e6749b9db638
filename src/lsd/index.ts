/** BEP 14 Local Service Discovery: runtime-neutral codec and announcer (the Node sockets are transports/lsd). */
export * from './lsd-codec.js';
export * from './lsd-announcer.js';
