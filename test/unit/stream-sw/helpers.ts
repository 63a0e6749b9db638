// Test wiring: a StreamProvider over ReleasingSource doubles, and "pages" (service worker clients) whose
// postMessage hands the message and its real MessagePort to a real StreamResponder asynchronously, as a
// browser delivers client messages.
import type { StreamProvider } from '../../../src/stream/provider.js';
import { StreamResponder } from '../../../src/stream/sw/responder.js';
import type { StreamResponderOptions } from '../../../src/stream/sw/responder.js';
import type { ClientLike, ClientsLike } from '../../../service-worker/router.js';
import type { ReleasingSource } from '../stream/releasing-source.js';

export function providerOf(infoHash: string, sources: ReadonlyArray<ReleasingSource>): StreamProvider {
  const info = { infoHash, name: 't', files: sources.map((s, index) => ({ index, path: s.filePath, length: s.fileLength })) };
  return {
    listTorrents: () => [info],
    getTorrent: (ih) => (ih === infoHash ? info : undefined),
    getSource: (ih, i) => (ih === infoHash ? sources[i] : undefined),
  };
}

export interface Page extends ClientLike {
  readonly responder: StreamResponder;
  /** Messages the page received. */
  readonly received: unknown[];
  alive: boolean;
  /** When false, the page ignores messages (a page that stopped listening). */
  listening: boolean;
}

export function page(id: string, provider: StreamProvider, opts: StreamResponderOptions = {}): Page {
  const responder = new StreamResponder(provider, opts);
  const p: Page = {
    id,
    responder,
    received: [],
    alive: true,
    listening: true,
    postMessage(message, transfer) {
      p.received.push(message);
      setTimeout(() => {
        if (p.listening) responder.handleMessage(message, transfer as MessagePort[]);
      }, 0);
    },
  };
  return p;
}

export function clientsOf(pages: Page[]): ClientsLike {
  return {
    get: (id) => Promise.resolve(pages.find((p) => p.id === id && p.alive)),
    matchAll: () => Promise.resolve(pages.filter((p) => p.alive)),
  };
}

export async function readAll(body: ReadableStream<Uint8Array> | null): Promise<Uint8Array> {
  if (!body) return new Uint8Array(0);
  const parts: Uint8Array[] = [];
  const reader = body.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value);
  const out = new Uint8Array(parts.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of parts) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

export const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it is true (or fails after `ms`). */
export async function until(fn: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await wait(5);
  }
}
