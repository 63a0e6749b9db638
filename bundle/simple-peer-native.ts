/**
 * What `simple-peer` resolves to in the browser bundle (vite.lib.config.ts aliases it here), so the
 * WebRTC transport's default `import('simple-peer')` yields {@link NativePeer} instead of simple-peer's
 * Node entry (which needs Node's events/process/buffer/stream). See native-peer.ts.
 */
export { NativePeer as default } from './native-peer.js';
