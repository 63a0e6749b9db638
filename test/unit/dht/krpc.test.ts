import { describe, expect, it } from 'vitest';
import { bencode } from '../../../src/metainfo/bencode.js';
import {
  decodeCompactNodes,
  decodeCompactPeers,
  decodeKrpc,
  encodeCompactNodes,
  encodeError,
  encodeQuery,
  encodeResponse,
} from '../../../src/dht/krpc.js';

const enc = (s: string) => new TextEncoder().encode(s);
const id = new Uint8Array(20).fill(7);

describe('KRPC codec', () => {
  it('round-trips a query', () => {
    const m = decodeKrpc(encodeQuery(enc('aa'), 'find_node', { id, target: id }));
    expect(m.y).toBe('q');
    if (m.y !== 'q') return;
    expect(m.method).toBe('find_node');
    expect(m.id).toEqual(id);
    expect(m.t).toEqual(enc('aa'));
    expect(m.readOnly).toBe(false);
  });

  it('round-trips a response with the BEP 42 ip field', () => {
    const m = decodeKrpc(encodeResponse(enc('zz'), { id }, { host: '1.2.3.4', port: 6881 }));
    expect(m.y).toBe('r');
    if (m.y !== 'r') return;
    expect(m.ip).toEqual({ host: '1.2.3.4', port: 6881 });
  });

  it('decodes errors (201-204)', () => {
    const m = decodeKrpc(encodeError(enc('t1'), 203, 'Protocol Error'));
    expect(m).toMatchObject({ y: 'e', code: 203, message: 'Protocol Error' });
  });

  it('accepts unsorted keys (robustness)', () => {
    const raw = enc('d1:y1:q1:t2:aa1:q4:ping1:ad2:id20:' + 'x'.repeat(20) + 'ee');
    expect(decodeKrpc(raw).y).toBe('q');
  });

  it('malformed queries keep the transaction id for a 203 reply', () => {
    const noId = decodeKrpc(bencode({ t: enc('ab'), y: 'q', q: 'ping', a: { id: new Uint8Array(5) } }));
    expect(noId).toMatchObject({ y: 'invalid', query: true });
    if (noId.y === 'invalid') expect(noId.t).toEqual(enc('ab'));
    expect(decodeKrpc(bencode({ t: enc('ab'), y: 'q', q: 'ping' }))).toMatchObject({ y: 'invalid', query: true });
    expect(decodeKrpc(bencode({ t: enc('ab'), y: 'x' }))).toMatchObject({ y: 'invalid', query: false });
  });

  it('rejects garbage, oversized packets, oversized transaction ids, deep nesting and huge integers', () => {
    for (const bad of ['', 'd', 'i5e', 'le', 'd1:t2:aae', '4:spam', 'd1:t2:aa1:y1:qe1']) expect(decodeKrpc(enc(bad)).y).toBe('invalid');
    expect(decodeKrpc(new Uint8Array(1501).fill(0x64)).y).toBe('invalid');
    expect(decodeKrpc(encodeQuery(new Uint8Array(17), 'ping', { id }))).toMatchObject({ y: 'invalid' });
    expect(decodeKrpc(enc('d1:t2:aa1:y1:q1:q4:ping1:ad2:id' + 'l'.repeat(50) + 'e'.repeat(50) + 'ee')).y).toBe('invalid');
    expect(decodeKrpc(enc('d1:t2:aa1:y1:e1:eli99999999999999999999ee e')).y).toBe('invalid');
    expect(decodeKrpc(enc('d1:t999999999:aa1:y1:qe')).y).toBe('invalid');
  });

  it('compact nodes: round trip, partial entries, case-23 filtering, bounded count', () => {
    const nodes = [
      { id, host: '1.2.3.4', port: 1 },
      { id, host: '0.0.0.0', port: 5 },
      { id, host: '5.6.7.8', port: 0 },
      { id, host: '239.1.1.1', port: 80 },
      { id, host: '9.9.9.9', port: 65535 },
    ];
    const b = encodeCompactNodes(nodes, 4);
    expect(b.length).toBe(26 * 5);
    expect(decodeCompactNodes(b, 4, 100).map((n) => n.host)).toEqual(['1.2.3.4', '9.9.9.9']);
    const truncated = b.subarray(0, 26 + 10);
    expect(decodeCompactNodes(truncated, 4, 100)).toHaveLength(1);
    const huge = new Uint8Array(26 * 1000);
    for (let i = 0; i < 1000; i++) huge.set(b.subarray(0, 26), i * 26);
    expect(decodeCompactNodes(huge, 4, 64)).toHaveLength(64);
    const v6 = encodeCompactNodes([{ id, host: '2001:db8::1', port: 7 }], 6);
    expect(decodeCompactNodes(v6, 6, 10)).toEqual([{ id, host: '2001:db8::1', port: 7 }]);
  });

  it('compact peers: 6 and 18 bytes, filters 0.0.0.0 / port 0 / multicast / junk', () => {
    const p = (bytes: number[]) => Uint8Array.from(bytes);
    const values = [
      p([1, 2, 3, 4, 0x1a, 0xe1]),
      p([0, 0, 0, 0, 0x1a, 0xe1]),
      p([1, 2, 3, 4, 0, 0]),
      p([224, 0, 0, 1, 0, 80]),
      p([1, 2, 3]),
      7,
      p([0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 1, 0, 80]),
    ];
    expect(decodeCompactPeers(values, 100)).toEqual([
      { host: '1.2.3.4', port: 6881 },
      { host: '2001:db8::1', port: 80 },
    ]);
    expect(decodeCompactPeers(values, 1)).toHaveLength(1);
    expect(decodeCompactPeers(enc('x'), 10)).toEqual([]);
  });
});
