import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { DOUBLE_ZERO } from '../../src/double-zero.js';

describe('DOUBLE_ZERO', () => {
  test('behaves as 0 in arithmetic, comparisons and output', () => {
    expect(Object.is(DOUBLE_ZERO, -0)).toBe(true); // the value the V8 test below uses
    expect(DOUBLE_ZERO === 0).toBe(true);
    expect(DOUBLE_ZERO + 5).toBe(5);
    expect(1000 - DOUBLE_ZERO).toBe(1000);
    expect(JSON.stringify({ a: DOUBLE_ZERO })).toBe('{"a":0}');
    expect(String(DOUBLE_ZERO)).toBe('0');
  });

  // What it is for: a field that starts at DOUBLE_ZERO keeps its hidden class when a fraction is written
  // into it; one that starts at 0 does not (which deoptimises code that checked the old class).
  test('a field started at it keeps its hidden class when a fraction is stored (V8)', () => {
    const script = `
      class A { t = 0; }
      class B { t = -0; }
      const a0 = new A(), a1 = new A(); a1.t = performance.now() + 0.5;
      const b0 = new B(), b1 = new B(); b1.t = performance.now() + 0.5;
      console.log(JSON.stringify({ smiField: %HaveSameMap(a0, a1), doubleField: %HaveSameMap(b0, b1) }));`;
    const r = spawnSync(process.execPath, ['--allow-natives-syntax', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ smiField: false, doubleField: true });
  });
});

describe('fields started at DOUBLE_ZERO never surface as -0', () => {
  test('RateMeter.rate() of an idle meter is +0', async () => {
    const { RateMeter } = await import('../../src/picker/rate.js');
    const m = new RateMeter();
    expect(Object.is(m.rate(0), 0)).toBe(true);
    expect(Object.is(m.rate(10_000), 0)).toBe(true);
  });
});
