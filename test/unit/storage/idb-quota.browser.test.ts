// A real QuotaExceededError: the origin's quota is cut to 2 MiB through the Chrome DevTools Protocol, then a
// torrent larger than that is written. Its own file, to keep the override's window (which applies to the whole
// origin) short. Chromium (observed in about one run in four) sometimes keeps the old quota for a page whose
// IndexedDB is already in use: then all 32 MiB are accepted and read back intact, and the test is skipped
// with that reason instead of passing; whenever the real rejection happens its mapping is checked.
import { cdp } from 'vitest/browser';
import { expect, it } from 'vitest';
import { createIdbStorage, mapIdbError } from '../../../storage-adapters/idb/index.js';
import { dropDb, makeLayout, pattern, randomId } from './fixtures.js';

it('maps a real QuotaExceededError to storage_quota_exceeded', async (ctx) => {
  expect(mapIdbError(new DOMException('full', 'QuotaExceededError'), 'write').code).toBe('storage_quota_exceeded');
  expect(mapIdbError(new DOMException('x', 'UnknownError'), 'write').code).toBe('storage_io_error');
  const dbName = `quota-${randomId()}`;
  const session = cdp();
  await session.send('Storage.overrideQuotaForOrigin', { origin: location.origin, quotaSize: 2 * 1024 * 1024 });
  try {
    const layout = makeLayout([32 * 1024 * 1024], 1024 * 1024);
    const s = await createIdbStorage({ dbName }).open(layout);
    let err: unknown;
    for (let i = 0; i < layout.pieceCount && err === undefined; i++) {
      err = await s.write(i, 0, pattern(i * 1024 * 1024, 1024 * 1024)).then(() => undefined, (e: unknown) => e);
    }
    if (err === undefined) {
      // Every write resolved: prove IndexedDB really stored them all (nothing was swallowed), then skip.
      for (let i = 0; i < layout.pieceCount; i++) {
        expect((await s.read(i, 0, 1024 * 1024)).every((b, j) => b === pattern(i * 1024 * 1024 + j, 1)[0])).toBe(true);
      }
      await s.destroy();
      ctx.skip('Chromium did not enforce the CDP quota override in this page (all 32 MiB were stored)');
    }
    await s.destroy();
    expect(err).toMatchObject({ code: 'storage_quota_exceeded' });
    expect((err as { cause: DOMException }).cause.name).toBe('QuotaExceededError');
  } finally {
    await session.send('Storage.overrideQuotaForOrigin', { origin: location.origin });
    await dropDb(dbName);
  }
});
