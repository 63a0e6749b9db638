/**
 * The streaming layer: read torrent files in order while they download, as async iterators, WHATWG
 * streams or whole buffers, with piece deadlines on a read-ahead window; plus the HTTP range, content
 * type and index-page logic shared by the Node server (stream-server/) and the service worker.
 */
export type { StreamSource } from './source.js';
export { pieceAt, piecesOf } from './source.js';
export { DeadlineWindow, deadlineStepMs, resolveReadAhead, windowBytes, windowPieces } from './read-ahead.js';
export type { ReadAheadOptions, ResolvedReadAhead } from './read-ahead.js';
export { FileReader, createFileReader } from './file-reader.js';
export type { FileReaderOptions } from './file-reader.js';
export { arrayBuffer, blob, loadReadableStream, readRange, toReadableStream } from './file-stream.js';
export type { BlobOptions, ReadableStreamConstructor, ToReadableStreamOptions } from './file-stream.js';
export { MAX_RANGES, MAX_RANGE_HEADER, contentRange, parseRange, unsatisfiedRange } from './range.js';
export type { RangeDecision } from './range.js';
export { DEFAULT_CONTENT_TYPE, contentTypeFor } from './mime.js';
export type { StreamFileInfo, StreamProvider, StreamTorrentInfo } from './provider.js';
export { handleStreamSource, sessionStreamProvider } from './handle-source.js';
export type { HandleSourceOptions } from './handle-source.js';
export { PieceNotifier } from './piece-notifier.js';
export { escapeHtml, filePath, renderIndexPage } from './index-page.js';
export { registerStreamWorker, streamTo, streamURL } from './browser-file.js';
export type { RegisterStreamWorkerOptions, ServedURL, StreamURLOptions, StreamWorker } from './browser-file.js';
export { StreamResponder } from './sw/responder.js';
export type { StreamFinishReason, StreamRequestEvent, StreamResponderOptions, StreamResponderStats } from './sw/responder.js';
export { planResponse } from './sw/response-head.js';
export type { PlanFile, PlanRequest, ResponsePlan } from './sw/response-head.js';
export { DEFAULT_PREFIX, parseStreamPath, streamPath } from './sw/protocol.js';
export type { StreamPath } from './sw/protocol.js';
