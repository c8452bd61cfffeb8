import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** The URL of the redis-server the Jest global setup started for this run. */
export function testRedisUrl(): string {
  const url = process.env.FLEET_TEST_REDIS_URL;
  if (!url) {
    throw new Error(
      'FLEET_TEST_REDIS_URL is not set: run tests through Jest with the @fleet/testing preset, ' +
        'whose global setup starts a throwaway redis-server.',
    );
  }
  return url;
}

/** A key prefix unique to one test file (or one test), so files never see each other's keys. */
export function testPrefix(label = 't'): string {
  return `fleet-test-${label}-${randomBytes(4).toString('hex')}`;
}

/** Delete every key under a prefix (SCAN, never KEYS). */
export async function deletePrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

/** A plain client on the test server, for assertions that read Redis directly. */
export function testRedisClient(): Redis {
  return new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
}
