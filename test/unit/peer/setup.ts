/** Shared setup for peer tests: connected PeerConnection pairs and scripted remotes over memory streams. */
import { memoryStreamPair } from '../../../transports/memory/index.js';
import type { MemoryStreamPairOptions } from '../../../transports/memory/index.js';
import { PeerConnection } from '../../../src/peer/index.js';
import type { PeerCloseReason, PeerConnectionOptions, PeerSettings } from '../../../src/peer/index.js';
import type { PeerStream } from '../../../src/interfaces/transport.js';
import { ScriptedPeer } from '../../helpers/scripted-peer.js';
import { TestOwner } from './test-owner.js';
import type { TestOwnerOptions } from './test-owner.js';

export const ID_A = Uint8Array.from({ length: 20 }, (_, i) => 0xa0 + i);
export const ID_B = Uint8Array.from({ length: 20 }, (_, i) => 0x50 + i);
export const ID_REMOTE = Uint8Array.from({ length: 20 }, (_, i) => 0x10 + i);

/** Short timers so tests run fast; long enough not to fire by accident. */
export const FAST_SETTINGS: Partial<PeerSettings> = { handshakeTimeoutMs: 2000, peerTimeoutMs: 5000, keepAliveIntervalMs: 2500 };

/** Waits until `pred()` holds (polling each macrotask), or throws after `ms`. */
export async function until(pred: () => boolean, ms = 2000, what = 'condition'): Promise<void> {
  const end = performance.now() + ms;
  while (!pred()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Two real connections over a memory pair: `a` dialed (owner A), `b` accepted and routed (owner B). */
export async function connectedPair(
  ownerA: TestOwner,
  ownerB: TestOwner,
  opts: { link?: MemoryStreamPairOptions; settingsA?: Partial<PeerSettings>; settingsB?: Partial<PeerSettings> } = {},
): Promise<{ a: PeerConnection; b: PeerConnection; sa: PeerStream; sb: PeerStream }> {
  const { a: sa, b: sb } = memoryStreamPair({ addressA: { host: '10.0.0.1', port: 6881 }, addressB: { host: '10.0.0.2', port: 6882 }, ...opts.link });
  const a = new PeerConnection(sa, { peerId: ID_A, owner: ownerA, settings: { ...FAST_SETTINGS, ...opts.settingsA } });
  const b = new PeerConnection(sb, {
    peerId: ID_B,
    router: (ih) => (ih.every((x, i) => x === ownerB.infoHash[i]) ? ownerB : undefined),
    settings: { ...FAST_SETTINGS, ...opts.settingsB },
  });
  await until(() => a.phase === 'connected' && b.phase === 'connected', 2000, 'both handshakes');
  return { a, b, sa, sb };
}

/** A real connection on one side of a memory pair and a scripted remote on the other. */
export function scripted(
  owner: TestOwner | undefined,
  opts: {
    direction?: 'out' | 'in';
    settings?: Partial<PeerSettings>;
    link?: MemoryStreamPairOptions;
    router?: PeerConnectionOptions['router'];
    peerId?: Uint8Array;
    pieceCount?: number;
  } = {},
): { peer: PeerConnection; remote: ScriptedPeer; closed: Promise<PeerCloseReason> } {
  const { a, b } = memoryStreamPair({ addressA: { host: '10.0.0.1', port: 6881 }, addressB: { host: '10.0.0.2', port: 6882 }, ...opts.link });
  const incoming = (opts.direction ?? 'in') === 'in';
  const ours = incoming ? b : a;
  const theirs = incoming ? a : b;
  const settings = { ...FAST_SETTINGS, ...opts.settings };
  const peerId = opts.peerId ?? ID_A;
  const peer = incoming
    ? new PeerConnection(ours, { peerId, settings, router: opts.router ?? ((ih) => (owner && ih.every((x, i) => x === owner.infoHash[i]) ? owner : undefined)) })
    : new PeerConnection(ours, { peerId, settings, owner: owner! });
  const pc = opts.pieceCount ?? owner?.count;
  const remote = new ScriptedPeer(theirs, pc === undefined ? {} : { pieceCount: pc });
  return { peer, remote, closed: peer.closed };
}

/** A scripted remote that completes the handshake (fast + extended by default) and waits until connected. */
export async function scriptedConnected(
  owner: TestOwner,
  opts: Parameters<typeof scripted>[1] & { fast?: boolean; extended?: boolean } = {},
): Promise<ReturnType<typeof scripted>> {
  const s = scripted(owner, opts);
  s.remote.handshake({ infoHash: owner.infoHash, peerId: ID_REMOTE, fast: opts.fast ?? true, extended: opts.extended ?? true });
  await until(() => s.peer.phase === 'connected', 2000, 'connected');
  await s.remote.until(() => s.remote.remoteHandshake !== undefined, 2000, 'our handshake');
  return s;
}

export { TestOwner };
export type { TestOwnerOptions };
