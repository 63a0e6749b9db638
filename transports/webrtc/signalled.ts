/**
 * A {@link Transport} (dial / listen) over a {@link WebRtcTransport} and a {@link Signaller} that carries one
 * offer to an addressed peer and brings its answer back. Useful wherever signalling can be addressed
 * (an in-process hub in tests, a relay over an existing peer connection); the WebSocket tracker signals
 * by swarm instead and drives WebRtcTransport directly.
 *
 * `dial` = createOffer → signaller.exchange → connect(answer). `dialTimeoutMs` covers the offer and the
 * signalling round trip (the analogue of a TCP SYN going unanswered); once answered, ICE, DTLS and the
 * channel opening run under the transport's `connectTimeoutMs`. Both give `timeout`; the caller's
 * AbortSignal gives `aborted`; any failure destroys the half-made peer.
 */
import { TorrentError, isTorrentError } from '../../src/errors.js';
import type { Listener, PeerAddress, PeerStream, Transport } from '../../src/interfaces/transport.js';
import type { SessionDescription } from './peer-types.js';
import { WebRtcTransport } from './webrtc-transport.js';
import type { WebRtcTransportOptions } from './webrtc-transport.js';

/** Carries offers to addressed peers. */
export interface Signaller {
  /**
   * Sends `offer` to `to` and resolves its answer. Rejects with `connection_failed` when nobody is
   * reachable there; must stop (and reject with `aborted`) when `signal` fires.
   */
  exchange(to: PeerAddress, offer: SessionDescription, signal: AbortSignal): Promise<SessionDescription>;
  /** Starts answering offers addressed to us, through `onOffer`. */
  listen(onOffer: (offer: SessionDescription, from: PeerAddress) => Promise<SessionDescription>): Promise<{ address: PeerAddress; close(): Promise<void> }>;
}

/** Options for {@link createSignalledWebRtcTransport}. */
export interface SignalledWebRtcOptions extends WebRtcTransportOptions {
  /** Timeout for the offer and the signalling round trip (until the answer). Default 25 000 ms. */
  dialTimeoutMs?: number;
}

/** Creates a dial/listen WebRTC transport over `signaller`. */
export function createSignalledWebRtcTransport(signaller: Signaller, opts: SignalledWebRtcOptions = {}): Transport {
  const rtc = new WebRtcTransport(opts);
  const dials = new Set<AbortController>();
  const listeners = new Set<Listener>();
  const streams = new Set<PeerStream>();
  let closed = false;

  const track = (s: PeerStream): PeerStream => {
    streams.add(s);
    (s as { onEnded?: (fn: () => void) => void }).onEnded?.(() => streams.delete(s));
    return s;
  };

  return {
    name: 'webrtc',
    canDial: (addr) => addr.transport === 'webrtc',
    async dial(addr, { signal }) {
      if (signal.aborted) throw new TorrentError('aborted', 'dial aborted');
      if (closed) throw new TorrentError('connection_failed', 'transport closed');
      const ac = new AbortController();
      dials.add(ac);
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        ac.abort();
      }, opts.dialTimeoutMs ?? 25_000);
      const onAbort = (): void => ac.abort();
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        const out = await rtc.createOffer({ signal: ac.signal, remote: addr });
        try {
          const answer = await signaller.exchange(addr, out.offer, ac.signal);
          if (ac.signal.aborted) throw new TorrentError('aborted', 'dial aborted');
          clearTimeout(timer); // answered: ICE and the channel now run under the transport's connectTimeoutMs
          return track(await out.connect(answer, { signal: ac.signal }));
        } finally {
          out.cancel();
        }
      } catch (err) {
        if (timedOut) throw new TorrentError('timeout', 'WebRTC dial timed out', { cause: err });
        if (ac.signal.aborted) throw new TorrentError('aborted', 'dial aborted', { cause: err });
        throw isTorrentError(err) ? err : new TorrentError('connection_failed', 'WebRTC dial failed', { cause: err });
      } finally {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        dials.delete(ac);
      }
    },
    async listen(onStream) {
      if (closed) throw new TorrentError('listen_failed', 'transport closed');
      let open = true;
      const reg = await signaller.listen(async (offer, from) => {
        if (!open) throw new TorrentError('connection_failed', 'not listening');
        const { answer, stream } = await rtc.acceptOffer(offer, { remote: from });
        stream.then((s) => {
          if (open && !closed) onStream(track(s));
          else s.destroy();
        }, () => {});
        return answer;
      });
      const listener: Listener = {
        address: reg.address,
        close: async () => {
          if (!open) return;
          open = false;
          listeners.delete(listener);
          await reg.close();
        },
      };
      listeners.add(listener);
      return listener;
    },
    async close() {
      closed = true;
      for (const d of dials) d.abort();
      await Promise.all([...listeners].map((l) => l.close()));
      for (const s of streams) s.destroy(new TorrentError('connection_failed', 'transport closed'));
      await rtc.close();
    },
  };
}
