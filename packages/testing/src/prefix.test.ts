import {
  deletePrefix,
  testPrefix,
  testRedisClient,
  testRedisEnv,
  testRedisMode,
  testRedisTarget,
  testRedisUrl,
} from './prefix.js';

// Runs in both modes: `pnpm test` (one redis-server) and `pnpm test:cluster` (FLEET_TEST_REDIS=cluster).
describe(`the run's Redis (${testRedisMode()})`, () => {
  it('is described the same way to createRedis and to child processes', () => {
    const target = testRedisTarget();
    const env = testRedisEnv();
    if (target.kind === 'single') {
      expect(env).toEqual({ REDIS_URL: testRedisUrl() });
      return;
    }
    expect(target.nodes).toHaveLength(6);
    expect(target.nodes.every((n) => n.host === '127.0.0.1' && n.port !== 6379)).toBe(true);
    expect(env.REDIS_CLUSTER_NODES).toBe(target.nodes.map((n) => `${n.host}:${n.port}`).join(','));
    expect(env.REDIS_PASSWORD).toBe(target.password);
    expect(env.REDIS_URL).toBeUndefined();
    expect(() => testRedisUrl()).toThrow(/Cluster.*testRedisTarget/);
  });

  it('deletePrefix removes every key under a prefix, whichever slot or node holds it', async () => {
    const redis = testRedisClient();
    const prefix = testPrefix('prefix');
    const other = testPrefix('other');
    // Hash tags spread the keys over slots (and, on a Cluster, over every master).
    const keys = Array.from({ length: 40 }, (_, i) => `${prefix}:{t${i}}:k`);
    await Promise.all([...keys, `${other}:{t1}:k`].map((key) => redis.set(key, '1')));
    expect(await deletePrefix(redis, prefix)).toBe(40);
    expect(await Promise.all(keys.map((key) => redis.exists(key)))).toEqual(keys.map(() => 0));
    expect(await redis.get(`${other}:{t1}:k`)).toBe('1');
    await deletePrefix(redis, other);
    redis.disconnect();
  });
});
