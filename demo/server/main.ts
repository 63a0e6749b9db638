/**
 * `npm start` (through scripts/start.mjs): builds and serves the web demo on 127.0.0.1 and prints the
 * URL to open. Runs until SIGINT / SIGTERM, then closes the page server, the seed and the tracker.
 * `PORT` picks the page port (default 8080; 0 = any free port).
 */
import { startDemo } from './demo-server.js';

const port = Number(process.env.PORT ?? 8080);

async function main(): Promise<void> {
  const demo = await startDemo({ port, log: (l) => console.log(l) });
  console.log(`\nswarmkit web demo: open ${demo.url}\n(Ctrl-C to stop)`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping ...`);
    demo.close().then(() => process.exit(0), (err: unknown) => {
      console.error(`error while stopping: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
