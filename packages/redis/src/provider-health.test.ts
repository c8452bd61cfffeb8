import { deletePrefix, testPrefix, testRedisTarget } from '@fleet/testing';
import { createRedis } from './connection.js';
import { RedisProviderHealth } from './provider-health.js';

const prefix = testPrefix('provider-health');
const redis = createRedis(testRedisTarget(), { role: 'worker' });
const health = new RedisProviderHealth(redis, prefix);
afterAll(async () => {
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

describe('provider health marks', () => {
  const h1 = 'http://10.231.0.11:45001';
  const h2 = 'http://10.231.0.12:45001';

  it('keeps when an outage began across marks, until a call gets through', async () => {
    await health.markDown(h2, 'ECONNREFUSED', 'w1', 2_000);
    await health.markDown(h1, 'no connection within the connect timeout', 'w1', 1_000);
    await health.markDown(h1, 'ECONNREFUSED', 'w2', 5_000);
    expect(await health.down(60_000, 6_000)).toEqual([
      { provider: h1, since: 1_000, lastSeenAt: 5_000, error: 'ECONNREFUSED', by: 'w2' },
      { provider: h2, since: 2_000, lastSeenAt: 2_000, error: 'ECONNREFUSED', by: 'w1' },
    ]);
    await health.markUp(h1);
    await health.markDown(h1, 'ECONNREFUSED', 'w1', 7_000);
    expect((await health.down(60_000, 7_000)).find((d) => d.provider === h1)?.since).toBe(7_000);
  });

  it('leaves out marks nobody refreshed for longer than freshMs (a host no profile uses any more)', async () => {
    expect((await health.down(3_000, 7_000)).map((d) => d.provider)).toEqual([h1]);
  });
});
