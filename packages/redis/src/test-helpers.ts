import { type AllocationOptions, ProfileAllocationService } from '@fleet/core';
import { deletePrefix, testPrefix, testRedisUrl } from '@fleet/testing';
import type { FleetRedis } from './connection.js';
import { createRedis } from './connection.js';
import { RedisProfileStore } from './profile-store.js';

export const POLICY = { cooldownMs: 0, failureThreshold: 3, quarantineMs: 60_000 };

/** A store and service on the run's throwaway redis-server, under a prefix of their own. */
export function poolFixture(options: Partial<AllocationOptions> = {}) {
  const prefix = testPrefix('pool');
  const redis: FleetRedis = createRedis(testRedisUrl(), { role: 'worker' });
  const store = new RedisProfileStore(redis, prefix);
  const service = new ProfileAllocationService(store, { leaseTtlMs: 30_000, release: POLICY, ...options });
  return {
    prefix,
    redis,
    store,
    service,
    async close() {
      await deletePrefix(redis, prefix);
      redis.disconnect();
    },
  };
}

export { sleep } from '@fleet/testing';
