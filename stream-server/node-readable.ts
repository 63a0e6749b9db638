/**
 * createReadStream: a node:stream Readable over a torrent file (the Node face of src/stream's
 * FileReader). Pull-based: _read() asks the reader for one chunk and pushes it; Node calls _read() again
 * only while its buffer is under the high-water mark, so a slow consumer stops the reader (and the
 * reader's window only moves as data is taken). Destroying the stream closes the reader, which resets
 * its piece deadlines and ends its wait for a piece.
 */
import { Readable } from 'node:stream';
import { createFileReader } from '../src/stream/file-reader.js';
import type { FileReader, FileReaderOptions } from '../src/stream/file-reader.js';
import type { StreamSource } from '../src/stream/source.js';

/** A Readable of bytes [start, end] (inclusive) of the source's file, or of an existing reader. */
export function createReadStream(from: StreamSource | FileReader, opts: FileReaderOptions = {}): Readable {
  const reader = 'next' in from ? from : createFileReader(from, opts);
  let pending = false;
  return new Readable({
    read() {
      if (pending) return;
      pending = true;
      reader.next().then(
        (r) => {
          pending = false;
          if (this.destroyed) return;
          this.push(r.done ? null : r.value);
        },
        (err: unknown) => {
          pending = false;
          this.destroy(err instanceof Error ? err : new Error(String(err)));
        },
      );
    },
    destroy(err, callback) {
      reader.close();
      callback(err);
    },
  });
}
