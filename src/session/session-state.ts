/**
 * Session state (libtorrent's session_state / write_session_params): a bencoded dict
 * `{ settings: { name: value }, dht: { id, nodes, nodes6 } }`. Booleans are stored as 0 / 1.
 *
 * Reading is tolerant: the bytes are decoded by our strict bdecode (typed errors for bytes that are not
 * bencoding); inside a valid dict, unknown settings, values of the wrong type and out-of-range values are
 * skipped one by one and reported in `skipped`, never thrown, so a state written by another version loads.
 */
import { TorrentError } from '../errors.js';
import { bdecode, bencode } from '../metainfo/bencode.js';
import type { BDict, BValue } from '../metainfo/bencode.js';
import type { DhtState } from '../dht/settings.js';
import { defaultSettings, validateSettings } from './settings.js';
import type { SettingsPack } from './settings.js';

/** What a state holds once read. */
export interface LoadedSessionState {
  settings: Partial<SettingsPack>;
  dht?: { id?: Uint8Array; nodes?: Uint8Array; nodes6?: Uint8Array };
  /** Settings that were present but unusable (unknown name, wrong type, out of range). */
  skipped: string[];
}

/** Largest state accepted (a DHT table of a few thousand nodes is well under this). */
const MAX_STATE_BYTES = 4 * 1024 * 1024;

/** Encodes settings and the DHT state. */
export function encodeSessionState(settings: Readonly<SettingsPack>, dht: DhtState | undefined): Uint8Array {
  const s = new Map<string, BValue>();
  for (const [k, v] of Object.entries(settings)) {
    if (typeof v === 'boolean') s.set(k, v ? 1 : 0);
    else if (typeof v === 'number' && Number.isSafeInteger(v)) s.set(k, v);
    else if (typeof v === 'string') s.set(k, new TextEncoder().encode(v));
  }
  const top = new Map<string, BValue>([['settings', s]]);
  if (dht) top.set('dht', new Map<string, BValue>([['id', dht.id], ['nodes', dht.nodes], ['nodes6', dht.nodes6]]));
  return bencode(top);
}

const isDict = (v: BValue | undefined): v is BDict => v instanceof Map;

/** Decodes a state; throws a typed bdecode error, or `invalid_argument` when the top level is not a dict. */
export function decodeSessionState(bytes: Uint8Array): LoadedSessionState {
  if (!(bytes instanceof Uint8Array)) throw new TorrentError('invalid_argument', 'session state must be a Uint8Array');
  if (bytes.length > MAX_STATE_BYTES) throw new TorrentError('invalid_argument', `session state larger than ${MAX_STATE_BYTES} bytes`);
  const top = bdecode(bytes);
  if (!isDict(top)) throw new TorrentError('invalid_argument', 'session state is not a dictionary');
  const out: LoadedSessionState = { settings: {}, skipped: [] };
  const s = top.get('settings');
  if (isDict(s)) {
    const defaults = defaultSettings as unknown as Record<string, unknown>;
    for (const [name, raw] of s) {
      const def = defaults[name];
      let value: unknown;
      if (typeof def === 'boolean' && typeof raw === 'number') value = raw !== 0;
      else if (typeof def === 'number' && typeof raw === 'number') value = raw;
      else if (typeof def === 'string' && raw instanceof Uint8Array) value = new TextDecoder('utf-8', { fatal: false }).decode(raw);
      try {
        if (value === undefined) throw new Error('type');
        Object.assign(out.settings, validateSettings({ [name]: value } as Partial<SettingsPack>));
      } catch {
        out.skipped.push(name);
      }
    }
  }
  const d = top.get('dht');
  if (isDict(d)) {
    const bytesOf = (k: string): Uint8Array | undefined => {
      const v = d.get(k);
      return v instanceof Uint8Array ? v : undefined;
    };
    const id = bytesOf('id');
    const nodes = bytesOf('nodes');
    const nodes6 = bytesOf('nodes6');
    out.dht = { ...(id && id.length === 20 ? { id } : {}), ...(nodes ? { nodes } : {}), ...(nodes6 ? { nodes6 } : {}) };
  }
  return out;
}
