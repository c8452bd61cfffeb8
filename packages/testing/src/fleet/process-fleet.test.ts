import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessFleet } from './process-fleet.js';
import { TEST_KEYS } from './test-keys.js';

const dir = mkdtempSync(join(tmpdir(), 'fleet-process-fleet-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fleet = (host?: { address: string; prefix?: string[] }) =>
  new ProcessFleet({
    dir,
    redisUrl: 'redis://10.0.0.1:6380',
    prefix: 'pf',
    credentials: { email: 'e@x', password: 'pw' },
    apiKeys: [TEST_KEYS.ops],
    secretKey: 'k'.repeat(64),
    allowedTargets: '10.0.0.9:80',
    ...(host ? { host } : {}),
  });

it('wires the apps as an operator does: provider sign-in, keys, secret key, targets, URLs on its host', () => {
  const f = fleet({ address: '10.0.0.2', prefix: ['ip', 'netns', 'exec', 'h1'] });
  f.ports.set('launcher', 4501);
  f.ports.set('notifier', 4601);
  const api = f.envFor('api', 4701);
  expect(api).toMatchObject({
    REDIS_URL: 'redis://10.0.0.1:6380',
    FLEET_PREFIX: 'pf',
    API_PORT: '4701',
    API_HOST: '10.0.0.2',
    MULTILOGIN_API_URL: 'http://10.0.0.2:4501',
    MULTILOGIN_EMAIL: 'e@x',
    MULTILOGIN_PASSWORD: 'pw',
    FLEET_API_KEYS: JSON.stringify([TEST_KEYS.ops]),
    FLEET_SECRET_KEY: 'k'.repeat(64),
    NOTIFIER_PUBLIC_URL: 'http://10.0.0.2:4601',
    ARTIFACTS_DIR: join(dir, 'artifacts'),
  });
  expect(api).not.toHaveProperty('ALLOWED_TARGETS');
  expect(f.envFor('launcher', 4501)).toMatchObject({
    LAUNCHER_HOST: '10.0.0.2',
    LAUNCHER_EMAIL: 'e@x',
    LAUNCHER_PASSWORD: 'pw',
    LAUNCHER_DATA_DIR: join(dir, 'launcher'),
    ALLOWED_TARGETS: '10.0.0.9:80',
  });
  const worker = f.envFor('worker', 0);
  expect(worker).toMatchObject({
    WORKER_PORT: '0',
    ALLOWED_TARGETS: '10.0.0.9:80',
    FLEET_SECRET_KEY: 'k'.repeat(64),
  });
  expect(worker).not.toHaveProperty('FLEET_API_KEYS');
  expect(f.envFor('notifier', 4601)).not.toHaveProperty('MULTILOGIN_PASSWORD');
  expect(f.envFor('notifier', 4601)).toMatchObject({ FLEET_SECRET_KEY: 'k'.repeat(64) });
  expect(f.url('launcher')).toBe('http://10.0.0.2:4501');
});

it('says which app was never started instead of handing out a URL without a port', () => {
  expect(() => fleet().url('api')).toThrow('no app named api was started in this fleet');
});

it('hands out distinct ports', async () => {
  const f = fleet();
  const ports = await Promise.all(Array.from({ length: 20 }, () => f.freePort()));
  expect(new Set(ports).size).toBe(20);
});
