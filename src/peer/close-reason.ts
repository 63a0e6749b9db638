/**
 * Why a peer connection closed. Every close carries a {@link PeerCloseKind} (what happened, for tests, stats and
 * ban decisions) and a `TorrentError` (a stable code and a human message, for alerts).
 */
import { TorrentError, isTorrentError } from '../errors.js';
import type { ErrorCode } from '../errors.js';

/** What ended a connection. */
export type PeerCloseKind =
  /** A wire protocol violation (decoder error, message order, out-of-range request, bad bitfield). */
  | 'protocol'
  /** The handshake was malformed, or an outgoing connection got a different info-hash back. */
  | 'handshake_failed'
  /** The whole handshake did not arrive within `handshakeTimeoutMs` (HOSTILE-INPUTS 21). */
  | 'handshake_timeout'
  /** An incoming handshake named a torrent we do not serve (HOSTILE-INPUTS 21). */
  | 'unknown_info_hash'
  /** The remote peer id equals ours: we connected to ourselves (HOSTILE-INPUTS 21). */
  | 'self_connection'
  /** Nothing received for `peerTimeoutMs` (HOSTILE-INPUTS 21). */
  | 'idle_timeout'
  /** Neither side interested and no payload for `inactivityTimeoutMs`. */
  | 'inactive'
  /** More requests than our advertised queue, persistently (HOSTILE-INPUTS 17). */
  | 'request_flood'
  /** Persistent requests for pieces we lack or while choked (HOSTILE-INPUTS 18). */
  | 'unservable_requests'
  /** The owner refused the peer after the handshake (duplicate, banned, connection limit, ...). */
  | 'rejected'
  /** The remote closed or reset the stream. */
  | 'remote_closed'
  /** An owner callback threw (HOSTILE-INPUTS 37: only this peer fails). */
  | 'owner_error'
  /** We closed it on purpose ({@link PeerConnection.close}). */
  | 'local';

/** The reason given to the owner's `onClose`, exactly once per connection. */
export interface PeerCloseReason {
  readonly kind: PeerCloseKind;
  /** Stable code and message. `error.cause` holds the underlying error, when there was one. */
  readonly error: TorrentError;
}

const DEFAULT_CODE: Record<PeerCloseKind, ErrorCode> = {
  protocol: 'invalid_message',
  handshake_failed: 'handshake_failed',
  handshake_timeout: 'timeout',
  unknown_info_hash: 'handshake_failed',
  self_connection: 'handshake_failed',
  idle_timeout: 'timeout',
  inactive: 'timeout',
  request_flood: 'invalid_message',
  unservable_requests: 'invalid_message',
  rejected: 'aborted',
  remote_closed: 'connection_failed',
  owner_error: 'connection_failed',
  local: 'aborted',
};

/**
 * A close reason. When `cause` is already a `TorrentError` and no message is given, it is used as is (a
 * decoder error keeps its `message_too_large` / `invalid_message` code).
 */
export function closeReason(kind: PeerCloseKind, message?: string, cause?: unknown): PeerCloseReason {
  if (message === undefined && isTorrentError(cause)) return { kind, error: cause };
  const text = message ?? (cause instanceof Error ? cause.message : kind.replace(/_/g, ' '));
  const code = isTorrentError(cause) ? cause.code : DEFAULT_CODE[kind];
  return { kind, error: new TorrentError(code, text, cause === undefined ? {} : { cause }) };
}
