import { csvList, durationMs, flag, jsonList, port } from './formats.js';
import { loadConfig } from './load-config.js';
import { settingsEnv } from './settings-env.js';

const schema = {
  appPort: port({ env: 'APP_PORT', default: 3000, doc: 'port' }),
  waitMs: durationMs({ env: 'APP_WAIT_MS', default: 1000, doc: 'wait' }),
  hosts: csvList({ env: 'APP_HOSTS', default: [], doc: 'hosts' }),
  keys: jsonList<{ name: string }>({ env: 'APP_KEYS', default: [], doc: 'keys' }),
  strict: flag({ env: 'APP_STRICT', default: true, doc: 'strict' }),
  secret: { doc: 'secret', format: String, default: '', env: 'APP_SECRET', sensitive: true },
};

it('gives the env that loadConfig reads back as the same settings', () => {
  const values = {
    ...loadConfig(schema, { env: {} }).getProperties(),
    redisUrl: 'redis://10.0.0.1:6380',
    prefix: 'p1',
    appPort: 0,
    waitMs: 250,
    hosts: ['127.0.0.1:8080', 'localhost:8080'],
    keys: [{ name: 'a' }, { name: 'b,c' }],
    strict: false,
    secret: 's3cret',
  };
  const env = settingsEnv(schema, values);
  expect(env).toMatchObject({
    REDIS_URL: 'redis://10.0.0.1:6380',
    FLEET_PREFIX: 'p1',
    APP_PORT: '0',
    APP_HOSTS: '127.0.0.1:8080,localhost:8080',
    APP_KEYS: '[{"name":"a"},{"name":"b,c"}]',
    APP_STRICT: 'false',
  });
  expect(loadConfig(schema, { env }).getProperties()).toEqual(values);
});

it('skips values the schema has no env name for', () => {
  expect(settingsEnv(schema, { appPort: 1, notASetting: 'x' } as never)).toEqual({ APP_PORT: '1' });
});

it('leaves out a default REDIS_URL beside Cluster nodes, so the child sees one Redis mode', () => {
  const values = {
    ...loadConfig(schema, { env: {} }).getProperties(),
    redisClusterNodes: ['127.0.0.1:7001', '127.0.0.1:7002'],
    redisPassword: 'pw',
  };
  const env = settingsEnv(schema, values);
  expect(env.REDIS_URL).toBeUndefined();
  expect(env.REDIS_CLUSTER_NODES).toBe('127.0.0.1:7001,127.0.0.1:7002');
  const back = loadConfig(schema, { env }).getProperties();
  expect(back.redisClusterNodes).toEqual(values.redisClusterNodes);
  expect(back.redisPassword).toBe('pw');
});
