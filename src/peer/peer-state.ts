/**
 * The observable state of one wire peer, kept by {@link PeerConnection} (its subclass): choke and interest
 * flags both ways, what the remote has, BEP 6 sets, the extension handshake, counters and rates.
 * Commands and the protocol live in peer-connection.ts.
 */
import type { DecodedExtensionHandshake, Handshake } from '../wire/index.js';
import { RateMeter } from '../picker/rate.js';
import { RemotePieces } from './remote-pieces.js';
import { DOUBLE_ZERO } from '../double-zero.js';

/** Read-only view of a peer's state (fields are written only by the connection). */
export class PeerState {
  /** We choke the remote (we start choking). */
  amChoking = true;
  /** We are interested in the remote. */
  amInterested = false;
  /** The remote chokes us. */
  peerChoking = true;
  /** The remote is interested in us. */
  peerInterested = false;
  /** The remote's 20-byte peer id, once its handshake arrived. */
  peerId: Uint8Array | undefined;
  /** The remote's handshake (reserved bits, flags). */
  remoteHandshake: Handshake | undefined;
  /** BEP 6 negotiated (both sides). */
  fast = false;
  /** BEP 10 negotiated (both sides). */
  extended = false;
  /** The remote's last extension handshake. */
  extensionHandshake: DecodedExtensionHandshake | undefined;
  /** Pieces we may request while choked (BEP 6, from the remote). */
  readonly allowedFastIn = new Set<number>();
  /** Pieces the remote may request while we choke it (BEP 6, sent by us). */
  readonly allowedFastOut = new Set<number>();
  /** Pieces the remote suggested, oldest first (bounded). */
  readonly suggested: number[] = [];
  /** Payload bytes received / sent (double fields from the start: they pass 2^31; ../double-zero.ts). */
  downloaded = DOUBLE_ZERO;
  uploaded = DOUBLE_ZERO;
  /** Bytes of blocks that matched no request of ours (dropped). */
  unsolicitedBytes = 0;

  /** @internal What the remote has. */
  protected pieces = new RemotePieces(undefined);
  /** @internal Payload rate meters. */
  protected readonly down = new RateMeter();
  /** @internal */
  protected readonly up = new RateMeter();
  /** @internal The clock. */
  protected readonly now: () => number;

  constructor(now: () => number) {
    this.now = now;
  }

  /** A copy of the remote's bitfield bytes as we know them (undefined before any). */
  get bitfield(): Uint8Array | undefined {
    return this.pieces.bytes;
  }
  /** The remote said have-all (or its bitfield was full when checked). */
  get isSeed(): boolean {
    return this.pieces.isSeed;
  }
  /** True when the remote has piece `index`. */
  peerHas(index: number): boolean {
    return this.pieces.has(index);
  }
  /** How many requests the remote accepts (its `reqq`; 250 when it did not say). */
  get remoteReqq(): number {
    return this.extensionHandshake?.reqq ?? 250;
  }
  /** Payload download rate from this peer, bytes/s. */
  downloadRate(now = this.now()): number {
    return this.down.rate(now);
  }
  /** Payload upload rate to this peer, bytes/s. */
  uploadRate(now = this.now()): number {
    return this.up.rate(now);
  }
  /** True when the remote supports extension `name` (per its extension handshake). */
  supportsExtension(name: string): boolean {
    const id = this.extensionHandshake?.m.get(name);
    return id !== undefined && id > 0;
  }
}
