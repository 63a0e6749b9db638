/** bittorrent-tracker ships no typings; the interop test types the few members it uses itself. */
declare module 'bittorrent-tracker/server' {
  const Server: unknown;
  export default Server;
}
