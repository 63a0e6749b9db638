import { transportSuite } from '../../suites/transport.suite.js';
import { memoryFixture, memorySuiteOptions } from './memory-fixture.js';

transportSuite('memory', memoryFixture, memorySuiteOptions);
