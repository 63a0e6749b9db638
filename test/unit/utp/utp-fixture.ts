// Loopback UDP helpers for the uTP transport tests: a suite fixture, a refusing address and a blackhole.
import { createUdpFactory } from '../../../transports/udp/index.js';
import { bindUtpTransport } from '../../../transports/utp/node.js';
import type { UtpOptions } from '../../../transports/utp/index.js';
import type { PeerAddress } from '../../../src/interfaces/transport.js';
import type { TransportFixture } from '../../suites/transport.suite.js';

/** A UDP socket that never answers: uTP dials there hang until their timeout. */
export async function udpBlackhole(host: string): Promise<{ address: PeerAddress; close(): Promise<void> }> {
  const s = await createUdpFactory().bind({ host, port: 0 });
  s.setSink({ message: () => undefined, close: () => undefined });
  return { address: { host, port: s.address.port }, close: () => s.close() };
}

/** The uTP setup for the shared suite on loopback `host`; `extra` tunes both transports. */
export function utpFixture(host: string, extra: UtpOptions = {}) {
  return async (opts: { connectTimeoutMs: number }): Promise<TransportFixture> => {
    const a = await bindUtpTransport({ ...extra, host, connectTimeoutMs: opts.connectTimeoutMs });
    const b = await bindUtpTransport({ ...extra, host });
    // A uTP socket that does not listen answers every SYN with a RESET: the "closed port" of uTP.
    const refusing = await bindUtpTransport({ host });
    return {
      a,
      b,
      addressOf: (l) => ({ host, port: l.address.port }),
      closedAddress: () => Promise.resolve({ host, port: refusing.address.port }),
      blackhole: () => udpBlackhole(host),
      cleanup: async () => {
        await a.close();
        await b.close();
        await refusing.close();
      },
    };
  };
}
