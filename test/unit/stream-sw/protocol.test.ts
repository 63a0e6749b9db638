// The worker ↔ page message protocol: builders produce what validators accept, validators refuse
// foreign or malformed messages, and stream URL paths parse and build symmetrically.
import { describe, expect, test } from 'vitest';
import {
  claimMessage, hasMessage, isClaimMessage, isHasMessage, isHasReply, isPageReply, isStreamRequest, isWorkerCommand,
  normalizePrefix, parseStreamPath, requestMessage, streamPath,
} from '../../../src/stream/sw/protocol.js';

const H = 'ab'.repeat(20);

describe('messages', () => {
  test('built messages validate, and survive structured cloning', () => {
    const req = requestMessage({ method: 'GET', infoHash: H, fileIndex: 3, range: 'bytes=0-', ifRange: null });
    expect(isStreamRequest(req)).toBe(true);
    expect(isStreamRequest(structuredClone(req))).toBe(true);
    expect(isHasMessage(hasMessage(H))).toBe(true);
    expect(isClaimMessage(claimMessage('claim', H))).toBe(true);
    expect(isClaimMessage(claimMessage('unclaim', H))).toBe(true);
    // Kinds are not confused with each other.
    expect(isStreamRequest(hasMessage(H))).toBe(false);
    expect(isHasMessage(req)).toBe(false);
    expect(isClaimMessage(req)).toBe(false);
  });

  test('requests with a wrong namespace, version, method, hash, index or header are refused', () => {
    const ok = requestMessage({ method: 'HEAD', infoHash: H, fileIndex: 0, range: null, ifRange: '"x"' });
    expect(isStreamRequest(ok)).toBe(true);
    const bad: Array<Record<string, unknown>> = [
      { ...ok, ns: 'other' }, { ...ok, v: 2 }, { ...ok, method: 'POST' }, { ...ok, infoHash: H.toUpperCase() },
      { ...ok, infoHash: 'ab'.repeat(19) }, { ...ok, fileIndex: -1 }, { ...ok, fileIndex: 1.5 }, { ...ok, fileIndex: '1' },
      { ...ok, range: 5 }, { ...ok, range: 'x'.repeat(5000) }, { ...ok, ifRange: undefined },
    ];
    for (const b of bad) expect(isStreamRequest(b), JSON.stringify(b).slice(0, 120)).toBe(false);
    for (const junk of [null, undefined, 1, 'request', [], {}]) expect(isStreamRequest(junk)).toBe(false);
  });

  test('page replies and worker commands', () => {
    expect(isPageReply({ type: 'head', status: 206, headers: [['A', 'b']], body: true })).toBe(true);
    expect(isPageReply({ type: 'head', status: 206, headers: [['A']], body: true })).toBe(false);
    expect(isPageReply({ type: 'head', status: 99, headers: [], body: true })).toBe(false);
    expect(isPageReply({ type: 'head', status: 200, headers: [], body: 'yes' })).toBe(false);
    expect(isPageReply({ type: 'chunk', data: new Uint8Array(2) })).toBe(true);
    expect(isPageReply({ type: 'chunk', data: [1, 2] })).toBe(false);
    expect(isPageReply({ type: 'end' })).toBe(true);
    expect(isPageReply({ type: 'error', message: 'x' })).toBe(true);
    expect(isPageReply({ type: 'error' })).toBe(false);
    expect(isPageReply({ type: 'pull' })).toBe(false);
    expect(isWorkerCommand({ type: 'pull' })).toBe(true);
    expect(isWorkerCommand({ type: 'cancel' })).toBe(true);
    expect(isWorkerCommand({ type: 'end' })).toBe(false);
    expect(isHasReply({ type: 'has-reply', has: false })).toBe(true);
    expect(isHasReply({ type: 'has-reply', has: 1 })).toBe(false);
  });
});

describe('paths', () => {
  test('parseStreamPath: ours, invalid, other', () => {
    const p = '/swarmkit-stream/';
    expect(parseStreamPath(`${p}${H}/2/movie.webm`, p)).toEqual({ kind: 'file', infoHash: H, fileIndex: 2 });
    expect(parseStreamPath(`${p}${H.toUpperCase()}/0`, p)).toEqual({ kind: 'file', infoHash: H, fileIndex: 0 });
    expect(parseStreamPath('/app/index.html', p)).toEqual({ kind: 'other' });
    expect(parseStreamPath('/swarmkit-streamX/', p)).toEqual({ kind: 'other' });
    for (const bad of [`${p}`, `${p}${H}`, `${p}${H}/`, `${p}${H}/x`, `${p}${H}/-1/a`, `${p}${H}/1234567890/a`, `${p}zz${H.slice(2)}/0/a`, `${p}${H}0/0/a`]) {
      expect(parseStreamPath(bad, p), bad).toEqual({ kind: 'invalid' });
    }
  });

  test('streamPath percent-encodes each path element and parses back', () => {
    const path = streamPath('/s/', H, 7, 'dir/a b#?.webm');
    expect(path).toBe(`/s/${H}/7/dir/a%20b%23%3F.webm`);
    expect(parseStreamPath(path, '/s/')).toEqual({ kind: 'file', infoHash: H, fileIndex: 7 });
  });

  test('normalizePrefix resolves against the scope and ends in /', () => {
    expect(normalizePrefix('swarmkit-stream/', 'http://127.0.0.1:8080/app/')).toBe('/app/swarmkit-stream/');
    expect(normalizePrefix('/media', 'http://127.0.0.1:8080/app/')).toBe('/media/');
    expect(normalizePrefix('x y/', 'http://h/')).toBe('/x%20y/');
  });
});
