/**
 * Test fixture: an in-process signalling hub implementing {@link Signaller}, so two WebRtcTransports in
 * one process can dial/listen by address. Hosts named `blackhole-*` swallow offers (no answer ever).
 */
import { TorrentError } from '../../../src/errors.js';
import type { PeerAddress } from '../../../src/interfaces/transport.js';
import type { SessionDescription, Signaller } from '../../../transports/webrtc/index.js';

type OnOffer = (offer: SessionDescription, from: PeerAddress) => Promise<SessionDescription>;

/** Routes offers between signallers made by {@link SignallingHub.signaller}. */
export class SignallingHub {
  readonly #routes = new Map<string, OnOffer>();
  #next = 0;

  /** A fresh unused address. */
  freeAddress(prefix = 'peer'): PeerAddress {
    return { host: `${prefix}-${++this.#next}`, port: 1, transport: 'webrtc' };
  }

  signaller(): Signaller {
    const self = this.freeAddress('dialer');
    return {
      exchange: (to, offer, signal) => new Promise<SessionDescription>((resolve, reject) => {
        const onAbort = (): void => reject(new TorrentError('aborted', 'signalling aborted'));
        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        if (to.host.startsWith('blackhole-')) return; // never answered
        const route = this.#routes.get(to.host);
        if (route === undefined) {
          signal.removeEventListener('abort', onAbort);
          return reject(new TorrentError('connection_failed', `nobody at ${to.host}`));
        }
        route(offer, self).then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
      }),
      listen: async (onOffer) => {
        const address = this.freeAddress('listener');
        this.#routes.set(address.host, onOffer);
        return { address, close: async () => void this.#routes.delete(address.host) };
      },
    };
  }
}
