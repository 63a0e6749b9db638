/**
 * A {@link DatagramSocket} view of the DHT's share of a shared UDP socket demultiplexer
 * (src/net/udp-demux.ts, `UdpDemux`): datagrams that look like bencoded dicts (first byte 'd', last
 * 'e') are claimed under the name `dht`; sends go out on the shared socket. Closing the view only
 * unregisters it — the shared socket stays open for uTP and UDP trackers.
 *
 * The demux is taken structurally ({@link DemuxLike}) so the DHT does not depend on the module.
 */
import type { DatagramSink, DatagramSocket } from '../interfaces/datagram.js';
import type { PeerAddress } from '../interfaces/transport.js';

/** The part of `UdpDemux` the DHT uses. */
export interface DemuxLike {
  readonly address: PeerAddress;
  register(
    name: string,
    classify: (data: Uint8Array, from: PeerAddress) => boolean,
    sink: { message(data: Uint8Array, from: PeerAddress): void; close?(err?: Error): void },
  ): () => void;
  send(data: Uint8Array, to: PeerAddress): Promise<void>;
}

/** True for a datagram that may be a KRPC message. */
export function looksLikeKrpc(d: Uint8Array): boolean {
  return d.length >= 2 && d[0] === 0x64 && d[d.length - 1] === 0x65;
}

/** Wraps the DHT's registration on `demux` as a DatagramSocket for `DhtNode`. */
export function dhtSocketFromDemux(demux: DemuxLike): DatagramSocket {
  let sink: DatagramSink | undefined;
  let unregister: (() => void) | undefined = demux.register('dht', looksLikeKrpc, {
    message: (d, from) => sink?.message(d, from),
    close: (err) => sink?.close(err),
  });
  return {
    get address(): PeerAddress {
      return demux.address;
    },
    send: (data, to) => demux.send(data, to),
    setSink(s) {
      sink = s;
    },
    close() {
      unregister?.();
      unregister = undefined;
      return Promise.resolve();
    },
  };
}
