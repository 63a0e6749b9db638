import { describe, expect, it } from 'vitest';
import { decodeMetadataMessage, encodeMetadataData, encodeMetadataRequest } from '../../../src/wire/extensions/ut-metadata-codec.js';
import type { MetadataMessage } from '../../../src/wire/extensions/ut-metadata-codec.js';
import { MetadataServer } from '../../../src/wire/extensions/ut-metadata-server.js';
import { makeInfo } from './metadata-swarm.js';

function setup(info?: Uint8Array, refillWindowMs?: number) {
  const clock = { t: 0 };
  const sent: { to: string; msg: MetadataMessage }[] = [];
  const server = new MetadataServer(
    {
      send: (to, payload) => {
        const r = decodeMetadataMessage(payload);
        if (!r.ok) throw new Error('server sent an undecodable message');
        sent.push({ to, msg: r.message });
      },
      now: () => clock.t,
    },
    { ...(info ? { info } : {}), ...(refillWindowMs ? { refillWindowMs } : {}) },
  );
  return { server, sent, clock };
}

describe('MetadataServer', () => {
  it('serves every piece with the right bytes and total_size', () => {
    const info = makeInfo(40_000);
    const { server, sent } = setup(info);
    expect(server.metadataSize).toBe(info.length);
    for (let i = 0; i < 3; i++) expect(server.onMessage('p', encodeMetadataRequest(i))).toEqual({ action: 'accept' });
    const blocks = sent.map((s) => (s.msg.type === 'data' ? s.msg : undefined));
    expect(blocks.every((b) => b?.totalSize === info.length)).toBe(true);
    expect(Buffer.concat(blocks.map((b) => b!.block))).toEqual(Buffer.from(info));
  });

  it('rejects while it has no metadata, and serves once setInfo is called', () => {
    const { server, sent } = setup();
    expect(server.onMessage('p', encodeMetadataRequest(0))).toEqual({ action: 'ignore', reason: 'no_metadata' });
    expect(sent).toEqual([{ to: 'p', msg: { type: 'reject', piece: 0 } }]);
    server.setInfo(makeInfo(1000));
    expect(server.onMessage('p', encodeMetadataRequest(0)).action).toBe('accept');
    expect(sent[1]!.msg.type).toBe('data');
  });

  it('rejects pieces beyond its piece count; drops peers sending impossible pieces', () => {
    const { server, sent } = setup(makeInfo(1000));
    expect(server.onMessage('p', encodeMetadataRequest(1))).toEqual({ action: 'ignore', reason: 'piece_out_of_range' });
    expect(sent[0]!.msg).toEqual({ type: 'reject', piece: 1 });
    expect(server.onMessage('p', encodeMetadataRequest(1_000_000)).action).toBe('drop');
  });

  it('ignores data / reject messages (they are for the fetcher)', () => {
    const { server, sent } = setup(makeInfo(1000));
    expect(server.onMessage('p', encodeMetadataData(0, 10, new Uint8Array(10)))).toEqual({ action: 'ignore', reason: 'not_a_request' });
    expect(sent).toEqual([]);
  });

  it('rate-limits each peer: rejects past the bucket, drops a flood, refills over time', () => {
    const info = makeInfo(1000); // 1 piece: bucket holds 2 * 1 + 8 = 10
    const { server, sent, clock } = setup(info, 60_000);
    const results = Array.from({ length: 10 }, () => server.onMessage('p', encodeMetadataRequest(0)).action);
    expect(results.every((a) => a === 'accept')).toBe(true);
    expect(server.onMessage('p', encodeMetadataRequest(0))).toEqual({ action: 'ignore', reason: 'rate_limited' });
    expect(sent.at(-1)!.msg.type).toBe('reject');
    // another peer has its own bucket
    expect(server.onMessage('q', encodeMetadataRequest(0)).action).toBe('accept');
    // refill: 10 tokens per 60 s → one token after 6 s
    clock.t += 6000;
    expect(server.onMessage('p', encodeMetadataRequest(0)).action).toBe('accept');
    expect(server.onMessage('p', encodeMetadataRequest(0)).action).toBe('ignore');
    // keep flooding within the window: dropped once refusals exceed the bucket size again
    const flood = Array.from({ length: 10 }, () => server.onMessage('p', encodeMetadataRequest(0)).action);
    expect(flood.at(-1)).toBe('drop');
    server.removePeer('p');
    expect(server.onMessage('p', encodeMetadataRequest(0)).action).toBe('accept');
  });
});
