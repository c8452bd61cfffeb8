import { RetryableError } from '@fleet/core';
import { type ReplicatedPair, startReplicatedPair } from '@fleet/testing';
import { createRedis, type FleetRedis } from './connection.js';
import { RedisProfileStore } from './profile-store.js';

// A master and a real replica of their own: WAIT counts the replicas that acknowledged.
let redis: FleetRedis;
let pair: ReplicatedPair;

beforeAll(async () => {
  pair = await startReplicatedPair();
  redis = createRedis(pair.master.url, { role: 'worker' });
}, 30_000);

afterAll(async () => {
  redis.disconnect();
  await pair.close();
});

// Generous where the replica is up (a loaded machine must not fail the test), short where it is dead.
const WAIT = { replicas: 1, timeoutMs: 5000 };
const WAIT_DEAD = { replicas: 1, timeoutMs: 300 };

describe('RedisProfileStore with replicaWait (failover safety)', () => {
  it('hands out a lease a replica confirmed, and the replica has it', async () => {
    const store = new RedisProfileStore(redis, 'rw1', null, { replicaWait: WAIT });
    await store.register({ id: 'p1', pool: 'default' });
    const lease = await store.acquire({ pool: 'default' }, 'w1', 'tok-1', 30_000);
    expect(lease).toMatchObject({ profileId: 'p1', fence: 1 });
    // Read on the replica itself: the lease (and its fence) is there, so a promotion keeps it.
    const onReplica = createRedis(pair.replica.url, { role: 'worker' });
    try {
      expect(await onReplica.hget(store.keys.pool('default').profile('p1'), 'token')).toBe('tok-1');
    } finally {
      onReplica.disconnect();
    }
    const renewed = await store.renew(lease!, 60_000);
    expect(renewed.expiresAt).toBeGreaterThan(lease!.expiresAt);
    expect(store.unconfirmedAcquires).toBe(0);
  });

  it('gives back an acquire no replica confirmed, and refuses to count an unconfirmed renewal', async () => {
    const store = new RedisProfileStore(redis, 'rw2', null, { replicaWait: WAIT });
    const storeDead = new RedisProfileStore(redis, 'rw2', null, { replicaWait: WAIT_DEAD });
    const unchecked = new RedisProfileStore(redis, 'rw2');
    await store.register({ id: 'p1', pool: 'default' });
    const held = await store.acquire({ pool: 'default' }, 'w1', 'tok-1', 30_000);
    expect(held).not.toBeNull();
    await pair.replica.stop('SIGKILL');
    try {
      await expect(storeDead.renew(held!, 60_000)).rejects.toThrow(RetryableError);
      await storeDead.release(held!, 'neutral', { cooldownMs: 0, failureThreshold: 3, quarantineMs: 1000 });
      expect(await storeDead.acquire({ pool: 'default' }, 'w2', 'tok-2', 30_000)).toBeNull();
      expect(storeDead.unconfirmedAcquires).toBe(1);
      // Given back at once, stats untouched: free for the next try, and its fence moved on.
      const profile = await store.get('p1');
      expect(profile).toMatchObject({ state: 'available', lease: null, fence: 2 });
      // Without the WAIT the same acquire succeeds on the master alone.
      expect(await unchecked.acquire({ pool: 'default' }, 'w3', 'tok-3', 30_000)).toMatchObject({ fence: 3 });
    } finally {
      await pair.replica.resume();
    }
  }, 30_000);
});
