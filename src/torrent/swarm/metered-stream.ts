/**
 * A PeerStream wrapper that counts every byte in and out (protocol overhead included) for the
 * `downloadRate` / `uploadRate` figures of TorrentStatus. The peer layer meters payload itself. Costs one
 * extra call and a rate update per chunk (not per block).
 */
import type { PeerAddress, PeerStream, StreamSink } from '../../interfaces/transport.js';
import { RateMeter } from '../../picker/rate.js';
import { DOUBLE_ZERO } from '../../double-zero.js';

/** Counts bytes through a {@link PeerStream}. */
export class MeteredStream implements PeerStream {
  readonly remote: PeerAddress;
  readonly direction: 'in' | 'out';
  /** Bytes received / sent, all of them (double fields from the start: they pass 2^31; ../../double-zero.ts). */
  received = DOUBLE_ZERO;
  sent = DOUBLE_ZERO;
  readonly down = new RateMeter();
  readonly up = new RateMeter();
  readonly writev?: (chunks: readonly Uint8Array[]) => boolean;

  constructor(private readonly inner: PeerStream) {
    this.remote = inner.remote;
    this.direction = inner.direction;
    const wv = inner.writev;
    if (wv) {
      this.writev = (chunks) => {
        let n = 0;
        for (let i = 0; i < chunks.length; i++) n += chunks[i]!.length;
        this.#count(n);
        return wv.call(inner, chunks);
      };
    }
  }

  #count(n: number): void {
    this.sent += n;
    this.up.add(n, performance.now());
  }

  get bufferedAmount(): number | undefined {
    return this.inner.bufferedAmount;
  }

  write(data: Uint8Array): boolean {
    this.#count(data.length);
    return this.inner.write(data);
  }

  setSink(sink: StreamSink): void {
    this.inner.setSink({
      data: (chunk) => {
        this.received += chunk.length;
        this.down.add(chunk.length, performance.now());
        sink.data(chunk);
      },
      drain: () => sink.drain(),
      close: (err) => sink.close(err),
    });
  }

  pause(): void { this.inner.pause(); }
  resume(): void { this.inner.resume(); }
  close(): Promise<void> { return this.inner.close(); }
  destroy(err?: Error): void { this.inner.destroy(err); }
}
