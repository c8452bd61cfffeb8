import { randomBytes } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import type { RedisClusterTarget } from './redis-cluster.js';
import type { RedisAddress } from './redis-sentinel.js';

/** Which Redis the run's tests use: `FLEET_TEST_REDIS=single` (default) or `cluster`. */
export type TestRedisMode = 'single' | 'cluster';

export function testRedisMode(): TestRedisMode {
  const mode = process.env.FLEET_TEST_REDIS ?? 'single';
  if (mode !== 'single' && mode !== 'cluster') {
    throw new Error(`FLEET_TEST_REDIS="${mode}": use "single" (the default) or "cluster"`);
  }
  return mode;
}

/** Structurally @fleet/redis' `RedisTarget` for the two kinds a test run uses. */
export type TestRedisTarget = { kind: 'single'; url: string } | RedisClusterTarget;

function clusterNodes(): RedisAddress[] | undefined {
  const list = process.env.FLEET_TEST_REDIS_CLUSTER_NODES;
  if (!list) return undefined;
  return list.split(',').map((text) => {
    const at = text.lastIndexOf(':');
    return { host: text.slice(0, at), port: Number(text.slice(at + 1)) };
  });
}

const NOT_SET =
  'run tests through Jest with the @fleet/testing preset, whose global setup starts a throwaway ' +
  'redis-server (or, with FLEET_TEST_REDIS=cluster, a throwaway Redis Cluster).';

/** The URL of the redis-server the Jest global setup started for this run (single mode only). */
export function testRedisUrl(): string {
  const url = process.env.FLEET_TEST_REDIS_URL;
  if (!url) {
    if (clusterNodes()) {
      throw new Error(
        'testRedisUrl(): this run uses a Redis Cluster (FLEET_TEST_REDIS=cluster), which has no single ' +
          'URL: use testRedisTarget() (createRedis), testRedisEnv() (child processes) or testRedisSettings().',
      );
    }
    throw new Error(`FLEET_TEST_REDIS_URL is not set: ${NOT_SET}`);
  }
  return url;
}

/** The run's Redis as a target for `createRedis`: the single server, or the cluster (with its password). */
export function testRedisTarget(): TestRedisTarget {
  const nodes = clusterNodes();
  if (!nodes) return { kind: 'single', url: testRedisUrl() };
  const password = process.env.FLEET_TEST_REDIS_PASSWORD;
  return { kind: 'cluster', nodes, ...(password ? { password } : {}) };
}

/** The Redis settings of an app (WorkerSettings, ApiSettings…) that point it at the run's Redis. */
export function testRedisSettings(): {
  redisUrl: string;
  redisClusterNodes?: string[];
  redisPassword?: string;
} {
  const target = testRedisTarget();
  if (target.kind === 'single') return { redisUrl: target.url };
  return {
    // REDIS_URL's default; settingsEnv leaves it out beside cluster nodes (one mode only).
    redisUrl: 'redis://127.0.0.1:6379',
    redisClusterNodes: target.nodes.map((n) => `${n.host}:${n.port}`),
    ...(target.password ? { redisPassword: target.password } : {}),
  };
}

/** The env that points a child process (an app) at the run's Redis. Holds a password: never log it. */
export function testRedisEnv(): Record<string, string> {
  const target = testRedisTarget();
  if (target.kind === 'single') return { REDIS_URL: target.url };
  return {
    REDIS_CLUSTER_NODES: target.nodes.map((n) => `${n.host}:${n.port}`).join(','),
    ...(target.password ? { REDIS_PASSWORD: target.password } : {}),
  };
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
  if (redis instanceof Cluster && redis.status !== 'ready') {
    // Its masters are known once it is ready (a producer connection queues nothing before that).
    await new Promise((resolve) => redis.once('ready', resolve));
  }
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

/** A plain client on the test server (or cluster), for assertions that read Redis directly. */
export function testRedisClient(): Redis | Cluster {
  const target = testRedisTarget();
  if (target.kind === 'single') return new Redis(target.url, { maxRetriesPerRequest: 1 });
  return new Cluster(target.nodes, {
    redisOptions: { maxRetriesPerRequest: 1, ...(target.password ? { password: target.password } : {}) },
  });
}

/**
 * One plain connection to each server of the run's Redis: the one server, or every node of the
 * cluster, replicas too (a Cluster client's `nodes('all')` lists masters only unless it reads from
 * replicas, and a subscriber may sit on any node). For per-server commands: PUBSUB NUMSUB,
 * CLIENT LIST/KILL. The caller disconnects them.
 */
export function testRedisServers(): Redis[] {
  const target = testRedisTarget();
  if (target.kind === 'single') return [new Redis(target.url, { maxRetriesPerRequest: 1 })];
  return target.nodes.map(
    (node) =>
      new Redis({
        ...node,
        maxRetriesPerRequest: 1,
        ...(target.password ? { password: target.password } : {}),
      }),
  );
}
