// The shared transport suite over real loopback UDP sockets (uTP), IPv4 and IPv6.
import { blockReleaseSuite } from '../../suites/block-release.suite.js';
import { transportSuite } from '../../suites/transport.suite.js';
import { utpFixture } from './utp-fixture.js';

// A writer that obeys `false` has at most the 256 KiB send high-water mark plus one 64 KiB write queued
// (bufferedAmount), plus what is in flight and the peer's 1 MiB receive buffer (+ slack for in-order packets).
const limits = { maxAcceptedWhilePaused: 3 * 1024 * 1024, maxBufferedAmount: 256 * 1024 + 64 * 1024 };

transportSuite('utp 127.0.0.1', utpFixture('127.0.0.1'), { ...limits, largeBytes: 16 * 1024 * 1024 });
transportSuite('utp ::1', utpFixture('::1'), { ...limits, largeBytes: 4 * 1024 * 1024, connections: 16 });
blockReleaseSuite('utp 127.0.0.1', utpFixture('127.0.0.1'));
