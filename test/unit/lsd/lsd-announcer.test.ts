import { describe, expect, it } from 'vitest';
import { LsdAnnouncer } from '../../../src/lsd/lsd-announcer.js';
import type { LsdAnnouncerOptions } from '../../../src/lsd/lsd-announcer.js';
import { decodeLsdAnnounce, encodeLsdAnnounces, lsdHostHeader } from '../../../src/lsd/lsd-codec.js';

const IH = (n: number): string => n.toString(16).padStart(40, '0');

function setup(opts: Partial<LsdAnnouncerOptions> = {}) {
  const clock = { t: 0 };
  const sent: { family: 4 | 6; hashes: string[]; cookie?: string; port: number; host?: string }[] = [];
  const peers: { ih: string; host: string; port: number }[] = [];
  const a = new LsdAnnouncer(
    {
      send: (d, family) => {
        const r = decodeLsdAnnounce(d);
        if (!r.ok) throw new Error(r.reason);
        sent.push({ family, hashes: [...r.announce.infoHashes], ...r.announce });
      },
      now: () => clock.t,
      onPeer: (ih, p) => peers.push({ ih, ...p }),
    },
    { listenPort: 6881, ...opts },
  );
  return { a, clock, sent, peers };
}

const remote = (hashes: string[], port = 7000, cookie = 'other'): Uint8Array =>
  encodeLsdAnnounces({ host: lsdHostHeader(4), port, infoHashes: hashes, cookie })[0]!;

describe('LsdAnnouncer', () => {
  it('announces new torrents at once (batched), then every interval', () => {
    const { a, clock, sent } = setup({ intervalMs: 300_000, families: [4, 6] });
    a.addTorrent(IH(1));
    a.addTorrent(new Uint8Array(20).fill(2));
    expect(a.tick()).toBe(2);
    expect(sent.map((s) => s.family)).toEqual([4, 6]);
    expect(sent[0]!.hashes).toEqual([IH(1), '02'.repeat(20)]);
    expect(sent[1]!.host).toBe('[ff15::efc0:988f]:6771');
    expect(sent[0]!.cookie).toBe(a.cookie);
    expect(sent[0]!.port).toBe(6881);
    clock.t += 299_999;
    expect(a.tick()).toBe(0);
    clock.t += 1;
    expect(a.tick()).toBe(2);
    a.removeTorrent(IH(1));
    clock.t += 300_000;
    a.tick();
    expect(sent.at(-1)!.hashes).toEqual(['02'.repeat(20)]);
  });

  it('announceNow honours the per-torrent floor', () => {
    const { a, clock, sent } = setup({ minAnnounceIntervalMs: 60_000 });
    a.addTorrent(IH(1));
    a.tick();
    expect(a.announceNow(IH(1))).toBe(false);
    clock.t += 60_000;
    expect(a.announceNow(IH(1))).toBe(true);
    expect(sent.length).toBe(2);
    expect(a.announceNow(IH(9))).toBe(false); // unknown torrent
  });

  it('caps outgoing datagrams per minute; the rest stays due', () => {
    const { a, clock, sent } = setup({ maxDatagramsPerMinute: 2, maxInfoHashesPerDatagram: 1 });
    for (let i = 1; i <= 5; i++) a.addTorrent(IH(i));
    expect(a.tick()).toBe(2);
    expect(a.tick()).toBe(0);
    clock.t += 60_000;
    expect(a.tick()).toBe(2);
    clock.t += 60_000;
    expect(a.tick()).toBe(1);
    expect(sent.flatMap((s) => s.hashes).sort()).toEqual([1, 2, 3, 4, 5].map(IH));
  });

  it('reports peers for known info-hashes only, by sender IP and Port header; ignores its own echo', () => {
    const { a, peers } = setup();
    a.addTorrent(IH(1));
    expect(a.receive(remote([IH(1), IH(2)]), { host: '192.168.1.20' })).toEqual({ peers: [{ infoHash: IH(1), host: '192.168.1.20', port: 7000 }] });
    expect(peers).toEqual([{ ih: IH(1), host: '192.168.1.20', port: 7000 }]);
    expect(a.receive(remote([IH(2)]), { host: '192.168.1.20' }).ignored).toBe('unknown_info_hash');
    expect(a.receive(remote([IH(1)], 6881, a.cookie), { host: '192.168.1.2' }).ignored).toBe('own_echo');
    expect(a.receive(new TextEncoder().encode('junk'), { host: '192.168.1.20' }).ignored).toBe('bad_request_line');
    expect(peers.length).toBe(1);
  });

  it('rate-limits each source IP per minute', () => {
    const { a, clock } = setup({ maxIncomingPerIpPerMinute: 3 });
    a.addTorrent(IH(1));
    const got = Array.from({ length: 5 }, () => a.receive(remote([IH(1)]), { host: '10.0.0.1' }).peers.length);
    expect(got).toEqual([1, 1, 1, 0, 0]);
    expect(a.receive(remote([IH(1)]), { host: '10.0.0.2' }).peers.length).toBe(1);
    clock.t += 60_000;
    expect(a.receive(remote([IH(1)]), { host: '10.0.0.1' }).peers.length).toBe(1);
    // many sources: the table stays bounded and keeps working
    for (let i = 0; i < 3000; i++) a.receive(remote([IH(1)]), { host: `10.1.${i >> 8}.${i & 0xff}` });
    expect(a.receive(remote([IH(1)]), { host: '10.0.0.3' }).peers.length).toBe(1);
  });

  it('refuses info-hashes that are not 20 bytes', () => {
    const { a } = setup();
    expect(() => a.addTorrent(new Uint8Array(32))).toThrow();
    expect(() => a.addTorrent('xyz')).toThrow();
  });
});
