import { describe, expect, test } from 'vitest';
import { lazy } from '../../src/lazy.js';

describe('lazy()', () => {
  test('loads once and shares the promise between callers', async () => {
    let calls = 0;
    const load = lazy(async () => ({ n: ++calls }));
    const [a, b] = await Promise.all([load(), load()]);
    expect(a).toBe(b);
    expect(await load()).toBe(a);
    expect(calls).toBe(1);
  });

  test('a failed load rejects that call and the next call tries again', async () => {
    let calls = 0;
    const load = lazy(async () => {
      calls++;
      if (calls === 1) throw new Error('chunk fetch failed');
      return 'ok';
    });
    await expect(load()).rejects.toThrow('chunk fetch failed');
    await expect(load()).resolves.toBe('ok');
    expect(calls).toBe(2);
  });

  test('loaded is undefined until a load succeeded, then the value, before any caller continues', async () => {
    let fail = true;
    const load = lazy(async () => {
      if (fail) throw new Error('chunk fetch failed');
      return { v: 1 };
    });
    expect(load.loaded).toBeUndefined();
    await expect(load()).rejects.toThrow('chunk fetch failed');
    expect(load.loaded).toBeUndefined();
    fail = false;
    const seen = await load().then((m) => load.loaded === m);
    expect(seen).toBe(true);
  });
});
