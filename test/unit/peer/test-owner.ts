/**
 * A small in-memory torrent that owns peer connections in tests: real piece data, a real bitfield, storage
 * reads that can be held back (to test reads in flight), and a log of every owner event.
 */
import { performance } from 'node:perf_hooks';
import type { PeerConnection, PeerCloseReason, PeerOwner, PeerSettings } from '../../../src/peer/index.js';
import type { DecodedExtensionHandshake } from '../../../src/wire/index.js';

/** One recorded owner event. */
export interface OwnerEvent {
  type: string;
  peer: PeerConnection;
  args: readonly unknown[];
}

/** Options of a {@link TestOwner}. */
export interface TestOwnerOptions {
  infoHash?: Uint8Array;
  pieceLength?: number;
  pieceCount?: number;
  /** Total length (default pieceLength * pieceCount; a shorter last piece otherwise). */
  totalLength?: number;
  /** Which pieces we have: 'all', 'none', or a list. Default 'none'. */
  have?: 'all' | 'none' | readonly number[];
  /** Hide the metadata (magnet case) until `revealMetadata()`. */
  noMetadata?: boolean;
  extensions?: ReadonlyMap<string, number>;
  settings?: Partial<PeerSettings>;
  /** Hold reads until `releaseReads()`. */
  holdReads?: boolean;
}

/** The owner (torrent) side for peer tests. */
export class TestOwner implements PeerOwner {
  readonly infoHash: Uint8Array;
  readonly pieceLength: number;
  readonly count: number;
  readonly totalLength: number;
  readonly data: Uint8Array;
  readonly haves: Uint8Array;
  readonly events: OwnerEvent[] = [];
  readonly closes: { peer: PeerConnection; reason: PeerCloseReason }[] = [];
  readonly blocks: { index: number; begin: number; data: Uint8Array }[] = [];
  readonly peers = new Set<PeerConnection>();
  readsStarted = 0;
  readsInFlight = 0;
  maxReadsInFlight = 0;
  holdReads: boolean;
  #held: Array<() => void> = [];
  #metadata: boolean;
  readonly #ext: ReadonlyMap<string, number>;
  readonly #settings: Partial<PeerSettings> | undefined;
  /** Optional hooks a test sets to act inside callbacks. */
  hooks: Partial<Record<'onConnected' | 'onHave' | 'onBlock' | 'onPeerUnchoked' | 'onRequest', (peer: PeerConnection, ...args: number[]) => unknown>> = {};

  constructor(o: TestOwnerOptions = {}) {
    this.infoHash = o.infoHash ?? Uint8Array.from({ length: 20 }, (_, i) => i + 1);
    this.pieceLength = o.pieceLength ?? 32 * 1024;
    this.count = o.pieceCount ?? 8;
    this.totalLength = o.totalLength ?? this.pieceLength * this.count;
    this.data = Uint8Array.from({ length: this.totalLength }, (_, i) => (i * 31 + 7) & 0xff);
    this.haves = new Uint8Array((this.count + 7) >> 3);
    const have = o.have ?? 'none';
    const list = have === 'all' ? [...Array(this.count).keys()] : have === 'none' ? [] : have;
    for (const i of list) this.haves[i >> 3]! |= 0x80 >> (i & 7);
    this.#metadata = !o.noMetadata;
    this.#ext = o.extensions ?? new Map([['ut_metadata', 3], ['x_test', 7]]);
    this.#settings = o.settings;
    this.holdReads = o.holdReads ?? false;
  }

  #log(type: string, peer: PeerConnection, ...args: unknown[]): void {
    this.events.push({ type, peer, args });
  }
  /** Events of one type. */
  of(type: string): OwnerEvent[] {
    return this.events.filter((e) => e.type === type);
  }

  revealMetadata(): void {
    this.#metadata = true;
  }
  releaseReads(): void {
    this.holdReads = false;
    const h = this.#held;
    this.#held = [];
    for (const f of h) f();
  }

  // queries
  pieceCount(): number | undefined {
    return this.#metadata ? this.count : undefined;
  }
  pieceSize(index: number): number {
    return Math.min(this.pieceLength, this.totalLength - index * this.pieceLength);
  }
  havePiece(index: number): boolean {
    return ((this.haves[index >> 3] ?? 0) & (0x80 >> (index & 7))) !== 0;
  }
  bitfield(): Uint8Array | undefined {
    return this.#metadata ? this.haves.slice() : undefined;
  }
  metadataSize(): number | undefined {
    return this.#metadata ? 1234 : undefined;
  }
  extensions(): ReadonlyMap<string, number> {
    return this.#ext;
  }
  settings(): Partial<PeerSettings> {
    return this.#settings ?? {};
  }
  readBlock(index: number, begin: number, length: number): Promise<Uint8Array> {
    this.readsStarted++;
    this.readsInFlight++;
    this.maxReadsInFlight = Math.max(this.maxReadsInFlight, this.readsInFlight);
    const at = index * this.pieceLength + begin;
    const block = this.data.subarray(at, at + length);
    return new Promise((resolve) => {
      const done = (): void => {
        this.readsInFlight--;
        resolve(block);
      };
      if (this.holdReads) this.#held.push(done);
      else setImmediate(done);
    });
  }

  // events
  onConnected(peer: PeerConnection): boolean | void {
    this.peers.add(peer);
    this.#log('connected', peer);
    return this.hooks.onConnected?.(peer) as boolean | undefined;
  }
  onExtensionHandshake(peer: PeerConnection, hs: DecodedExtensionHandshake): void {
    this.#log('extensionHandshake', peer, hs);
  }
  onBitfield(peer: PeerConnection, bits: Uint8Array): void {
    this.#log('bitfield', peer, bits.slice());
  }
  onHaveAll(peer: PeerConnection): void {
    this.#log('haveAll', peer);
  }
  onHaveNone(peer: PeerConnection): void {
    this.#log('haveNone', peer);
  }
  onHave(peer: PeerConnection, index: number): void {
    this.#log('have', peer, index);
    this.hooks.onHave?.(peer, index);
  }
  onPeerChoked(peer: PeerConnection): void {
    this.#log('choked', peer);
  }
  onPeerUnchoked(peer: PeerConnection): void {
    this.#log('unchoked', peer);
    this.hooks.onPeerUnchoked?.(peer);
  }
  onPeerInterest(peer: PeerConnection, interested: boolean): void {
    this.#log('interest', peer, interested);
  }
  onBlock(peer: PeerConnection, index: number, begin: number, block: Uint8Array): void {
    this.blocks.push({ index, begin, data: block.slice() });
    this.#log('block', peer, index, begin, block.length);
    this.hooks.onBlock?.(peer, index, begin);
  }
  onRequest(peer: PeerConnection, index: number, begin: number, length: number): void {
    this.#log('request', peer, index, begin, length);
    this.hooks.onRequest?.(peer, index, begin, length);
  }
  onBlockSent(peer: PeerConnection, index: number, begin: number, length: number): void {
    this.#log('sent', peer, index, begin, length);
  }
  onReject(peer: PeerConnection, index: number, begin: number, length: number): void {
    this.#log('reject', peer, index, begin, length);
  }
  onAllowedFast(peer: PeerConnection, index: number): void {
    this.#log('allowedFast', peer, index);
  }
  onSuggest(peer: PeerConnection, index: number): void {
    this.#log('suggest', peer, index);
  }
  onExtended(peer: PeerConnection, name: string, payload: Uint8Array): void {
    this.#log('extended', peer, name, payload.slice());
  }
  onUnknownMessage(peer: PeerConnection, id: number, payload: Uint8Array): void {
    this.#log('unknown', peer, id, payload.slice());
  }
  onStall(peer: PeerConnection, outstanding: number, ms: number): void {
    this.#log('stall', peer, outstanding, ms, performance.now());
  }
  onClose(peer: PeerConnection, reason: PeerCloseReason): void {
    this.peers.delete(peer);
    this.closes.push({ peer, reason });
    this.#log('close', peer, reason);
  }

  /** The bytes of a block, from the torrent data. */
  block(index: number, begin: number, length: number): Uint8Array {
    const at = index * this.pieceLength + begin;
    return this.data.slice(at, at + length);
  }
}

/** Handles and timers active now, by type (Node). */
export function activeResources(): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) m.set(r, (m.get(r) ?? 0) + 1);
  return m;
}

/** Waits until no `types` resource exceeds its count in `baseline` (timers and sockets released), or throws. */
export async function expectNoLeaks(baseline: Map<string, number>, types = ['Timeout', 'TCPSocketWrap', 'TCPServerWrap'], ms = 2000): Promise<void> {
  const deadline = performance.now() + ms;
  for (;;) {
    const now = activeResources();
    const extra = types.filter((t) => (now.get(t) ?? 0) > (baseline.get(t) ?? 0));
    if (extra.length === 0) return;
    if (performance.now() > deadline) {
      throw new Error(`left behind: ${extra.map((t) => `${t} ${now.get(t)} > ${baseline.get(t) ?? 0}`).join(', ')}`);
    }
    await new Promise((r) => setImmediate(r));
  }
}
