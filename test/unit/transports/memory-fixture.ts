// The memory transport's setup for the shared suite; used by the Node and the Chromium test files.
import { createMemoryTransport, MemoryNetwork } from '../../../transports/memory/index.js';
import type { TransportFixture, TransportSuiteOptions } from '../../suites/transport.suite.js';

/** Suite limits for the memory transport with its default 256 KiB high-water mark. */
export const memorySuiteOptions: TransportSuiteOptions = {
  maxAcceptedWhilePaused: 256 * 1024 + 64 * 1024,
  maxBufferedAmount: 256 * 1024 + 64 * 1024,
};

/** A fresh network with a dialing and a listening transport. */
export async function memoryFixture(opts: { connectTimeoutMs: number }): Promise<TransportFixture> {
  const net = new MemoryNetwork();
  const a = createMemoryTransport(net, { connectTimeoutMs: opts.connectTimeoutMs });
  const b = createMemoryTransport(net);
  return {
    a,
    b,
    addressOf: (l) => l.address,
    closedAddress: async () => ({ host: b.host, port: 9 }),
    blackhole: async () => {
      const host = net.allocateHost();
      net.blackhole(host);
      return { address: { host, port: 6881 }, close: async () => {} };
    },
    cleanup: async () => {
      await a.close();
      await b.close();
    },
  };
}
