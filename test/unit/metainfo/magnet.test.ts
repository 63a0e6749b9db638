import { describe, expect, it } from 'vitest';
import { fromHex, infoHashId, toHex } from '../../../src/metainfo/info-hash.js';
import { makeMagnet, parseMagnet } from '../../../src/metainfo/magnet.js';

const HEX = 'c12fe1c06bba254a9dc9f519b335aa7c1367a88a';
const V2 = 'caf1e1c30e81cb361b9ee167c4aa64228a7fa4fa9f6105232b28ad099f3a302e';

describe('parseMagnet', () => {
  it('parses hex and base32 btih, dn, several tr, ws, x.pe and so', () => {
    const m = parseMagnet(
      `magnet:?xt=urn:btih:${HEX.toUpperCase()}&dn=My+File%20%C3%A9&tr=http%3A%2F%2Fa%2Fannounce&tr.1=udp://b:80&tr=udp://b:80` +
        `&ws=http://seed/&x.pe=10.0.0.1:6881&x.pe=[2001:db8::1]:51413&x.pe=host.example:1&so=0,2,4-6,2`,
    );
    expect(toHex(m.infoHashes.v1!)).toBe(HEX);
    expect(m.name).toBe('My File é');
    expect(m.trackers).toEqual(['http://a/announce', 'udp://b:80']);
    expect(m.webSeeds).toEqual(['http://seed/']);
    expect(m.peers).toEqual([{ host: '10.0.0.1', port: 6881 }, { host: '2001:db8::1', port: 51413 }, { host: 'host.example', port: 1 }]);
    expect(m.selectOnly).toEqual([0, 2, 4, 5, 6]);
    // Base32 form of the same hash (RFC 4648).
    const b32 = 'YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK';
    expect(toHex(parseMagnet(`magnet:?xt=urn:btih:${b32}`).infoHashes.v1!)).toBe(HEX);
    expect(toHex(parseMagnet(`magnet:?xt=urn:btih:${b32.toLowerCase()}`).infoHashes.v1!)).toBe(HEX);
  });

  it('parses btmh (v2) and hybrid links', () => {
    const v2only = parseMagnet(`magnet:?xt=urn:btmh:1220${V2}`);
    expect(v2only.infoHashes.v1).toBeUndefined();
    expect(toHex(v2only.infoHashes.v2!)).toBe(V2);
    expect(infoHashId(v2only.infoHashes)).toBe(V2.slice(0, 40));
    const hybrid = parseMagnet(`magnet:?xt=urn:btih:${HEX}&xt=urn:btmh:1220${V2}`);
    expect(infoHashId(hybrid.infoHashes)).toBe(HEX);
    expect(toHex(hybrid.infoHashes.v2!)).toBe(V2);
  });

  it('ignores unknown parameters and xt types, rejects conflicting hashes', () => {
    expect(parseMagnet(`magnet:?xt=urn:sha1:abc&xt=urn:btih:${HEX}&foo=bar&&`).infoHashes.v1).toEqual(fromHex(HEX));
    expect(() => parseMagnet(`magnet:?xt=urn:btih:${HEX}&xt=urn:btih:${'0'.repeat(40)}`)).toThrow(/different btih/);
  });

  it('round-trips through makeMagnet', () => {
    const m = {
      infoHashes: { v1: fromHex(HEX), v2: fromHex(V2) },
      name: 'a & b = c?',
      trackers: ['http://t/a?x=1&y=2', 'udp://u:1'],
      webSeeds: ['http://w/'],
      peers: [{ host: '::1', port: 5 }, { host: '1.2.3.4', port: 6 }],
      selectOnly: [7, 1, 2, 3, 9],
    };
    const uri = makeMagnet(m);
    expect(uri).toContain('so=1-3,7,9');
    expect(parseMagnet(uri)).toEqual({ ...m, selectOnly: [1, 2, 3, 7, 9] });
  });
});
