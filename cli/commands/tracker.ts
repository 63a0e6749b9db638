/**
 * `swarmkit tracker [--port N] [--host ADDR] [--no-http] [--no-udp] [--no-ws] [--json]`: runs our tracker server
 * (tracker-server/: WebSocket signalling compatible with WebTorrent, HTTP and UDP announce/scrape, in memory)
 * until SIGINT/SIGTERM, then closes it and exits 0.
 */
import { runTrackerServer } from '../../tracker-server/index.js';
import { parseCommandArgs } from '../args.js';
import type { CliIO, Command } from '../command.js';
import { EXIT_OK, UsageError } from '../errors.js';
import type { Output } from '../output.js';
import { onStopSignals, parsePort } from './swarm-common.js';

const usage = `Usage: swarmkit tracker [--port N] [--host ADDR] [--no-http] [--no-udp] [--no-ws] [--json]

Runs a BitTorrent tracker: WebSocket signalling for WebRTC peers (WebTorrent-compatible, ws://HOST:PORT),
HTTP announce/scrape (http://HOST:PORT/announce) and UDP announce/scrape (udp://HOST:PORT) on the same port
number. Serves until Ctrl-C (SIGINT) or SIGTERM.

Options:
  --port N      port for HTTP/WebSocket and UDP (default 8000; 0 picks a free one)
  --host ADDR   address to listen on (default 0.0.0.0)
  --no-http     no HTTP announce/scrape
  --no-udp      no UDP announce/scrape
  --no-ws       no WebSocket signalling
  --json        print JSON lines: {"event":"ready",...}, {"event":"done",...}
  --debug       print stack traces on errors
  -h, --help    show this help`;

async function run(argv: readonly string[], out: Output, _io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs('tracker', argv, {
    port: { type: 'string' },
    host: { type: 'string' },
    'no-http': { type: 'boolean' },
    'no-udp': { type: 'boolean' },
    'no-ws': { type: 'boolean' },
  });
  if (positionals.length > 0) throw new UsageError(`tracker: unexpected argument '${positionals[0]}'`);
  const http = values['no-http'] !== true;
  const udp = values['no-udp'] !== true;
  const ws = values['no-ws'] !== true;
  if (!http && !udp && !ws) throw new UsageError('tracker: --no-http, --no-udp and --no-ws together leave nothing to serve');
  const port = values.port === undefined ? 8000 : parsePort('tracker', values.port);
  const host = values.host ?? '0.0.0.0';
  const stop = onStopSignals();
  const { server, address } = await runTrackerServer({ http, udp, ws, port, host });
  try {
    const shown = host.includes(':') ? `[${host}]` : host;
    const urls = {
      ...(ws && address.tcp !== undefined ? { ws: `ws://${shown}:${address.tcp}` } : {}),
      ...(http && address.tcp !== undefined ? { http: `http://${shown}:${address.tcp}/announce` } : {}),
      ...(udp && address.udp !== undefined ? { udp: `udp://${shown}:${address.udp}` } : {}),
    };
    out.event('ready', { host: address.host, port: address.tcp ?? null, udpPort: address.udp ?? null, urls });
    out.line(`Tracker listening: ${Object.values(urls).join('  ')}; Ctrl-C to stop`);
    await new Promise<void>((resolve) => {
      if (stop.signal.aborted) resolve();
      else stop.signal.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    await server.close();
    stop.dispose();
  }
  out.event('done', { signal: stop.received() ?? null, offersRelayed: server.stats.offersRelayed, answersRelayed: server.stats.answersRelayed });
  out.note(`Stopped (${stop.received() ?? 'signal'})`);
  return EXIT_OK;
}

/** The `tracker` command. */
export const trackerCommand: Command = {
  usage,
  run,
};
