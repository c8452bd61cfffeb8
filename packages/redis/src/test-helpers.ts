import type { ItemResult } from '@fleet/contracts';
import { type AllocationOptions, ProfileAllocationService } from '@fleet/core';
import { deletePrefix, testPrefix, testRedisTarget } from '@fleet/testing';
import type { FleetRedis } from './connection.js';
import { createRedis } from './connection.js';
import { RedisProfileStore } from './profile-store.js';

export const POLICY = { cooldownMs: 0, failureThreshold: 3, quarantineMs: 60_000 };

/** A store and service on the run's throwaway redis-server, under a prefix of their own. */
export function poolFixture(options: Partial<AllocationOptions> = {}) {
  const prefix = testPrefix('pool');
  const redis: FleetRedis = createRedis(testRedisTarget(), { role: 'worker' });
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

/** An item's result as a worker records it (`note` tells writes apart). */
export const itemResult = (state: 'completed' | 'failed', note = ''): ItemResult => ({
  state,
  data: { note },
  artifacts: {},
  url: 'https://a.test/',
  title: 't',
  profileId: 'p1',
  attempts: 1,
  durationMs: 5,
  finishedAt: Date.now(),
});

/** A claim's expiry a minute from now. */
export const later = () => Date.now() + 60_000;

export { sleep } from '@fleet/testing';
