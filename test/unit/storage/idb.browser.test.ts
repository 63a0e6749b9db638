import { describe, expect, it } from 'vitest';
import { createIdbStorage, mapIdbError } from '../../../storage-adapters/idb/index.js';
import { storageSuite } from '../../suites/storage.suite.js';
import { dropDb, expectBytes, expectCode, makeLayout, pattern, randomId } from './fixtures.js';

storageSuite('idb', async () => {
  const dbName = `suite-${randomId()}`;
  return {
    adapter: createIdbStorage({ dbName, chunkSize: 4096 }),
    persistent: true,
    reopenAdapter: () => createIdbStorage({ dbName }),
    cleanup: () => dropDb(dbName),
  };
});

/** All keys of one database's chunk store, read with the raw IndexedDB API. */
async function rawRecords(dbName: string): Promise<Array<{ key: IDBValidKey; size: number }>> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(dbName);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const os = db.transaction('chunks', 'readonly').objectStore('chunks');
  const [keys, values] = await Promise.all(
    [os.getAllKeys(), os.getAll()].map((r) => new Promise<unknown[]>((resolve) => (r.onsuccess = () => resolve(r.result)))),
  );
  db.close();
  return (keys ?? []).map((key, i) => ({ key: key as IDBValidKey, size: values?.[i] instanceof Uint8Array ? (values[i] as Uint8Array).length : -1 }));
}

describe('idb storage', () => {
  it('stores a 16 KiB block as one chunk record, not the whole piece', async () => {
    const dbName = `chunks-${randomId()}`;
    const layout = makeLayout([4 * 1024 * 1024], 1024 * 1024);
    const s = await createIdbStorage({ dbName }).open(layout);
    await s.write(2, 16384, pattern(2 * 1024 * 1024 + 16384, 16384));
    const recs = await rawRecords(dbName);
    const chunks = recs.filter((r) => typeof (r.key as unknown[])[1] === 'number');
    expect(chunks).toEqual([{ key: [layout.id, 129], size: 16384 }]);
    await s.destroy();
    expect(await rawRecords(dbName)).toEqual([]);
    await dropDb(dbName);
  });

  it('destroy deletes only that torrent\'s records', async () => {
    const dbName = `two-${randomId()}`;
    const adapter = createIdbStorage({ dbName });
    const a = await adapter.open(makeLayout([50000], 16384));
    const b = await adapter.open(makeLayout([50000], 16384));
    await a.write(0, 0, pattern(0, 16384));
    await b.write(0, 0, pattern(0, 16384, 2));
    await a.destroy();
    expectBytes(await b.read(0, 0, 16384), pattern(0, 16384, 2));
    await b.close();
    await dropDb(dbName);
  });

  it('rejects a bad chunk size', async () => {
    expect(() => createIdbStorage({ chunkSize: -1 })).toThrow(/chunkSize/);
    await expectCode(Promise.reject(mapIdbError(new Error('x'), 'read')), 'storage_io_error');
  });
});
