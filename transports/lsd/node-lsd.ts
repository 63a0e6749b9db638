/**
 * Local Service Discovery for Node: the runtime-neutral {@link LsdAnnouncer} (src/lsd) driven by real
 * multicast sockets ({@link openLsdSocket}) and one interval timer.
 *
 * - `enabled: false` (the session's `enableLsd` setting) opens no socket and starts no timer; the service
 *   then accepts torrents and does nothing.
 * - IPv4 is required when asked for (a bind / join failure rejects with `listen_failed`); IPv6 is best
 *   effort: a failure to join is reported through `onError` and LSD runs on IPv4 alone.
 * - Send errors (no route to the group, interface down) go to `onError`; LSD is lossy by design.
 * - `close()` stops the timer and closes the sockets; nothing is left open.
 */
import { LsdAnnouncer } from '../../src/lsd/lsd-announcer.js';
import type { LsdAnnouncerOptions } from '../../src/lsd/lsd-announcer.js';
import { openLsdSocket } from './lsd-socket.js';
import type { LsdSocket } from './lsd-socket.js';

/** Options for {@link startLsd}. */
export interface NodeLsdOptions extends Omit<LsdAnnouncerOptions, 'families' | 'groupPort'> {
  /** Run LSD at all [true]; `false` mirrors `enableLsd: false`. */
  enabled?: boolean;
  /** Join the IPv4 group [true]. */
  ipv4?: boolean;
  /** Try the IPv6 group as well [false]. */
  ipv6?: boolean;
  /** IPv4 interface address for membership and sending (e.g. '127.0.0.1'). */
  interfaceV4?: string;
  /** IPv6 interface (e.g. '::%eth0'). */
  interfaceV6?: string;
  /** LSD port [6771] (tests use another to stay off a real LAN's traffic). */
  lsdPort?: number;
  /** Test hook: send announces to this unicast address instead of the group. */
  target?: { host: string; port: number };
  /** Period of the announcer's tick [1000 ms]. */
  tickMs?: number;
  /** Multicast TTL [1]. */
  ttl?: number;
  /** A local peer announced one of our torrents. */
  onPeer(infoHash: string, peer: { host: string; port: number }): void;
  /** Non-fatal errors (IPv6 unavailable, a send failed). */
  onError?(err: Error): void;
}

/** A running (or disabled) LSD service. */
export interface NodeLsd {
  /** False when started with `enabled: false`. */
  readonly enabled: boolean;
  /** The announcer (undefined when disabled). */
  readonly announcer: LsdAnnouncer | undefined;
  /** Families with an open socket. */
  readonly families: readonly (4 | 6)[];
  addTorrent(infoHash: Uint8Array | string): void;
  removeTorrent(infoHash: Uint8Array | string): void;
  /** Announces one torrent now (subject to the announcer's floor); false when refused or disabled. */
  announceNow(infoHash: Uint8Array | string): boolean;
  setListenPort(port: number): void;
  close(): Promise<void>;
}

const disabled: NodeLsd = {
  enabled: false,
  announcer: undefined,
  families: [],
  addTorrent() {},
  removeTorrent() {},
  announceNow: () => false,
  setListenPort() {},
  close: () => Promise.resolve(),
};

/** Starts LSD on real sockets. See the module notes. */
export async function startLsd(opts: NodeLsdOptions): Promise<NodeLsd> {
  if (opts.enabled === false) return disabled;
  const onError = (err: unknown): void => opts.onError?.(err instanceof Error ? err : new Error(String(err)));
  const port = opts.lsdPort ?? 6771;
  const sockets = new Map<4 | 6, LsdSocket>();
  if (opts.ipv4 ?? true) {
    sockets.set(4, await openLsdSocket({
      family: 4, port, ...(opts.interfaceV4 === undefined ? {} : { interface: opts.interfaceV4 }),
      ...(opts.target === undefined ? {} : { target: opts.target }), ...(opts.ttl === undefined ? {} : { ttl: opts.ttl }),
    }));
  }
  if (opts.ipv6 ?? false) {
    try {
      sockets.set(6, await openLsdSocket({
        family: 6, port, ...(opts.interfaceV6 === undefined ? {} : { interface: opts.interfaceV6 }),
        ...(opts.ttl === undefined ? {} : { ttl: opts.ttl }),
      }));
    } catch (err) {
      onError(err);
    }
  }
  const families = [...sockets.keys()];
  const announcer = new LsdAnnouncer(
    {
      send: (d, family) => void sockets.get(family)?.send(d).catch(onError),
      now: () => Date.now(),
      onPeer: (ih, peer) => opts.onPeer(ih, peer),
    },
    { ...opts, families, groupPort: port },
  );
  for (const s of sockets.values()) {
    s.setSink({ message: (data, from) => void announcer.receive(data, from), close: (err) => err && onError(err) });
  }
  const timer = setInterval(() => announcer.tick(), opts.tickMs ?? 1000);
  timer.unref();
  let closing: Promise<void> | undefined;
  return {
    enabled: true,
    announcer,
    families,
    addTorrent: (ih) => {
      announcer.addTorrent(ih);
      announcer.tick();
    },
    removeTorrent: (ih) => announcer.removeTorrent(ih),
    announceNow: (ih) => announcer.announceNow(ih),
    setListenPort: (p) => announcer.setListenPort(p),
    close: () => {
      closing ??= (async () => {
        clearInterval(timer);
        await Promise.all([...sockets.values()].map((s) => s.close()));
      })();
      return closing;
    },
  };
}
