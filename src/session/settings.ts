/**
 * SettingsPack: libtorrent's settings_pack names in camelCase with libtorrent 2.0's defaults (checked
 * against python3-libtorrent 2.0.8's `default_settings()`), except where noted: `userAgent` and
 * `peerFingerprint` name this library, not libtorrent.
 *
 * Settings of parts not built yet (UPnP, rate limits) are stored and validated now and read by those
 * parts when they land. `listenInterfaces`, `enableDht`, `enableLsd` and the DHT settings are read once,
 * when the session starts (the DHT node and LSD service are made then).
 */
import { TorrentError } from '../errors.js';
import { alertCategory } from './alert-category.js';

/** Every setting the session knows, with libtorrent's names in camelCase. */
export interface SettingsPack {
  /** Comma-separated `host:port` list to listen on; `[v6]:port` for IPv6; port 0 = any free port. */
  listenInterfaces: string;
  /** HTTP User-Agent for trackers and web seeds. */
  userAgent: string;
  /** Peer-id prefix, Azureus style (`-XXvvvv-`), at most 20 bytes. */
  peerFingerprint: string;
  /** Which alert categories are queued (libtorrent default: errors only). */
  alertMask: number;
  /** Maximum queued alerts before alerts_dropped. */
  alertQueueSize: number;
  /** Global peer connection limit. */
  connectionsLimit: number;
  /** Queueing limits for auto-managed torrents (-1 = unlimited). */
  activeDownloads: number;
  activeSeeds: number;
  activeLimit: number;
  /** Torrents checking their files at the same time. */
  activeChecking: number;
  /** Upload slots (unchoked peers). -1 = unlimited. */
  unchokeSlotsLimit: number;
  /** How seeds pick peers to unchoke: `round_robin` (libtorrent's default) or `fastest_upload`. */
  seedChokingAlgorithm: 'round_robin' | 'fastest_upload';
  /** Connections per torrent (libtorrent's per-torrent max_connections; swarmkit makes the default a setting). */
  maxConnectionsPerTorrent: number;
  enableDht: boolean;
  enableLsd: boolean;
  enableUpnp: boolean;
  enableNatpmp: boolean;
  enableIncomingTcp: boolean;
  enableOutgoingTcp: boolean;
  enableIncomingUtp: boolean;
  enableOutgoingUtp: boolean;
  /** Disk I/O concurrency. */
  aioThreads: number;
  /** Hashing worker threads (Node's default hash pool). */
  hashingThreads: number;
  /** Memory for checking files, in 16 KiB blocks (bounds the pieces in flight while checking). */
  checkingMemUsage: number;
  /** Peers remembered per torrent. */
  maxPeerlistSize: number;
  /** Seconds before an outstanding block request times out. */
  requestTimeout: number;
  /** Seconds of silence before a peer is disconnected. */
  peerTimeout: number;
  peerConnectTimeout: number;
  handshakeTimeout: number;
  inactivityTimeout: number;
  /** Seconds a piece may stay partially downloaded before its requests are redistributed. */
  pieceTimeout: number;
  minReconnectTime: number;
  maxFailcount: number;
  /** Connection attempts per second. */
  connectionSpeed: number;
  /** Bytes/s, 0 = unlimited. */
  downloadRateLimit: number;
  uploadRateLimit: number;
  maxOutRequestQueue: number;
  maxAllowedInRequestQueue: number;
  allowMultipleConnectionsPerIp: boolean;
  /** Peers asked of a tracker. */
  numWant: number;
  announceToAllTrackers: boolean;
  announceToAllTiers: boolean;
  trackerCompletionTimeout: number;
  trackerReceiveTimeout: number;
  stopTrackerTimeout: number;
  /** Largest info dictionary accepted from peers (ut_metadata). */
  maxMetadataSize: number;
  maxPieceCount: number;
  dhtBootstrapNodes: string;
  dhtAnnounceInterval: number;
  /** BEP 42: refuse DHT nodes whose id does not match their IP (turn off only for loopback tests). */
  dhtEnforceNodeId: boolean;
  /** One DHT routing-table entry per IP (off only for loopback tests). */
  dhtRestrictRoutingIps: boolean;
  /** One DHT lookup candidate per IP (off only for loopback tests). */
  dhtRestrictSearchIps: boolean;
  /** DHT queries per second from one IP before it is blocked (0 = no limit). */
  dhtBlockRatelimit: number;
  /** Outgoing DHT bytes per second (0 = no limit). */
  dhtUploadRateLimit: number;
  localServiceAnnounceInterval: number;
  /** Milliseconds between two ut_pex messages to one peer (BEP 11: 60 000; a swarmkit setting, shorter in tests). */
  pexIntervalMs: number;
  maxPexPeers: number;
  urlseedTimeout: number;
  urlseedWaitRetry: number;
  banWebSeeds: boolean;
  closeRedundantConnections: boolean;
  useParoleMode: boolean;
  strictEndGameMode: boolean;
  anonymousMode: boolean;
  validateHttpsTrackers: boolean;
  ssrfMitigation: boolean;
  /** Milliseconds between session ticks (rates, timeouts). */
  tickInterval: number;
  /**
   * Milliseconds a torrent stays interested in the peers it was downloading from after its last piece
   * deadline is cleared (a stream closed or moved), so the next seek does not wait an interested → unchoke
   * round trip. 0: drop interest at once. Not a libtorrent setting.
   */
  deadlineInterestLinger: number;
  autoManageInterval: number;
  maxPeerRecvBufferSize: number;
  sendBufferWatermark: number;
  shareRatioLimit: number;
  seedTimeLimit: number;
}

/** libtorrent 2.0's defaults (user agent and fingerprint name this library). */
export const defaultSettings: Readonly<SettingsPack> = Object.freeze({
  listenInterfaces: '0.0.0.0:6881,[::]:6881',
  userAgent: 'swarmkit/0.1.0',
  peerFingerprint: '-SK0010-',
  alertMask: alertCategory.error,
  alertQueueSize: 2000,
  connectionsLimit: 200,
  activeDownloads: 3,
  activeSeeds: 5,
  activeLimit: 500,
  activeChecking: 1,
  unchokeSlotsLimit: 8,
  seedChokingAlgorithm: 'round_robin',
  maxConnectionsPerTorrent: 100,
  enableDht: true,
  enableLsd: true,
  enableUpnp: true,
  enableNatpmp: true,
  enableIncomingTcp: true,
  enableOutgoingTcp: true,
  enableIncomingUtp: true,
  enableOutgoingUtp: true,
  aioThreads: 10,
  hashingThreads: 1,
  checkingMemUsage: 256,
  maxPeerlistSize: 3000,
  requestTimeout: 60,
  peerTimeout: 120,
  peerConnectTimeout: 15,
  handshakeTimeout: 10,
  inactivityTimeout: 600,
  pieceTimeout: 20,
  minReconnectTime: 60,
  maxFailcount: 3,
  connectionSpeed: 30,
  downloadRateLimit: 0,
  uploadRateLimit: 0,
  maxOutRequestQueue: 500,
  maxAllowedInRequestQueue: 2000,
  allowMultipleConnectionsPerIp: false,
  numWant: 200,
  announceToAllTrackers: false,
  announceToAllTiers: false,
  trackerCompletionTimeout: 30,
  trackerReceiveTimeout: 10,
  stopTrackerTimeout: 5,
  maxMetadataSize: 31_457_280,
  maxPieceCount: 2_097_152,
  dhtBootstrapNodes: 'dht.libtorrent.org:25401',
  dhtAnnounceInterval: 900,
  dhtEnforceNodeId: true,
  dhtRestrictRoutingIps: true,
  dhtRestrictSearchIps: true,
  dhtBlockRatelimit: 5,
  dhtUploadRateLimit: 8000,
  localServiceAnnounceInterval: 300,
  pexIntervalMs: 60_000,
  maxPexPeers: 50,
  urlseedTimeout: 20,
  urlseedWaitRetry: 30,
  banWebSeeds: true,
  closeRedundantConnections: true,
  useParoleMode: true,
  strictEndGameMode: true,
  anonymousMode: false,
  validateHttpsTrackers: true,
  ssrfMitigation: true,
  tickInterval: 500,
  deadlineInterestLinger: 10_000,
  autoManageInterval: 30,
  maxPeerRecvBufferSize: 2_097_152,
  sendBufferWatermark: 512_000,
  shareRatioLimit: 200,
  seedTimeLimit: 86_400,
});

type IntRule = { kind: 'int'; min: number; max: number };
type Rule = IntRule | { kind: 'bool' } | { kind: 'string'; check?: (v: string) => string | undefined };

const I32 = 0x7fffffff;
const int = (min: number, max = I32): IntRule => ({ kind: 'int', min, max });
const bool = { kind: 'bool' } as const;
const str = (check?: (v: string) => string | undefined): Rule => (check ? { kind: 'string', check } : { kind: 'string' });
/** Limits where libtorrent takes -1 for "unlimited". */
const limit = int(-1);

/** Checks a listen_interfaces string; returns a problem description or undefined. */
export function checkListenInterfaces(v: string): string | undefined {
  if (v.trim() === '') return undefined; // listen nowhere
  for (const raw of v.split(',')) {
    const item = raw.trim();
    const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+):(\d{1,5})[sl]*$/.exec(item);
    if (!m) return `"${item}" is not host:port`;
    const port = Number(m[2]);
    if (port > 65535) return `port ${port} out of range`;
  }
  return undefined;
}

const RULES: { readonly [K in keyof SettingsPack]: Rule } = {
  listenInterfaces: str(checkListenInterfaces),
  userAgent: str((v) => (v.length > 512 || /[\r\n]/.test(v) ? 'must be one line of at most 512 characters' : undefined)),
  peerFingerprint: str((v) => (new TextEncoder().encode(v).length > 20 ? 'must be at most 20 bytes' : undefined)),
  alertMask: int(-1, 0xffffffff),
  alertQueueSize: int(1, 10_000_000),
  connectionsLimit: int(1),
  activeDownloads: limit,
  activeSeeds: limit,
  activeLimit: limit,
  activeChecking: int(1, 1024),
  unchokeSlotsLimit: limit,
  seedChokingAlgorithm: str((v) => (v === 'round_robin' || v === 'fastest_upload' ? undefined : 'must be round_robin or fastest_upload')),
  maxConnectionsPerTorrent: int(1),
  enableDht: bool,
  enableLsd: bool,
  enableUpnp: bool,
  enableNatpmp: bool,
  enableIncomingTcp: bool,
  enableOutgoingTcp: bool,
  enableIncomingUtp: bool,
  enableOutgoingUtp: bool,
  aioThreads: int(1, 1024),
  hashingThreads: int(1, 1024),
  checkingMemUsage: int(1),
  maxPeerlistSize: int(0),
  requestTimeout: int(1),
  peerTimeout: int(1),
  peerConnectTimeout: int(1),
  handshakeTimeout: int(1),
  inactivityTimeout: int(1),
  pieceTimeout: int(1),
  minReconnectTime: int(0),
  maxFailcount: int(1),
  connectionSpeed: int(0),
  downloadRateLimit: int(0),
  uploadRateLimit: int(0),
  maxOutRequestQueue: int(1),
  maxAllowedInRequestQueue: int(1),
  allowMultipleConnectionsPerIp: bool,
  numWant: int(0),
  announceToAllTrackers: bool,
  announceToAllTiers: bool,
  trackerCompletionTimeout: int(1),
  trackerReceiveTimeout: int(1),
  stopTrackerTimeout: int(0),
  maxMetadataSize: int(1),
  maxPieceCount: int(1),
  dhtBootstrapNodes: str(),
  dhtAnnounceInterval: int(1),
  dhtEnforceNodeId: bool,
  dhtRestrictRoutingIps: bool,
  dhtRestrictSearchIps: bool,
  dhtBlockRatelimit: int(0),
  dhtUploadRateLimit: int(0),
  localServiceAnnounceInterval: int(1),
  pexIntervalMs: int(100, 3_600_000),
  maxPexPeers: int(0),
  urlseedTimeout: int(1),
  urlseedWaitRetry: int(0),
  banWebSeeds: bool,
  closeRedundantConnections: bool,
  useParoleMode: bool,
  strictEndGameMode: bool,
  anonymousMode: bool,
  validateHttpsTrackers: bool,
  ssrfMitigation: bool,
  tickInterval: int(1, 60_000),
  deadlineInterestLinger: int(0, 600_000),
  autoManageInterval: int(1),
  maxPeerRecvBufferSize: int(1),
  sendBufferWatermark: int(1),
  shareRatioLimit: int(0),
  seedTimeLimit: int(0),
};

function invalid(name: string, problem: string, value: unknown): TorrentError {
  return new TorrentError('invalid_setting', `setting ${name}: ${problem}`, {
    details: { setting: name, value: typeof value === 'object' ? '[object]' : String(value) },
  });
}

/**
 * Validates a partial settings pack: unknown names, wrong types and out-of-range values throw
 * TorrentError('invalid_setting') naming the setting. Returns a frozen copy of the valid entries.
 */
export function validateSettings(partial: Readonly<Partial<SettingsPack>>): Readonly<Partial<SettingsPack>> {
  if (partial === null || typeof partial !== 'object') throw invalid('(pack)', 'must be an object', partial);
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(partial)) {
    if (!Object.prototype.hasOwnProperty.call(RULES, name)) throw invalid(name, 'unknown setting', name);
    const rule = RULES[name as keyof SettingsPack];
    const value: unknown = (partial as Record<string, unknown>)[name];
    if (value === undefined) continue;
    if (rule.kind === 'bool') {
      if (typeof value !== 'boolean') throw invalid(name, 'must be a boolean', value);
    } else if (rule.kind === 'int') {
      if (typeof value !== 'number' || !Number.isInteger(value)) throw invalid(name, 'must be an integer', value);
      if (value < rule.min || value > rule.max) throw invalid(name, `must be in [${rule.min}, ${rule.max}]`, value);
    } else {
      if (typeof value !== 'string') throw invalid(name, 'must be a string', value);
      const problem = rule.check?.(value);
      if (problem !== undefined) throw invalid(name, problem, value);
    }
    out[name] = value;
  }
  return Object.freeze(out) as Readonly<Partial<SettingsPack>>;
}

/** The names of every known setting. */
export const settingNames: readonly (keyof SettingsPack)[] = Object.freeze(Object.keys(RULES) as (keyof SettingsPack)[]);
