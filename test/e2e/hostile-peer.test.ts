// HOSTILE-INPUTS 14–18, 20, 21 at connection level, over the in-memory transport (see hostile-cases.ts).
import { memoryStreamPair } from '../../transports/memory/index.js';
import { PeerConnection } from '../../src/peer/index.js';
import { ScriptedPeer } from '../helpers/scripted-peer.js';
import { hostilePeerCases } from '../unit/peer/hostile-cases.js';
import type { HostileHarness } from '../unit/peer/hostile-cases.js';
import { ID_A } from '../unit/peer/setup.js';

hostilePeerCases('memory streams', async (): Promise<HostileHarness> => {
  const made: PeerConnection[] = [];
  return {
    async connect(owner, settings) {
      // maxChunkSize re-chunks deliveries so every rule is also exercised across chunk boundaries.
      const { a, b } = memoryStreamPair({ maxChunkSize: 1000, addressA: { host: '10.0.0.1', port: 6881 } });
      const peer = new PeerConnection(b, {
        peerId: ID_A,
        settings,
        router: (ih) => (ih.every((x, i) => x === owner.infoHash[i]) ? owner : undefined),
      });
      made.push(peer);
      return { peer, remote: new ScriptedPeer(a, { pieceCount: owner.count }) };
    },
    async cleanup() {
      for (const p of made) p.close();
      await Promise.all(made.map((p) => p.closed));
    },
  };
});
