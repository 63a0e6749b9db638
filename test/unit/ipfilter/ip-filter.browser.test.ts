// IPFilter is runtime-neutral (src/): the same rules answer the same way in Chromium.
import { describe, expect, it } from 'vitest';
import { IPFilter } from '../../../src/session/ip-filter.js';

describe('IPFilter in the browser', () => {
  it('adds rules, imports lists and looks up IPv4, IPv6 and mapped addresses', () => {
    const f = new IPFilter();
    f.addRule('10.0.0.0', '10.255.255.255', IPFilter.BLOCKED);
    f.removeRule('10.1.0.0', '10.1.255.255');
    f.addRule('2001:db8::', '2001:db8::ffff', IPFilter.BLOCKED);
    const res = f.importBlocklist('Org:1.2.3.0-1.2.3.255\n001.001.001.001 - 001.001.001.009 , 050 , dat\nbroken line\n');
    expect(res.added).toBe(2);
    expect(res.errors).toEqual([{ line: 3, reason: expect.any(String) }]);
    expect(f.isAllowed('10.0.0.1')).toBe(false);
    expect(f.isAllowed('10.1.2.3')).toBe(true);
    expect(f.isAllowed('::ffff:10.2.0.1')).toBe(false);
    expect(f.isAllowed('2001:db8::abcd')).toBe(false);
    expect(f.isAllowed('2001:db8::1:0')).toBe(true);
    expect(f.isAllowed('1.2.3.4')).toBe(false);
    expect(f.isAllowed('1.1.1.5')).toBe(false);
    expect(f.exportFilter().v6.map((r) => r.first)).toEqual(['::', '2001:db8::', '2001:db8::1:0']);
  });
});
