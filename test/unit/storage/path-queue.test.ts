import { describe, expect, it } from 'vitest';
import { PathQueue } from '../../../storage-adapters/fs/path-queue.js';

/** A task that records when it runs and finishes only when released. */
function gated(log: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  return {
    release,
    fn: async () => {
      log.push(`start ${name}`);
      await done;
      log.push(`end ${name}`);
      return name;
    },
  };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('PathQueue (one write at a time per file)', () => {
  it('runs calls for one key one after another, in order, and other keys at once', async () => {
    const q = new PathQueue();
    const log: string[] = [];
    const a1 = gated(log, 'a1');
    const a2 = gated(log, 'a2');
    const b1 = gated(log, 'b1');
    const p1 = q.run('a', a1.fn);
    const p2 = q.run('a', a2.fn);
    const p3 = q.run('b', b1.fn);
    await tick();
    expect(log).toEqual(['start a1', 'start b1']); // a2 waits for a1; b is not held back
    a1.release();
    await tick();
    expect(log).toEqual(['start a1', 'start b1', 'end a1', 'start a2']);
    a2.release();
    b1.release();
    expect(await Promise.all([p1, p2, p3])).toEqual(['a1', 'a2', 'b1']);
    await tick();
    expect(q.size).toBe(0); // nothing kept once idle
  });

  it('a failed call rejects its own promise only; the next call for the key still runs', async () => {
    const q = new PathQueue();
    const bad = q.run('a', () => Promise.reject(new Error('disk full')));
    const good = q.run('a', async () => 'ok');
    await expect(bad).rejects.toThrow('disk full');
    await expect(good).resolves.toBe('ok');
  });
});
