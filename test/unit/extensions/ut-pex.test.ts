import { describe, expect, it } from 'vitest';
import oracle from 'bencode';
import { bencode } from '../../../src/metainfo/bencode.js';
import { decodePexMessage, encodePexMessage, PexFlags } from '../../../src/wire/extensions/ut-pex-codec.js';
import type { PexPeer } from '../../../src/wire/extensions/ut-pex-codec.js';
import { PexTracker } from '../../../src/wire/extensions/ut-pex.js';
import { canonicalIP, formatIPv6, parseIP } from '../../../src/net/ip.js';

const v4 = (i: number, port = 6881, flags = 0): PexPeer => ({ host: `10.0.${i >> 8}.${i & 0xff}`, port, flags });

function compact4(list: [string, number][]): Uint8Array {
  return Uint8Array.from(list.flatMap(([h, p]) => [...h.split('.').map(Number), p >> 8, p & 0xff]));
}

describe('ut_pex codec', () => {
  it('writes compact 6 / 18-byte lists and flag strings (checked with the bencode package)', () => {
    const payload = encodePexMessage({
      added: [
        { host: '1.2.3.4', port: 6881, flags: PexFlags.seed | PexFlags.utp },
        { host: '2001:db8::1', port: 51413, flags: PexFlags.reachable },
      ],
      dropped: [{ host: '5.6.7.8', port: 1 }, { host: '::ffff:9.9.9.9', port: 2 }],
    });
    const b = (a: number[]): Buffer => Buffer.from(a);
    const v6 = [0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 1, 0xc8, 0xd5];
    const expected = oracle.encode({
      added: b([1, 2, 3, 4, 0x1a, 0xe1]),
      'added.f': b([0x06]),
      added6: b(v6),
      'added6.f': b([0x10]),
      dropped: b([5, 6, 7, 8, 0, 1, 9, 9, 9, 9, 0, 2]), // the v4-mapped address goes in the v4 list
      dropped6: b([]),
    });
    expect(Buffer.from(payload).equals(Buffer.from(expected))).toBe(true);
    const back = decodePexMessage(payload);
    expect(back.ok && back.message.added).toEqual([
      { host: '1.2.3.4', port: 6881, flags: 6 },
      { host: '2001:db8::1', port: 51413, flags: 16 },
    ]);
  });

  it('refuses to encode non-IP hosts or bad ports', () => {
    expect(() => encodePexMessage({ added: [{ host: 'example.com', port: 1, flags: 0 }], dropped: [] })).toThrow();
    expect(() => encodePexMessage({ added: [{ host: '1.2.3.4', port: 0, flags: 0 }], dropped: [] })).toThrow();
  });

  it('cuts lists over 50 entries without reading them, cuts ragged lists, tolerates bad flags', () => {
    const many = Array.from({ length: 80 }, (_, i) => [`10.1.0.${i}`, 1000 + i] as [string, number]);
    const r = decodePexMessage(bencode({ added: compact4(many), 'added.f': new Uint8Array(3), dropped: new Uint8Array(7) }));
    expect(r.ok && r.truncated).toBe(true);
    expect(r.ok && r.message.added.length).toBe(50);
    expect(r.ok && r.message.added.every((p) => p.flags === 0)).toBe(true);
    expect(r.ok && r.message.dropped.length).toBe(1);
    expect(decodePexMessage(new Uint8Array([0x64]))).toEqual({ ok: false, reason: 'not_bencode' });
    expect(decodePexMessage(bencode([1]))).toEqual({ ok: false, reason: 'not_a_dict' });
  });

  it('IP helpers: RFC 5952 text, v4-mapped folding, strict parsing', () => {
    expect(formatIPv6(parseIP('2001:0db8:0:0:0:0:0:1')!)).toBe('2001:db8::1');
    expect(canonicalIP('::ffff:1.2.3.4', { unmapIPv4: true })).toBe('1.2.3.4');
    expect(canonicalIP('[fe80::1%eth0]', { unmapIPv4: true })).toBe('fe80::1');
    expect(parseIP('01.2.3.4')).toBeUndefined();
    expect(parseIP('1.2.3')).toBeUndefined();
    expect(parseIP('1::2::3')).toBeUndefined();
  });
});

describe('PexTracker', () => {
  const mk = (opts: Partial<ConstructorParameters<typeof PexTracker>[0]> = {}) => {
    const clock = { t: 1_000_000 };
    return { clock, pex: new PexTracker({ now: () => clock.t, remote: { host: '10.9.9.9', port: 7000 }, ...opts }) };
  };
  const decode = (p: Uint8Array | undefined) => {
    const r = decodePexMessage(p!);
    if (!r.ok) throw new Error('bad');
    return r.message;
  };

  it('sends diffs at most once per interval, ≤ 50 added / dropped each, never the remote itself', () => {
    const { clock, pex } = mk({ intervalMs: 60_000 });
    const set = Array.from({ length: 70 }, (_, i) => v4(i));
    const first = decode(pex.poll([...set, { host: '10.9.9.9', port: 7000, flags: 0 }]));
    expect(first.added.length).toBe(50);
    expect(first.dropped).toEqual([]);
    expect(pex.poll(set)).toBeUndefined(); // too early
    clock.t += 59_999;
    expect(pex.poll(set)).toBeUndefined();
    clock.t += 1;
    const second = decode(pex.poll(set));
    expect(second.added.map((p) => p.host)).toEqual(set.slice(50).map((p) => p.host));
    clock.t += 60_000;
    expect(pex.poll(set)).toBeUndefined(); // nothing changed
    const now = set.slice(10); // 10 peers gone
    const third = decode(pex.poll([...now, v4(500, 1, PexFlags.seed)]));
    expect(third.dropped.map((p) => p.host)).toEqual(set.slice(0, 10).map((p) => p.host));
    expect(third.added).toEqual([{ ...v4(500, 1), flags: PexFlags.seed }]);
  });

  it('caps dropped at 50 per message and carries the rest over', () => {
    const { clock, pex } = mk();
    const set = Array.from({ length: 100 }, (_, i) => v4(i));
    pex.poll(set);
    clock.t += 60_000;
    pex.poll(set);
    clock.t += 60_000;
    expect(decode(pex.poll([])).dropped.length).toBe(50);
    clock.t += 60_000;
    expect(decode(pex.poll([])).dropped.length).toBe(50);
    clock.t += 60_000;
    expect(pex.poll([])).toBeUndefined();
  });

  it('HOSTILE-INPUTS 23: filters 0.0.0.0, multicast, broadcast, port 0, ourselves, the sender, duplicates', () => {
    const { pex } = mk({ isSelf: (h, p) => h === '192.168.1.5' && p === 6881 });
    const list: [string, number][] = [
      ['0.0.0.0', 6881], ['0.1.2.3', 6881], ['224.0.0.1', 6881], ['239.192.152.143', 6771], ['255.255.255.255', 1],
      ['8.8.8.8', 0], ['192.168.1.5', 6881], ['10.9.9.9', 7000], ['1.1.1.1', 1], ['1.1.1.1', 1], ['192.168.1.5', 6882],
    ];
    const v6 = Uint8Array.from([...new Uint8Array(16), 0, 1, 0xff, 2, ...new Uint8Array(14), 0, 1]); // ::, ff02::
    const r = pex.receive(bencode({ added: compact4(list), added6: v6, dropped: compact4([['0.0.0.0', 1], ['2.2.2.2', 5]]) }));
    expect(r.verdict.action).toBe('accept');
    expect(r.added.map((p) => `${p.host}:${p.port}`)).toEqual(['1.1.1.1:1', '192.168.1.5:6882']);
    expect(r.dropped).toEqual([{ host: '2.2.2.2', port: 5 }]);
    expect(r.filtered).toBe(12); // 9 + 2 added, 1 dropped
  });

  it('cuts messages with more than 50 peers, and ignores messages faster than the minimum interval', () => {
    const { clock, pex } = mk({ minIncomingIntervalMs: 45_000 });
    const many = Array.from({ length: 60 }, (_, i) => [`20.0.0.${i + 1}`, 6881] as [string, number]);
    const r = pex.receive(bencode({ added: compact4(many) }));
    expect(r.added.length).toBe(50);
    expect(r.truncated).toBe(true);
    clock.t += 44_999;
    expect(pex.receive(bencode({ added: compact4([['3.3.3.3', 1]]) }))).toMatchObject({ verdict: { action: 'ignore', reason: 'too_frequent' }, added: [] });
    clock.t += 1;
    expect(pex.receive(bencode({ added: compact4([['3.3.3.3', 1]]) })).added).toEqual([{ host: '3.3.3.3', port: 1, flags: 0 }]);
  });

  it('drops a peer that sends garbage', () => {
    const { pex } = mk();
    expect(pex.receive(new Uint8Array([0xff, 0]))).toMatchObject({ verdict: { action: 'drop' } });
  });
});
