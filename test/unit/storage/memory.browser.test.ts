import { createMemoryStorage } from '../../../storage-adapters/memory/index.js';
import { storageSuite } from '../../suites/storage.suite.js';

storageSuite('memory (browser)', async () => ({ adapter: createMemoryStorage({ chunkSize: 4096 }), persistent: true, cleanup: async () => {} }));
