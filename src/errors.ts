/**
 * Typed errors with stable codes. Every error the library raises on purpose is a {@link TorrentError};
 * match on `err.code`, never on the message text (messages may improve between releases).
 *
 * Codes are grouped by the layer that raises them. Add new codes here, never reuse or rename one.
 */
export type ErrorCode =
  // bencode (src/metainfo/bencode.ts)
  | 'bdecode_unexpected_eof'
  | 'bdecode_invalid_token'
  | 'bdecode_invalid_integer'
  | 'bdecode_invalid_string_length'
  | 'bdecode_depth_exceeded'
  | 'bdecode_token_limit_exceeded'
  | 'bdecode_size_limit_exceeded'
  | 'bdecode_unsorted_keys'
  | 'bdecode_duplicate_key'
  | 'bdecode_trailing_data'
  | 'bencode_invalid_value'
  // metainfo (src/metainfo/*)
  | 'torrent_invalid'
  | 'torrent_missing_info'
  | 'torrent_invalid_name'
  | 'torrent_invalid_length'
  | 'torrent_invalid_piece_length'
  | 'torrent_invalid_pieces'
  | 'torrent_too_many_pieces'
  | 'torrent_invalid_file_path'
  | 'torrent_invalid_file_tree'
  | 'torrent_invalid_piece_layers'
  | 'torrent_invalid_meta_version'
  | 'torrent_empty'
  | 'magnet_invalid'
  | 'magnet_invalid_info_hash'
  | 'magnet_parameter_too_long'
  // torrent creation
  | 'create_no_files'
  | 'create_invalid_piece_length'
  | 'create_invalid_option'
  | 'create_io_error'
  // IP filter
  | 'ip_invalid_address'
  | 'ip_invalid_range'
  | 'ipfilter_parse_error'
  | 'ip_filter_unavailable'
  // storage
  | 'storage_no_space'
  | 'storage_quota_exceeded'
  | 'storage_access_denied'
  | 'storage_not_found'
  | 'storage_out_of_range'
  | 'storage_closed'
  | 'storage_path_escape'
  | 'storage_io_error'
  // session / handles
  | 'invalid_handle'
  | 'duplicate_torrent'
  | 'session_closed'
  | 'invalid_setting'
  | 'invalid_argument'
  | 'metadata_not_available'
  | 'not_supported'
  | 'aborted'
  | 'timeout'
  // peer wire, trackers, DHT (later layers)
  | 'message_too_large'
  | 'invalid_message'
  | 'handshake_failed'
  | 'connection_failed'
  | 'listen_failed'
  | 'peer_banned'
  | 'tracker_error'
  | 'hash_failed'
  | 'hash_queue_full';

/** Options for {@link TorrentError}. */
export interface TorrentErrorOptions {
  /** The lower-level error that caused this one (an errno error, a DOMException, ...). */
  cause?: unknown;
  /** Machine-readable context: the offending offset, file index, limit, line number, ... */
  details?: Readonly<Record<string, string | number | boolean | undefined>>;
}

/** The one error class the library throws on purpose; `code` is stable across releases. */
export class TorrentError extends Error {
  override readonly name = 'TorrentError';
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, string | number | boolean | undefined>>;

  constructor(code: ErrorCode, message: string, options: TorrentErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** True when `err` is a {@link TorrentError}, optionally with the given code. */
export function isTorrentError(err: unknown, code?: ErrorCode): err is TorrentError {
  return err instanceof TorrentError && (code === undefined || err.code === code);
}
