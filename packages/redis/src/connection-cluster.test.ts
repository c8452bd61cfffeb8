/**
 * createRedis on a real Redis Cluster (3 masters, 3 replicas, a password on every node): the role's
 * options work, the helpers reach every master, Redis refuses a script whose keys span two slots
 * (what makes `pnpm test:cluster` catch such a mistake), and a worker connection carries on
 * through a master's failover.
 */
import { RedisCluster, waitFor } from '@fleet/testing';
import type { Cluster } from 'ioredis';
import {
  checkEvictionPolicy,
  createRedis,
  mastersOf,
  scanKeys,
  subscriberOf,
  waitReady,
} from './connection.js';
import { Keys } from './keys.js';

const PASSWORD = 'cluster-connection-secret';
let cluster: RedisCluster;
beforeAll(async () => {
  cluster = await RedisCluster.start({ password: PASSWORD });
}, 60_000);
afterAll(() => cluster?.stop());

const quiet = () => {};
function memoryLogger() {
  const warnings: string[] = [];
  return {
    warnings,
    debug: quiet,
    info: quiet,
    error: quiet,
    warn: (_obj: object, msg: string) => warnings.push(msg),
    child() {
      return this;
    },
  };
}

it('connects with the password; mastersOf, scanKeys and checkEvictionPolicy cover every master', async () => {
  const redis = createRedis(cluster.target(), { role: 'worker', name: 'cluster-test' });
  await waitReady(redis);
  const masters = await mastersOf(redis);
  expect(masters).toHaveLength(3);
  // Keys on every master (hash tags spread them), found by one scanKeys.
  const keys = Array.from({ length: 60 }, (_, i) => `scan:{s${i}}:k`);
  await Promise.all(keys.map((key) => redis.set(key, '1')));
  const perMaster = await Promise.all(masters.map((m) => m.dbsize()));
  expect(perMaster.every((n) => n > 0)).toBe(true);
  const seen = new Set<string>();
  for await (const batch of scanKeys(redis, 'scan:*', 10)) for (const key of batch) seen.add(key);
  expect([...seen].sort()).toEqual([...keys].sort());

  const log = memoryLogger();
  expect(await checkEvictionPolicy(redis, log as never)).toBe('noeviction');
  await masters[2]!.config('SET', 'maxmemory-policy', 'allkeys-lru');
  expect(await checkEvictionPolicy(redis, log as never)).toBe('allkeys-lru');
  expect(log.warnings).toHaveLength(1);
  await masters[2]!.config('SET', 'maxmemory-policy', 'noeviction');
  redis.disconnect();
});

it('a producer without the password is refused with NOAUTH, and the error holds no password', async () => {
  const target = cluster.target();
  const { password: _dropped, ...anonymous } = target;
  const producer = createRedis(anonymous, {
    role: 'producer',
    clusterOverrides: { clusterRetryStrategy: () => null },
  });
  const errors: Error[] = [];
  producer.on('error', (err: Error) => errors.push(err));
  const failure = await new Promise<Error>((resolve) => {
    producer.once('end', () => resolve(errors[0] ?? new Error('ended without an error')));
  });
  expect(String(failure.message)).not.toContain(PASSWORD);
  expect(errors.some((e) => /NOAUTH|auth|slots/i.test(String(e.message)))).toBe(true);
  producer.disconnect();
});

it('Redis refuses a Fleet script whose keys lie in two slots (CROSSSLOT)', async () => {
  const redis = createRedis(cluster.target(), { role: 'worker' });
  const keys = new Keys('crossslot');
  const eu = keys.pool('eu');
  const us = keys.pool('us');
  expect(await redis.cluster('KEYSLOT', eu.leases)).not.toBe(await redis.cluster('KEYSLOT', us.leases));
  // One pool's keys: runs (the profile is not leased: -5).
  expect(await redis.fleetRenew(eu.leases, eu.profile('p'), 'p', 'token', 1000)).toBe(-5);
  // The leases of one pool with the profile of another: refused by the Cluster itself.
  await expect(redis.fleetRenew(eu.leases, us.profile('p'), 'p', 'token', 1000)).rejects.toThrow(/CROSSSLOT/);
  redis.disconnect();
});

it('a subscriber copy hears PUBLISH; a worker connection carries on through a master failover', async () => {
  const redis = createRedis(cluster.target(), { role: 'worker' }) as Cluster;
  redis.on('error', quiet);
  const sub = subscriberOf(redis, 'sub');
  sub.on('error', quiet);
  try {
    const heard: string[] = [];
    sub.on('message', (_channel: string, text: string) => heard.push(text));
    await sub.subscribe('cluster-ch');
    await redis.publish('cluster-ch', 'before');

    const key = 'failover:{f}:k';
    await redis.set(key, 'v1');
    const index = await cluster.masterIndexOf(key);
    const victim = (await cluster.masters())[index]!;
    // WAIT on the key's own master (a keyless WAIT goes to any node): v1 is on the replica before
    // the kill, or replication is asynchronous and the failover may rightly lose it.
    const owner = redis.nodes('master').find((n) => n.options.port === victim.port)!;
    expect(await owner.call('WAIT', '1', '5000')).toBe(1);
    const kill = cluster.killMaster(index);
    // Issued once the master has exited (not merely been told to: a write it acked and never
    // replicated is lost with it): the worker role queues and retries until the replica serves.
    await waitFor('the master to exit', async () => !victim.running, { timeoutMs: 10_000, intervalMs: 10 });
    const during = redis.set(key, 'v2');
    await kill;
    await during;
    expect(await redis.get(key)).toBe('v2');
    await redis.publish('cluster-ch', 'after');
    await new Promise((r) => setTimeout(r, 500));
    expect(heard).toContain('before');
  } finally {
    // Also on failure: a connection left open to a killed node keeps jest from exiting.
    sub.disconnect();
    redis.disconnect();
  }
}, 90_000);
