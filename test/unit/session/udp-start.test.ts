// Binding UDP and starting the DHT (src/session/udp-start.ts) is loaded with the first bind: a session with a
// `datagram` option binds as before; one whose load fails posts listen_failed for UDP and runs without it.
import { afterEach, describe, expect, test, vi } from 'vitest';
import { alertCategory } from '../../../src/session/alert-category.js';
import type { Session as SessionClass } from '../../../src/session/session.js';
import { createMemoryStorage } from '../../../storage-adapters/memory/index.js';
import { MemoryDatagramNetwork } from '../../helpers/memory-datagram.js';
import { waitFor } from './helpers.js';

const sessions: SessionClass[] = [];

afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  vi.doUnmock('../../../src/session/udp-start.js');
  vi.resetModules();
});

async function session(): Promise<SessionClass> {
  vi.resetModules();
  const { Session } = await import('../../../src/session/session.js');
  const s = new Session({
    storage: createMemoryStorage(),
    transports: [],
    datagram: new MemoryDatagramNetwork(),
    settings: { alertMask: alertCategory.all, listenInterfaces: '127.0.0.1:0', enableDht: false },
  });
  sessions.push(s);
  return s;
}

describe('session UDP start, loaded on first bind', () => {
  test('binds the socket and posts listen_succeeded (udp)', async () => {
    const s = await session();
    const a = await waitFor(s, 'listen_succeeded', (x) => x.socketType === 'udp', 5000);
    expect(a.port).toBeGreaterThan(0);
  });

  test('a failed load posts listen_failed (udp, bind) and the session runs on', async () => {
    vi.doMock('../../../src/session/udp-start.js', () => {
      throw new Error('chunk could not be fetched');
    });
    const s = await session();
    const a = await waitFor(s, 'listen_failed', (x) => x.socketType === 'udp', 5000);
    expect(a.operation).toBe('bind');
    expect(a.error.code).toBe('listen_failed'); // the message is vitest's wrapper of the factory's error
  });
});
