// Loopback helpers for the TCP transport tests: a suite fixture, a refused port and a "blackhole" listener.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { createTcpTransport } from '../../../transports/tcp/index.js';
import type { PeerAddress } from '../../../src/interfaces/transport.js';
import type { TransportFixture } from '../../suites/transport.suite.js';

/** A port on `host` where nothing listens (bound, read, released). */
export async function closedPort(host: string): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// A listener with backlog 0 whose accept queue is filled by its own connections and never accepted:
// the kernel then drops further SYNs, so a connect hangs until the dialer's timeout.
const BLACKHOLE_PY = `
import socket, sys
fam = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.bind((sys.argv[1], 0)); s.listen(0)
port = s.getsockname()[1]
fill = []
for i in range(4):
    c = socket.socket(fam, socket.SOCK_STREAM); c.setblocking(False)
    try: c.connect((sys.argv[1], port))
    except BlockingIOError: pass
    fill.append(c)
import time; time.sleep(0.1)
print(port, flush=True)
sys.stdin.read()
`;

/** Starts a blackhole listener on `host` (127.0.0.1 or ::1) in a python3 child process. */
export async function blackhole(host: string): Promise<{ address: PeerAddress; close(): Promise<void> }> {
  const child = spawn('/usr/bin/python3', ['-c', BLACKHOLE_PY, host], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(Number.parseInt(out, 10));
    });
    child.once('exit', (code) => reject(new Error(`blackhole helper exited with ${code}`)));
  });
  return {
    address: { host, port },
    close: async () => {
      child.stdin.end();
      await exited;
    },
  };
}

/** The TCP setup for the shared suite on loopback `host`. */
export function tcpFixture(host: string) {
  return async (opts: { connectTimeoutMs: number }): Promise<TransportFixture> => {
    const a = createTcpTransport({ listenHost: host, connectTimeoutMs: opts.connectTimeoutMs });
    const b = createTcpTransport({ listenHost: host });
    return {
      a,
      b,
      addressOf: (l) => ({ host, port: l.address.port }),
      closedAddress: async () => ({ host, port: await closedPort(host) }),
      blackhole: () => blackhole(host),
      cleanup: async () => {
        await a.close();
        await b.close();
      },
    };
  };
}
