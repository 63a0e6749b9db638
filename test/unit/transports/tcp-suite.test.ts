// The shared transport suite over real loopback TCP sockets, IPv4 and IPv6.
import { blockReleaseSuite } from '../../suites/block-release.suite.js';
import { transportSuite } from '../../suites/transport.suite.js';
import { tcpFixture } from './tcp-fixture.js';

// A writer that obeys `false` has at most node's 16 KiB high-water mark plus one 64 KiB write queued in
// userland; the kernel's loopback socket buffers (a few MiB with autotuning) absorb the rest.
const limits = { maxAcceptedWhilePaused: 48 * 1024 * 1024, maxBufferedAmount: 16 * 1024 + 64 * 1024 };

transportSuite('tcp 127.0.0.1', tcpFixture('127.0.0.1'), limits);
transportSuite('tcp ::1', tcpFixture('::1'), { ...limits, largeBytes: 8 * 1024 * 1024 });
blockReleaseSuite('tcp 127.0.0.1', tcpFixture('127.0.0.1'));
