/**
 * What a torrent's swarm needs of its session's network layer (implemented by src/session/connections.ts):
 * our peer id, connection settings, dialing through the session's transports under the global limits,
 * and the session-wide blocks (IP filter, bans).
 */
import type { PeerAddress } from '../../interfaces/transport.js';
import type { PeerConnection, PeerOwner, PeerSettings } from '../../peer/index.js';
import type { SettingsPack } from '../../session/settings.js';

/** Why an address may not be contacted. */
export type BlockReason = 'ip_filter' | 'banned';

/** The session's network services, as seen by one torrent. */
export interface SwarmNet {
  /** Our 20-byte peer id (one per session, BEP 20 style). */
  readonly peerId: Uint8Array;
  /** Settings in effect (read at every use, so applySettings takes effect). */
  settings(): Readonly<SettingsPack>;
  /** Per-connection settings derived from the session settings. */
  peerSettings(): Partial<PeerSettings>;
  /** Whether some transport can reach `addr` (a syntactic check) and outgoing connections of its kind are enabled. */
  canDial(addr: PeerAddress): boolean;
  /** Whether the global connection limit leaves room for one more connection (dials in flight count). */
  hasRoom(): boolean;
  /** Why `host` is blocked, or undefined when it may be contacted. */
  blocked(host: string): BlockReason | undefined;
  /** Blocks `host` for the rest of the session (smart ban); closes its connections in every torrent. */
  ban(host: string): void;
  /**
   * Dials `addr` and binds a new connection to `owner`. Rejects with a TorrentError (`connection_failed`,
   * `timeout`, `aborted`, `not_supported` when no transport can reach it, `peer_banned` / `ip_blocked`).
   */
  dial(addr: PeerAddress, owner: PeerOwner, signal: AbortSignal): Promise<PeerConnection>;
  /**
   * `conn`, dialled by {@link SwarmNet.dial}, closed before the remote's handshake: true when another
   * transport should be tried at once (the next dial of the address starts there).
   */
  fallback?(conn: PeerConnection): boolean;
}
