import { describe, test, expect } from 'vitest';
import { defaultSettings, validateSettings, settingNames } from '../../../src/session/settings.js';
import { Session } from '../../../src/session/session.js';
import { alertCategory } from '../../../src/session/alert-category.js';
import { isTorrentError } from '../../../src/errors.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isTorrentError(e) ? `${e.code}:${String(e.details.setting)}` : 'other';
  }
  return undefined;
}

describe('settings', () => {
  test("libtorrent 2.0's defaults", () => {
    expect(defaultSettings).toMatchObject({
      listenInterfaces: '0.0.0.0:6881,[::]:6881', connectionsLimit: 200, alertMask: alertCategory.error,
      alertQueueSize: 2000, activeDownloads: 3, activeSeeds: 5, activeLimit: 500, activeChecking: 1,
      unchokeSlotsLimit: 8, enableDht: true, enableLsd: true, enableIncomingTcp: true, enableOutgoingUtp: true,
      aioThreads: 10, hashingThreads: 1, maxPeerlistSize: 3000, requestTimeout: 60, peerTimeout: 120,
      checkingMemUsage: 256, maxMetadataSize: 31457280,
    });
    expect(defaultSettings.peerFingerprint).toMatch(/^-[A-Z]{2}\d{4}-$/);
    expect(settingNames.length).toBeGreaterThan(40);
  });

  test('rejects unknown names, wrong types and out-of-range values with invalid_setting', () => {
    expect(code(() => validateSettings({ nope: 1 } as never))).toBe('invalid_setting:nope');
    expect(code(() => validateSettings({ connectionsLimit: '5' } as never))).toBe('invalid_setting:connectionsLimit');
    expect(code(() => validateSettings({ connectionsLimit: 0 }))).toBe('invalid_setting:connectionsLimit');
    expect(code(() => validateSettings({ alertQueueSize: 1.5 }))).toBe('invalid_setting:alertQueueSize');
    expect(code(() => validateSettings({ enableDht: 1 } as never))).toBe('invalid_setting:enableDht');
    expect(code(() => validateSettings({ listenInterfaces: '0.0.0.0' }))).toBe('invalid_setting:listenInterfaces');
    expect(code(() => validateSettings({ listenInterfaces: '0.0.0.0:70000' }))).toBe('invalid_setting:listenInterfaces');
    expect(code(() => validateSettings({ peerFingerprint: 'x'.repeat(21) }))).toBe('invalid_setting:peerFingerprint');
    expect(code(() => validateSettings({ userAgent: 'a\r\nX-Evil: 1' }))).toBe('invalid_setting:userAgent');
    expect(code(() => validateSettings({ activeDownloads: -1, listenInterfaces: '[::1]:0,127.0.0.1:6881s', alertMask: 0xffffffff }))).toBeUndefined();
  });

  test('applySettings validates atomically; getSettings returns a copy', async () => {
    const s = new Session();
    expect(code(() => s.applySettings({ connectionsLimit: 50, requestTimeout: -3 }))).toBe('invalid_setting:requestTimeout');
    expect(s.getSettings().connectionsLimit).toBe(200);
    s.applySettings({ connectionsLimit: 50, alertMask: alertCategory.status });
    const got = s.getSettings();
    expect(got.connectionsLimit).toBe(50);
    got.connectionsLimit = 1;
    expect(s.getSettings().connectionsLimit).toBe(50);
    expect(() => new Session({ settings: { alertQueueSize: 0 } })).toThrow(/alertQueueSize/);
    await s.close();
    expect(code(() => s.applySettings({}))).toBe('session_closed:undefined');
  });

  test('the alert mask and queue size take effect', async () => {
    const s = new Session({ settings: { alertMask: 0, alertQueueSize: 1 } });
    s.postTorrentUpdates(); // a reply: posted despite mask 0
    s.postTorrentUpdates();
    s.postTorrentUpdates(); // over the reply head-room (2 × 1)
    const types = s.popAlerts().map((a) => a.type);
    expect(types).toEqual(['state_update', 'state_update', 'alerts_dropped']);
    await s.close();
  });
});
