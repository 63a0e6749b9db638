import { describe, expect, it } from 'vitest';
import { decodeLsdAnnounce, encodeLsdAnnounces, LSD_MAX_DATAGRAM, lsdHostHeader } from '../../../src/lsd/lsd-codec.js';

const IH1 = 'aa'.repeat(20);
const IH2 = '0123456789abcdef0123456789abcdef01234567';
const te = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('LSD codec (BEP 14)', () => {
  it('encodes the BT-SEARCH datagram exactly', () => {
    const [d] = encodeLsdAnnounces({ host: lsdHostHeader(4), port: 6881, infoHashes: [IH1, IH2.toUpperCase()], cookie: 'c00k1e' });
    expect(new TextDecoder().decode(d)).toBe(
      'BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 6881\r\n' +
        `Infohash: ${IH1}\r\nInfohash: ${IH2}\r\ncookie: c00k1e\r\n\r\n\r\n`,
    );
    expect(lsdHostHeader(6)).toBe('[ff15::efc0:988f]:6771');
  });

  it('round-trips, and splits many info-hashes over datagrams under the size cap', () => {
    const hashes = Array.from({ length: 45 }, (_, i) => i.toString(16).padStart(40, '0'));
    const ds = encodeLsdAnnounces({ host: lsdHostHeader(4), port: 1, infoHashes: hashes, cookie: 'x' }, 20);
    expect(ds.length).toBe(3);
    expect(ds.every((d) => d.length <= LSD_MAX_DATAGRAM)).toBe(true);
    const back = ds.flatMap((d) => {
      const r = decodeLsdAnnounce(d);
      if (!r.ok) throw new Error(r.reason);
      expect(r.announce).toMatchObject({ port: 1, cookie: 'x', host: '239.192.152.143:6771' });
      return r.announce.infoHashes;
    });
    expect(back).toEqual(hashes);
    // a tiny per-datagram cap still respects the byte cap
    expect(encodeLsdAnnounces({ host: 'h', port: 1, infoHashes: hashes }, 100).every((d) => d.length <= LSD_MAX_DATAGRAM)).toBe(true);
  });

  it('accepts bare \\n line ends, any header case, unknown headers; no cookie is fine', () => {
    const r = decodeLsdAnnounce(te(`BT-SEARCH * HTTP/1.1\nhOsT: x\nPORT: 51413\nX-Extra: 1\ninfohash: ${IH1.toUpperCase()}\n\n`));
    expect(r).toEqual({ ok: true, announce: { host: 'x', port: 51413, infoHashes: [IH1] } });
  });

  it('rejects malformed or hostile datagrams', () => {
    const base = (lines: string[]): Uint8Array => te(['BT-SEARCH * HTTP/1.1', ...lines, '', ''].join('\r\n'));
    const reason = (d: Uint8Array, max?: number): string => {
      const r = decodeLsdAnnounce(d, max);
      return r.ok ? 'ok' : r.reason;
    };
    expect(reason(base(['Port: 1', `Infohash: ${IH1}`]))).toBe('ok');
    expect(reason(new Uint8Array(LSD_MAX_DATAGRAM + 1))).toBe('too_large');
    expect(reason(te(`NOTIFY * HTTP/1.1\r\nPort: 1\r\nInfohash: ${IH1}\r\n\r\n`))).toBe('bad_request_line');
    expect(reason(base(['Port: 0', `Infohash: ${IH1}`]))).toBe('bad_port');
    expect(reason(base(['Port: 65536', `Infohash: ${IH1}`]))).toBe('bad_port');
    expect(reason(base(['Port: 12a', `Infohash: ${IH1}`]))).toBe('bad_port');
    expect(reason(base(['Port: 1', 'Port: 2', `Infohash: ${IH1}`]))).toBe('bad_port');
    expect(reason(base(['Port: 1']))).toBe('missing_info_hash');
    expect(reason(base([`Infohash: ${IH1}`]))).toBe('missing_port');
    expect(reason(base(['Port: 1', `Infohash: ${IH1}0`]))).toBe('bad_info_hash');
    expect(reason(base(['Port: 1', 'Infohash: zz'.padEnd(50, 'z')]))).toBe('bad_info_hash');
    expect(reason(base(['Port: 1', 'garbage line']))).toBe('bad_header_line');
    expect(reason(te(`BT-SEARCH * HTTP/1.1\r\nPort: 1\r\nInfohash: ${IH1}\r\n`))).toBe('unterminated');
    expect(reason(base(['Port: 1', ...Array.from({ length: 3 }, (_, i) => `Infohash: ${i.toString().padStart(40, '0')}`)]), 2)).toBe(
      'too_many_info_hashes',
    );
    expect(reason(base(['Port: 1', `Infohash: ${IH1}`, ...Array.from({ length: 40 }, () => 'X: y')]))).toBe('too_many_headers');
    expect(reason(Uint8Array.from([...base(['Port: 1', `Infohash: ${IH1}`]), 0xc3]))).toBe('not_ascii');
    expect(reason(base(['Port: 1', `Infohash: ${IH1}`, 'cookie: a', 'cookie: b']))).toBe('duplicate_cookie');
  });
});
