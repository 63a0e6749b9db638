// Test harness: one MetadataFetcher talking to simulated remote peers, each answering with a real
// MetadataServer over its own info bytes (correct, corrupt or none), through an explicit message queue and a
// manual clock. Peers may also be "silent" (never answer) so timeouts can be driven.
import { createHash, randomBytes } from 'node:crypto';
import { bencode } from '../../../src/metainfo/bencode.js';
import { MetadataFetcher } from '../../../src/wire/extensions/ut-metadata-fetcher.js';
import type { MetadataFetcherOptions } from '../../../src/wire/extensions/ut-metadata-fetcher.js';
import { MetadataServer } from '../../../src/wire/extensions/ut-metadata-server.js';
import type { MessageVerdict } from '../../../src/wire/extensions/ut-metadata-codec.js';

/** A bencoded info dict of about `approx` bytes with random piece hashes. */
export function makeInfo(approx: number): Uint8Array {
  return bencode({ length: 123456, name: 'test', 'piece length': 16384, pieces: randomBytes(Math.max(20, approx - 60 - ((approx - 60) % 20))) });
}

export function sha1(b: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha1').update(b).digest());
}
export function sha256(b: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(b).digest());
}

export interface SimPeer {
  key: string;
  server: MetadataServer;
  silent: boolean;
  requests: number[];
  maxOutstanding: number;
  inflight: number;
}

export class MetadataSwarm {
  clock = 0;
  readonly peers = new Map<string, SimPeer>();
  readonly toFetcher: { from: string; payload: Uint8Array }[] = [];
  readonly toPeers: { to: string; payload: Uint8Array }[] = [];
  readonly verdicts: { from: string; verdict: MessageVerdict }[] = [];
  readonly bad: string[] = [];
  readonly hashFailures: string[][] = [];
  result: Uint8Array | undefined;
  readonly fetcher: MetadataFetcher;
  #done: (v: Uint8Array) => void = () => {};
  readonly done = new Promise<Uint8Array>((r) => (this.#done = r));

  constructor(opts: Partial<MetadataFetcherOptions> & Pick<MetadataFetcherOptions, 'infoHashes'>) {
    this.fetcher = new MetadataFetcher(
      {
        send: (to, payload) => {
          this.toPeers.push({ to, payload });
          const p = this.peers.get(to);
          if (p) {
            p.inflight++;
            p.maxOutstanding = Math.max(p.maxOutstanding, p.inflight);
          }
        },
        now: () => this.clock,
        onMetadata: (info) => {
          this.result = info;
          this.#done(info);
        },
        onBadPeer: (k) => this.bad.push(k),
        onHashFailed: (c) => this.hashFailures.push([...c]),
      },
      opts,
    );
  }

  /** Adds a remote peer serving `info` (undefined: rejects everything) and announcing `size`. */
  addPeer(key: string, info: Uint8Array | undefined, size = info?.length, silent = false): SimPeer {
    const server = new MetadataServer(
      {
        send: (_to, payload) => {
          const p = this.peers.get(key);
          if (p) p.inflight--;
          this.toFetcher.push({ from: key, payload });
        },
        now: () => this.clock,
      },
      info === undefined ? {} : { info },
    );
    const p: SimPeer = { key, server, silent, requests: [], maxOutstanding: 0, inflight: 0 };
    this.peers.set(key, p);
    this.fetcher.addPeer(key, size);
    return p;
  }

  /** Delivers queued messages both ways until quiet. Silent peers swallow requests. */
  pump(): void {
    for (let guard = 0; guard < 100_000; guard++) {
      const req = this.toPeers.shift();
      if (req) {
        const p = this.peers.get(req.to);
        if (p && !p.silent) {
          const piece = /5:piecei(\d+)e/.exec(Buffer.from(req.payload).toString('latin1'));
          if (piece) p.requests.push(Number(piece[1]));
          p.server.onMessage('fetcher', req.payload);
        } else if (p) {
          const piece = /5:piecei(\d+)e/.exec(Buffer.from(req.payload).toString('latin1'));
          if (piece) p.requests.push(Number(piece[1]));
        }
        continue;
      }
      const msg = this.toFetcher.shift();
      if (!msg) return;
      this.verdicts.push({ from: msg.from, verdict: this.fetcher.onMessage(msg.from, msg.payload) });
    }
    throw new Error('pump did not settle');
  }

  /** Pumps, lets verification finish, pumps again, until done or `rounds` run out. */
  async settle(rounds = 20): Promise<void> {
    for (let i = 0; i < rounds && this.result === undefined; i++) {
      this.pump();
      await new Promise((r) => setImmediate(r));
    }
  }
}
