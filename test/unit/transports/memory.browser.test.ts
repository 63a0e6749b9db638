// The shared transport suite and the memory-specific unit tests against the in-memory transport, in real Chromium.
import { transportSuite } from '../../suites/transport.suite.js';
import { memoryFixture, memorySuiteOptions } from './memory-fixture.js';
import './memory.test.js';

transportSuite('memory (browser)', memoryFixture, memorySuiteOptions);
