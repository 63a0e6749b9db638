// What the issue 5 composition (a downloading page: Session, WebRtcTransport, WebSocketTrackerClient and
// WebSocketPool from the browser build, tree-shaken by Vite) loads up front, and what only on first use.
// Sizes are the bundle bench's job (test/bench/bundle-size.bench.ts); this checks the module lists, so a
// static import that drags a feature back into the initial load fails here.
import { beforeAll, describe, expect, test } from 'vitest';
import { compositionEntry, splitModuleIds } from '../../bench/bundle-size.bench.js';

let initial: string[] = [];
let lazy: string[] = [];
/** Repository-relative paths of the modules in `ids` whose path ends with one of `suffixes`. */
const matching = (ids: string[], suffixes: string[]): string[] => ids.filter((id) => suffixes.some((s) => id.endsWith(s)));

beforeAll(async () => {
  const split = await splitModuleIds({ entry: compositionEntry(), minify: true });
  initial = [...split.initial];
  lazy = [...split.lazy];
}, 120_000);

describe('the browser composition', () => {
  test('the core is in the initial load', () => {
    expect(matching(initial, ['/src/session/session.ts', '/src/torrent/torrent.ts', '/src/tracker/websocket.ts'])).toHaveLength(3);
  });

  test('the IP filter class, its range tables and blocklist parsers are not in the build at all', () => {
    const ipFilter = ['/src/session/ip-filter.ts', '/src/session/ip-range-table.ts', '/src/session/ip-blocklist.ts', '/src/session/ip-address.ts'];
    expect(matching(initial, ipFilter)).toEqual([]);
    expect(matching(lazy, ipFilter)).toEqual([]);
  });

  test('BEP 52 hash serving and the hash message codec load on first use', () => {
    const bep52 = ['/src/torrent/discovery/hash-server.ts', '/src/wire/hash-messages.ts', '/src/torrent/discovery/piece-layers.ts'];
    expect(matching(initial, bep52)).toEqual([]);
    expect(matching(lazy, bep52)).toHaveLength(3);
  });

  test('the ut_metadata server and its codec load on first use (with the magnet phase)', () => {
    const bep9 = ['/src/wire/extensions/ut-metadata-server.ts', '/src/wire/extensions/ut-metadata-codec.ts'];
    expect(matching(initial, bep9)).toEqual([]);
    expect(matching(lazy, bep9)).toHaveLength(2);
  });

  test('the announcer (http / udp trackers) and the HTTP tracker client load on first use, in one chunk', () => {
    const trackers = ['/src/tracker/announcer.ts', '/src/tracker/http.ts', '/src/torrent/discovery/torrent-announcer.ts'];
    expect(matching(initial, trackers)).toEqual([]);
    expect(matching(lazy, trackers)).toHaveLength(3);
    expect(matching(initial, ['/src/tracker/websocket.ts', '/src/torrent/discovery/websocket-trackers.ts'])).toHaveLength(2);
  });
});
