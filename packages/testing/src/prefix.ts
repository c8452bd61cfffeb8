import { randomBytes } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';

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

/**
 * Delete every key under a prefix (SCAN, never KEYS). On a Cluster every master is scanned and
 * keys are unlinked one by one (one UNLINK may not span slots).
 */
export async function deletePrefix(redis: Redis | Cluster, prefix: string): Promise<number> {
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  let deleted = 0;
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length === 0) continue;
      if (redis instanceof Cluster) {
        const counts = await Promise.all(keys.map((key) => node.unlink(key)));
        deleted += counts.reduce((sum, n) => sum + n, 0);
      } else {
        deleted += await node.unlink(...keys);
      }
    } while (cursor !== '0');
  }
  return deleted;
}

/** A plain client on the test server, for assertions that read Redis directly. */
export function testRedisClient(): Redis {
  return new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
}
