/**
 * Options of a Session (constructor and removeTorrent) and small helpers of the session's API: reading
 * a saved state's settings and 20-byte info-hash arguments.
 */
import { TorrentError } from '../errors.js';
import type { StorageAdapter } from '../interfaces/storage.js';
import type { Logger } from '../interfaces/logger.js';
import type { Transport } from '../interfaces/transport.js';
import type { DatagramFactory } from '../interfaces/datagram.js';
import type { HashPool } from '#platform/hash-pool';
import { fromHex } from '../metainfo/info-hash.js';
import { decodeSessionState } from './session-state.js';
import type { SettingsPack } from './settings.js';
import type { LsdFactory, UdpDiscovery } from './discovery.js';
import type { SessionWebRtcOptions } from './webrtc.js';
import type { WebSocketConstructor } from '../tracker/websocket-pool.js';

/** Where torrents' data goes: one adapter for all, or a factory called once per save path. */
export type StorageOption = StorageAdapter | ((savePath: string) => StorageAdapter);

/** Options of {@link Session}. */
export interface SessionOptions {
  /** Settings to apply over the defaults. */
  settings?: Partial<SettingsPack>;
  /** Default storage (the runtime entries set fs in Node, IndexedDB in browsers). */
  storage?: StorageOption;
  /** Hash pool to use (not closed by the session); default: one created on first need and closed by close(). */
  hashPool?: HashPool;
  logger?: Logger;
  /**
   * How peers are reached, tried in order (dials use the first whose `canDial` accepts the address);
   * those that can listen are listened on once, at construction. Closed by close(). Default: none in the
   * core (no peers), TCP on `listenInterfaces` in entry/node.ts.
   */
  transports?: readonly Transport[];
  /**
   * UDP for the DHT and UDP trackers (one socket, on the listen port). entry/node.ts passes
   * `withUdpDiscovery(createUdpFactory())` (transports/udp with src/session/udp-discovery.ts), which brings
   * the DHT and UDP tracker code along; a bare DatagramFactory makes the session load that code when it
   * binds (in Node; the browser bundle has none). Browsers have no UDP: leave it unset there.
   */
  datagram?: DatagramFactory | UdpDiscovery;
  /** Starts local service discovery (BEP 14) when `enableLsd`; entry/node.ts passes transports/lsd. */
  lsd?: LsdFactory;
  /** Resolves host names of DHT bootstrap nodes (src/ has no DNS); entry/node.ts passes node:dns. */
  resolve?: (host: string) => Promise<string[]>;
  /**
   * A state from {@link Session.saveState}: its settings apply under `settings` given here, its DHT id and
   * nodes seed the DHT. A corrupt state is ignored with a session_error alert.
   */
  state?: Uint8Array;
  /**
   * WebRTC peers through ws:// / wss:// (WebTorrent-compatible) trackers (src/session/webrtc.ts); or why
   * it is unavailable (ws trackers are then skipped with a tracker_warning). The runtime entries set it.
   */
  webrtc?: SessionWebRtcOptions | { readonly unavailable: string };
  /** WebSocket constructor for ws trackers; default the global WebSocket (entry/node.ts passes `ws`). */
  webSocket?: WebSocketConstructor;
}

/** Options of {@link Session.removeTorrent}. */
export interface RemoveOptions {
  /** Also delete the torrent's data (libtorrent's delete_files). */
  deleteFiles?: boolean;
}

/** A 20-byte info-hash from bytes or 40 hex digits. */
export function hash20(ih: Uint8Array | string): Uint8Array {
  if (typeof ih === 'string') {
    if (!/^[0-9a-fA-F]{40}$/.test(ih)) throw new TorrentError('invalid_argument', 'an info-hash is 40 hex digits');
    return fromHex(ih);
  }
  if (!(ih instanceof Uint8Array) || ih.length !== 20) throw new TorrentError('invalid_argument', 'an info-hash is 20 bytes');
  return ih;
}

/** Settings inside a saved state (ignored here when corrupt: SessionDiscovery reports it). */
export function stateSettings(state: Uint8Array | undefined): Partial<SettingsPack> {
  if (!state) return {};
  try {
    return decodeSessionState(state).settings;
  } catch {
    return {};
  }
}
