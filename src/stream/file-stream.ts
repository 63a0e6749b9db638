/**
 * File streams over a {@link StreamSource}: a WHATWG ReadableStream, and whole-range helpers
 * (arrayBuffer, blob). The Node stream.Readable adapter lives in stream-server/node-readable.ts
 * because src/ never imports node:*.
 *
 * The ReadableStream is pull-based with a high-water mark of 0: a chunk is read from the source only when
 * the consumer asks for one, so backpressure reaches the reader (and its deadlines) directly.
 */
import { TorrentError } from '../errors.js';
import { createFileReader } from './file-reader.js';
import type { FileReader, FileReaderOptions } from './file-reader.js';
import { contentTypeFor } from './mime.js';
import type { StreamSource } from './source.js';

/** The ReadableStream constructor this module uses. */
export type ReadableStreamConstructor = typeof globalThis.ReadableStream;

let loaded: ReadableStreamConstructor | undefined;

/**
 * The runtime's ReadableStream, or web-streams-polyfill's where the runtime has none (loaded once, on
 * demand, so runtimes with native streams never fetch it). Call it before {@link toReadableStream} in
 * such runtimes.
 */
export async function loadReadableStream(): Promise<ReadableStreamConstructor> {
  if (typeof globalThis.ReadableStream === 'function') return globalThis.ReadableStream;
  if (!loaded) {
    const mod = await import('web-streams-polyfill');
    loaded = mod.ReadableStream as unknown as ReadableStreamConstructor;
  }
  return loaded;
}

function readableStreamCtor(explicit: ReadableStreamConstructor | undefined): ReadableStreamConstructor {
  const ctor = explicit ?? (typeof globalThis.ReadableStream === 'function' ? globalThis.ReadableStream : loaded);
  if (!ctor) throw new TorrentError('not_supported', 'this runtime has no ReadableStream; await loadReadableStream() first');
  return ctor;
}

/** Options of {@link toReadableStream}. */
export interface ToReadableStreamOptions extends FileReaderOptions {
  /** The ReadableStream constructor to use (default the runtime's, or the polyfill once loaded). */
  ReadableStream?: ReadableStreamConstructor;
}

/**
 * A WHATWG ReadableStream of bytes [start, end] of the file (or of an existing reader). Cancelling the
 * stream closes the reader, which resets its deadlines.
 */
export function toReadableStream(from: StreamSource | FileReader, opts: ToReadableStreamOptions = {}): ReadableStream<Uint8Array> {
  const Ctor = readableStreamCtor(opts.ReadableStream);
  const reader = 'next' in from ? from : createFileReader(from, opts);
  return new Ctor<Uint8Array>(
    {
      async pull(controller) {
        try {
          const r = await reader.next();
          if (r.done) controller.close();
          else controller.enqueue(r.value);
        } catch (err) {
          reader.close();
          controller.error(err);
        }
      },
      cancel() {
        reader.close();
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * Bytes [start, end] of the file in one new buffer (allocated once at the range's size). Suitable for
 * small files; stream large ones.
 */
export async function readRange(source: StreamSource, opts: FileReaderOptions = {}): Promise<Uint8Array> {
  const reader = createFileReader(source, opts);
  const out = new Uint8Array(reader.remaining);
  let at = 0;
  try {
    for await (const chunk of reader) {
      out.set(chunk, at);
      at += chunk.length;
    }
  } finally {
    reader.close();
  }
  return out;
}

/** Bytes [start, end] of the file as an ArrayBuffer. */
export async function arrayBuffer(source: StreamSource, opts: FileReaderOptions = {}): Promise<ArrayBuffer> {
  const bytes = await readRange(source, opts);
  return bytes.buffer as ArrayBuffer;
}

/** Options of {@link blob}. */
export interface BlobOptions extends FileReaderOptions {
  /** The Blob's type (default from the file name's extension, see contentTypeFor). */
  type?: string;
}

/** Bytes [start, end] of the file as a Blob typed by the file's extension. */
export async function blob(source: StreamSource, opts: BlobOptions = {}): Promise<Blob> {
  const bytes = await readRange(source, opts);
  return new Blob([bytes as Uint8Array<ArrayBuffer>], { type: opts.type ?? contentTypeFor(source.filePath) });
}
