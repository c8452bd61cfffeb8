import { apiSchema } from '@fleet/api/config';
import { ConfigError } from '@fleet/config';
import { DEV_EMAIL, DEV_PASSWORD, launcherSchema } from '@fleet/launcher/config';
import { notifierSchema } from '@fleet/notifier/config';
import { workerSchema } from '@fleet/worker/config';
import { upSettings } from './up-settings.js';

describe('fleet up settings', () => {
  it("takes its defaults from the apps' schemas (ports, browser paths, the launcher's dev sign-in)", () => {
    const s = upSettings({}, '/repo');
    expect(s.ports).toEqual({
      api: apiSchema.apiPort.default,
      notifier: notifierSchema.notifierPort.default,
      worker: workerSchema.workerPort.default,
      launcher: launcherSchema.launcherPort.default,
      demo: 3005,
    });
    expect(s.chromiumPath).toBe(launcherSchema.chromiumPath.default);
    expect(s.credentials).toEqual({ email: DEV_EMAIL, password: DEV_PASSWORD });
    expect(s).toMatchObject({
      redisUrl: 'redis://127.0.0.1:6379',
      prefix: 'fleet',
      dataDir: '/repo/data',
      upFile: '/repo/.fleet/up.json',
    });
  });

  it('refuses Sentinel and Cluster settings: the local fleet runs on one Redis', () => {
    for (const env of [
      { REDIS_CLUSTER_NODES: '127.0.0.1:7001' },
      { REDIS_SENTINELS: '127.0.0.1:26379', REDIS_SENTINEL_NAME: 'm' },
    ]) {
      let error: unknown;
      try {
        upSettings(env, '/repo');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toMatch(/fleet up runs on one Redis: unset it/);
    }
  });

  it('reads the same env names as the apps, and lists every bad one', () => {
    expect(upSettings({ API_PORT: '4000', FLEET_DATA_DIR: '/d' }, '/repo')).toMatchObject({
      ports: { api: 4000 },
      dataDir: '/d',
    });
    let error: unknown;
    try {
      upSettings({ API_PORT: 'x', LAUNCHER_PORT: '70000' }, '/repo');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/API_PORT[\s\S]*LAUNCHER_PORT|LAUNCHER_PORT[\s\S]*API_PORT/);
  });
});
