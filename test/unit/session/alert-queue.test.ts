import { describe, test, expect, vi } from 'vitest';
import { AlertQueue } from '../../../src/session/alert-queue.js';
import { createAlert, alertMessage, ALERT_CATEGORY } from '../../../src/session/alerts.js';
import type { Alert } from '../../../src/session/alerts.js';
import { alertCategory } from '../../../src/session/alert-category.js';

const paused = (i: number): Alert => createAlert('torrent_paused', { infoHash: `h${i}`, name: `t${i}` });
const update = (): Alert => createAlert('state_update', { status: [] });

describe('AlertQueue', () => {
  test('queues alerts in the mask and skips the rest', () => {
    const q = new AlertQueue({ mask: alertCategory.error, limit: 10 });
    expect(q.post(paused(1))).toBe(false); // status category, not in mask
    expect(q.post(createAlert('torrent_error', { infoHash: 'h', name: 'n', error: { code: 'storage_io_error', message: 'x' } }))).toBe(true);
    expect(q.popAll().map((a) => a.type)).toEqual(['torrent_error']);
    q.setMask(alertCategory.status);
    expect(q.post(paused(2))).toBe(true);
    expect(q.pop()?.type).toBe('torrent_paused');
    expect(q.pop()).toBeUndefined();
  });

  test('replies to explicit requests are posted whatever the mask', () => {
    const q = new AlertQueue({ mask: 0, limit: 10 });
    expect(q.post(update())).toBe(true);
    expect(q.post(createAlert('torrent_removed', { infoHash: 'h', name: '' }))).toBe(true);
    expect(q.post(paused(1))).toBe(false);
    expect(q.popAll().map((a) => a.type)).toEqual(['state_update', 'torrent_removed']);
  });

  test('overflow drops alerts and reports alerts_dropped with their types after the queued ones', () => {
    const q = new AlertQueue({ mask: alertCategory.all, limit: 3 });
    for (let i = 0; i < 5; i++) q.post(paused(i));
    q.post(createAlert('piece_finished', { infoHash: 'h', name: 'n', pieceIndex: 1 }));
    expect(q.size).toBe(3);
    const got = q.popAll();
    expect(got.map((a) => a.type)).toEqual(['torrent_paused', 'torrent_paused', 'torrent_paused', 'alerts_dropped']);
    const dropped = got[3]!;
    expect(dropped.type === 'alerts_dropped' && dropped.droppedTypes).toEqual(['piece_finished', 'torrent_paused']);
    expect(dropped.category).toBe(alertCategory.error);
    expect(alertMessage(dropped)).toContain('piece_finished');
    expect(q.popAll()).toEqual([]);
  });

  test('replies get head-room past the limit, still bounded', () => {
    const q = new AlertQueue({ mask: alertCategory.all, limit: 2 });
    q.post(paused(1));
    q.post(paused(2));
    expect(q.post(update())).toBe(true);
    expect(q.post(update())).toBe(true);
    expect(q.post(update())).toBe(false);
    expect(q.size).toBe(4);
  });

  test('pop yields alerts_dropped once the queue is drained', () => {
    const q = new AlertQueue({ mask: alertCategory.all, limit: 1 });
    q.post(paused(1));
    q.post(paused(2));
    expect(q.pop()?.type).toBe('torrent_paused');
    expect(q.pop()?.type).toBe('alerts_dropped');
    expect(q.pop()).toBeUndefined();
  });

  test('waitForAlert resolves with the front alert without removing it, or null on timeout', async () => {
    const q = new AlertQueue({ mask: alertCategory.all, limit: 10 });
    const t0 = Date.now();
    expect(await q.waitForAlert(40)).toBeNull();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(35);
    const p = q.waitForAlert(5000);
    q.post(paused(7));
    const a = await p;
    expect(a?.type).toBe('torrent_paused');
    expect(q.size).toBe(1);
    expect(await q.waitForAlert(0)).toBe(a);
  });

  test('waitForAlert leaves no timer behind', async () => {
    const q = new AlertQueue({ mask: alertCategory.all, limit: 10 });
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const p = q.waitForAlert(60_000);
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before + 1);
    q.post(paused(1));
    await p;
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before);
    q.popAll();
    const p2 = q.waitForAlert(60_000);
    q.close();
    expect(await p2).toBeNull();
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before);
  });

  test('notify runs (asynchronously) when the queue goes from empty to non-empty', async () => {
    const q = new AlertQueue({ mask: alertCategory.all, limit: 10 });
    const fn = vi.fn();
    q.setNotify(fn);
    q.post(paused(1));
    q.post(paused(2));
    expect(fn).not.toHaveBeenCalled();
    await Promise.resolve();
    expect(fn).toHaveBeenCalledTimes(1);
    q.popAll();
    q.post(paused(3));
    await Promise.resolve();
    expect(fn).toHaveBeenCalledTimes(2);
  });

  test('async iterator yields posted alerts in order and ends after close once drained', async () => {
    const q = new AlertQueue({ mask: alertCategory.all, limit: 10 });
    const seen: string[] = [];
    const done = (async () => {
      for await (const a of q.iterate()) seen.push(a.type === 'torrent_paused' ? a.infoHash : a.type);
    })();
    q.post(paused(1));
    await new Promise((r) => setTimeout(r, 5));
    q.post(paused(2));
    q.post(paused(3));
    q.close();
    await done;
    expect(seen).toEqual(['h1', 'h2', 'h3']);
    expect(q.post(paused(4))).toBe(false);
  });

  test('every alert type has a category and message text; alerts are structured-clonable', () => {
    for (const [type, cat] of Object.entries(ALERT_CATEGORY)) {
      expect(cat, type).toBeGreaterThan(0);
      expect(cat & ~alertCategory.all, type).toBe(0);
    }
    const a = createAlert('state_changed', { infoHash: 'ab', name: 'x', state: 'seeding', prevState: 'checking_files' });
    expect(structuredClone(a)).toEqual(a);
    expect(alertMessage(a)).toBe('x: state changed to: seeding');
  });

  test('libtorrent category values', () => {
    expect(alertCategory).toMatchObject({
      error: 0x1, peer: 0x2, portMapping: 0x4, storage: 0x8, tracker: 0x10, connect: 0x20, status: 0x40,
      ipBlock: 0x100, performanceWarning: 0x200, dht: 0x400, sessionLog: 0x2000, torrentLog: 0x4000,
      peerLog: 0x8000, incomingRequest: 0x10000, dhtLog: 0x20000, dhtOperation: 0x40000, portMappingLog: 0x80000,
      pickerLog: 0x100000, fileProgress: 0x200000, pieceProgress: 0x400000, upload: 0x800000, blockProgress: 0x1000000,
    });
    const q = new AlertQueue({ mask: 0xffffffff, limit: 10 });
    expect(q.mask).toBe(alertCategory.all);
    expect(q.post(createAlert('piece_finished', { infoHash: 'h', name: '', pieceIndex: 0 }))).toBe(true);
  });
});
