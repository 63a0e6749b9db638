/**
 * Parsing libtorrent's `listen_interfaces` setting: a comma-separated list of `host:port` items, IPv6
 * hosts in brackets (`[::]:6881`). A trailing `s` / `l` flag (ssl, local) is accepted and ignored.
 * Port 0 means any free port. Validation of the text itself is in settings.ts.
 */
import { TorrentError } from '../errors.js';

/** One interface to listen on. `host` has no brackets. */
export interface ListenInterface {
  readonly host: string;
  readonly port: number;
}

/** Splits a listen_interfaces string into host/port pairs (an empty string: listen nowhere). */
export function parseListenInterfaces(value: string): ListenInterface[] {
  const out: ListenInterface[] = [];
  if (value.trim() === '') return out;
  for (const raw of value.split(',')) {
    const item = raw.trim();
    const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+):(\d{1,5})[sl]*$/.exec(item);
    if (!m) throw new TorrentError('invalid_setting', `listenInterfaces: "${item}" is not host:port`);
    const port = Number(m[2]);
    if (port > 65535) throw new TorrentError('invalid_setting', `listenInterfaces: port ${port} out of range`);
    const host = m[1]!.startsWith('[') ? m[1]!.slice(1, -1) : m[1]!;
    out.push({ host, port });
  }
  return out;
}
