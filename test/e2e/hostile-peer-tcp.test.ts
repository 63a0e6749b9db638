// The key HOSTILE-INPUTS peer cases over real TCP loopback sockets (127.0.0.1): a listener routes each
// accepted stream to a PeerConnection, a second transport dials it for the scripted remote.
import { createTcpTransport } from '../../transports/tcp/index.js';
import { PeerConnection } from '../../src/peer/index.js';
import type { PeerSettings } from '../../src/peer/index.js';
import type { PeerStream } from '../../src/interfaces/transport.js';
import { ScriptedPeer } from '../helpers/scripted-peer.js';
import { hostilePeerCases } from '../unit/peer/hostile-cases.js';
import type { HostileHarness } from '../unit/peer/hostile-cases.js';
import { ID_A } from '../unit/peer/setup.js';
import type { TestOwner } from '../unit/peer/test-owner.js';

hostilePeerCases(
  'TCP loopback',
  async (): Promise<HostileHarness> => {
    const server = createTcpTransport({ listenHost: '127.0.0.1' });
    const client = createTcpTransport({ listenHost: '127.0.0.1' });
    const made: PeerConnection[] = [];
    let next: { owner: TestOwner; settings: Partial<PeerSettings>; resolve: (p: PeerConnection) => void } | undefined;
    const listener = await server.listen((stream: PeerStream) => {
      const n = next;
      next = undefined;
      if (!n) return stream.destroy();
      const peer = new PeerConnection(stream, {
        peerId: ID_A,
        settings: n.settings,
        router: (ih) => (ih.every((x, i) => x === n.owner.infoHash[i]) ? n.owner : undefined),
      });
      made.push(peer);
      n.resolve(peer);
    });
    return {
      async connect(owner, settings) {
        const accepted = new Promise<PeerConnection>((resolve) => {
          next = { owner, settings, resolve };
        });
        const stream = await client.dial({ host: '127.0.0.1', port: listener.address.port }, { signal: new AbortController().signal });
        const remote = new ScriptedPeer(stream, { pieceCount: owner.count });
        return { peer: await accepted, remote };
      },
      async cleanup() {
        for (const p of made) p.close();
        await Promise.all(made.map((p) => p.closed));
        await listener.close();
        await client.close();
        await server.close();
      },
    };
  },
  ['14', '15', '16', '17', '18', '20', '21', '21c', '21d'],
);
