/** Tracker clients (HTTP(S), UDP) and the announcer. The WebSocket tracker lives in websocket*.ts. */
export { Announcer, realTimers } from './announcer.js';
export type { AnnouncerOptions, AnnouncerOwner, Timers, TrackerStatus } from './announcer-types.js';
export { buildAnnounceUrl, createHttpTrackerClient, httpAnnounce, httpScrape, percentEncodeBytes, scrapeUrlFor } from './http.js';
export type { HttpTrackerOptions } from './http.js';
export { createLazyHttpTrackerClient, isHttpTrackerUrl } from './http-lazy.js';
export { checkRedirect, fetchBounded, MAX_TRACKER_RESPONSE } from './http-fetch.js';
export type { BoundedResponse, FetchBoundedOptions } from './http-fetch.js';
export { parseAnnounceResponse, parseScrapeResponse } from './http-parse.js';
export type { ParseAnnounceOptions } from './http-parse.js';
export { UdpTrackerClient } from './udp.js';
export type { UdpTrackerOptions } from './udp.js';
export { checkPeer, isLocalHost, parseCompactPeers } from './address.js';
export { clampInterval, DEFAULT_INTERVAL_LIMITS } from './types.js';
export type {
  AnnounceEvent, AnnounceRequest, AnnounceResponse, IntervalLimits, ScrapeCounts, ScrapeResponse,
  TrackerCallOptions, TrackerClient, TrackerPeer,
} from './types.js';
