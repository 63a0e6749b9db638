/** simple-peer's pre-built browser bundle (UMD, no typings): its default export is the constructor. */
declare module 'simple-peer/simplepeer.min.js' {
  const SimplePeer: unknown;
  export default SimplePeer;
}
