/**
 * How a ChannelStream reports the end of its connection, driven by a scripted simple-peer double (the
 * real pairing runs in the shared transport suite): the SCTP abort Chromium reports when the other end
 * closes right after its channel is a clean end; any other peer error ends the stream with that error.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { isTorrentError } from '../../../src/errors.js';
import { ChannelStream } from '../../../transports/webrtc/channel-stream.js';
import type { SimplePeerLike } from '../../../transports/webrtc/peer-types.js';
import { Probe } from '../../suites/transport.suite.js';

class ScriptedPeer extends EventEmitter {
  destroyed = false;
  connected = true;
  signal(): void {}
  send(): void {}
  destroy(): void {
    this.destroyed = true;
  }
}

function streamOver(peer: ScriptedPeer): Probe {
  const s = new ChannelStream(peer as unknown as SimplePeerLike, { host: '10.0.0.1', port: 1 }, 'in');
  const probe = new Probe();
  s.setSink(probe);
  return probe;
}

/** An error as simple-peer forwards a data channel's RTCErrorEvent. */
function channelError(message: string): Error {
  return Object.assign(new Error(message), { code: 'ERR_DATA_CHANNEL' });
}

describe('ChannelStream end of connection', () => {
  it('the remote closing (SCTP "User-Initiated Abort") is a clean end', async () => {
    const peer = new ScriptedPeer();
    const probe = streamOver(peer);
    peer.emit('error', channelError('User-Initiated Abort, reason=Close called'));
    peer.emit('close');
    expect(await probe.closed).toBeUndefined();
  });

  it('any other peer error ends the stream with connection_failed', async () => {
    const peer = new ScriptedPeer();
    const probe = streamOver(peer);
    peer.emit('error', channelError('Transport channel closed'));
    peer.emit('close');
    const err = await probe.closed;
    expect(isTorrentError(err, 'connection_failed')).toBe(true);
  });
});
