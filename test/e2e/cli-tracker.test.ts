// `swarmkit tracker` as a child process: ready line with its URLs, two HTTP announcers see each other,
// a WebSocket connects, SIGTERM closes it with exit 0.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { httpAnnounce } from '../../src/tracker/http.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('cli tracker', () => {
  it('serves HTTP announces and WebSocket connections until SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'tracker', '--port', '0', '--host', '127.0.0.1', '--json'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const lines: Array<Record<string, unknown>> = [];
    const rl = createInterface({ input: child.stdout });
    const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no ready line within 30 s')), 30_000);
      rl.on('line', (l) => {
        const e = JSON.parse(l) as Record<string, unknown>;
        lines.push(e);
        if (e.event === 'ready') {
          clearTimeout(timer);
          resolve(e);
        }
      });
    });
    try {
      const r = await ready;
      const urls = r.urls as { http: string; ws: string; udp: string };
      expect(urls.http).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/announce$/);
      expect(urls.ws).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
      expect(urls.udp).toMatch(/^udp:\/\/127\.0\.0\.1:\d+$/);
      const infoHash = crypto.getRandomValues(new Uint8Array(20));
      const base = { infoHash, uploaded: 0, downloaded: 0, key: 1, numWant: 50 };
      await httpAnnounce(urls.http, { ...base, peerId: crypto.getRandomValues(new Uint8Array(20)), port: 6881, left: 0, event: 'started' });
      const second = await httpAnnounce(urls.http, { ...base, peerId: crypto.getRandomValues(new Uint8Array(20)), port: 6882, left: 100, event: 'started' });
      expect(second.peers).toContainEqual(expect.objectContaining({ host: '127.0.0.1', port: 6881 }));
      const ws = new WebSocket(urls.ws);
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      ws.close();
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(lines.at(-1)).toMatchObject({ event: 'done', signal: 'SIGTERM' });
  }, 60_000);
});
