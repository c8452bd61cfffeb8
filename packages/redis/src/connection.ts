import { readFileSync } from 'node:fs';
import type { LoggerPort } from '@fleet/core';
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import type { RedisTarget } from './redis-target.js';
import { defineScripts } from './scripts.js';

/** Every Fleet connection: a single node / Sentinel-managed master (`Redis`) or a `Cluster`. */
export type FleetRedis = Redis | Cluster;

/**
 * Two kinds of connection, with the rules BullMQ documents:
 * - `worker`: blocking/long-lived consumers. `maxRetriesPerRequest: null` so commands wait through a
 *   Redis outage instead of failing, and reconnect forever with capped backoff.
 * - `producer`: request paths (the API). Fail fast: no offline queue, one retry, short connect
 *   timeout, so an outage answers 503 at once instead of piling up requests.
 */
export type ConnectionRole = 'worker' | 'producer';

export interface ConnectionOptions {
  role: ConnectionRole;
  /** Shown in CLIENT LIST, e.g. `fleet-worker:host-1234`. */
  name?: string;
  /** More ioredis options (tests); on a Cluster they go to every node's connection. */
  overrides?: RedisOptions;
  /** More ioredis Cluster options (tests), on a Cluster only. */
  clusterOverrides?: ClusterOptions;
}

function reconnectDelay(times: number): number {
  return Math.min(2000, 50 * 2 ** Math.min(times, 6)) + Math.floor(Math.random() * 100);
}

/** ~30 s of retries (cluster-node-timeout plus an election, with room) before a command fails. */
const WORKER_FAILOVER_RETRY: ClusterOptions = {
  retryDelayOnFailover: 200,
  retryDelayOnClusterDown: 200,
  retryDelayOnTryAgain: 200,
  maxRedirections: 150,
};

export function roleOptions(role: ConnectionRole): RedisOptions {
  return role === 'worker'
    ? { maxRetriesPerRequest: null, enableOfflineQueue: true, retryStrategy: reconnectDelay }
    : {
        maxRetriesPerRequest: 1,
        enableOfflineQueue: false,
        connectTimeout: 2000,
        retryStrategy: reconnectDelay,
      };
}

/**
 * A connection of the given role to the target, with Fleet's Lua scripts registered. A string is
 * a single node's URL. Sentinel: ioredis asks the sentinels for the master of `name` and follows
 * failovers. Cluster: an ioredis `Cluster` whose node connections carry the role's options, so a
 * BullMQ Worker accepts it (BullMQ reads `maxRetriesPerRequest` from the Cluster's `redisOptions`).
 */
export function createRedis(target: RedisTarget | string, options: ConnectionOptions): FleetRedis {
  const t: RedisTarget = typeof target === 'string' ? { kind: 'single', url: target } : target;
  const role = roleOptions(options.role);
  const named = options.name ? { connectionName: options.name } : {};
  const tls = tlsOptions(t);
  let redis: FleetRedis;
  if (t.kind === 'cluster') {
    const { maxRetriesPerRequest, connectTimeout, retryStrategy, enableOfflineQueue } = role;
    redis = new Cluster(t.nodes, {
      enableOfflineQueue,
      clusterRetryStrategy: (times) => retryStrategy?.(times) ?? null,
      // A worker's command to a master that just died is retried (slots refreshed each time) for
      // as long as a failover takes; ioredis's default gives up after 16 x 100 ms, before the
      // replica has taken over (seen: "Too many Cluster redirections" mid-failover).
      ...(options.role === 'worker' ? WORKER_FAILOVER_RETRY : {}),
      redisOptions: {
        maxRetriesPerRequest,
        ...(connectTimeout === undefined ? {} : { connectTimeout }),
        ...credentials(t),
        ...(tls ? { tls } : {}),
        ...named,
        ...options.overrides,
      },
      ...options.clusterOverrides,
    });
  } else if (t.kind === 'sentinel') {
    redis = new Redis({
      sentinels: t.sentinels,
      name: t.name,
      role: 'master',
      ...(t.sentinelPassword ? { sentinelPassword: t.sentinelPassword } : {}),
      ...credentials(t),
      ...(tls ? { tls, sentinelTLS: tls, enableTLSForSentinelMode: true } : {}),
      // After a failover the old master comes back as a replica: a connection still on it gets
      // READONLY for writes. Reconnect (ioredis asks the sentinels again) and resend the command.
      reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
      failoverDetector: true,
      ...role,
      ...named,
      ...options.overrides,
    });
  } else {
    redis = new Redis(t.url, { ...role, ...(tls ? { tls } : {}), ...named, ...options.overrides });
  }
  defineScripts(redis);
  return redis;
}

function credentials(t: { username?: string; password?: string }): RedisOptions {
  return { ...(t.username ? { username: t.username } : {}), ...(t.password ? { password: t.password } : {}) };
}

const caFiles = new Map<string, string>();

/** The TLS options of a target, or undefined for plain TCP. The CA file is read once per process. */
function tlsOptions(t: RedisTarget): { ca?: string } | undefined {
  const wanted = t.kind === 'single' ? t.url.startsWith('rediss://') : t.tls === true;
  if (!wanted) return undefined;
  if (!t.tlsCa) return {};
  let ca = caFiles.get(t.tlsCa);
  if (ca === undefined) {
    try {
      ca = readFileSync(t.tlsCa, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new Error(`REDIS_TLS_CA ${t.tlsCa} cannot be read (${code}): fix the path or unset it`);
    }
    caFiles.set(t.tlsCa, ca);
  }
  return { ca };
}

/** Resolve once the connection is ready (a producer connection refuses commands before that). */
export async function waitReady(redis: FleetRedis, timeoutMs = 10_000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis was not ready within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const onEnd = () => {
      cleanup();
      reject(new Error('the Redis connection ended before it was ready'));
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('end', onEnd);
    };
    redis.on('ready', onReady);
    redis.on('end', onEnd);
  });
}

/**
 * The connections that hold data: the one `Redis`, or every master of a `Cluster` (known once
 * the Cluster is ready). For commands that act on one server only: SCAN, CONFIG, INFO.
 */
export async function mastersOf(redis: FleetRedis): Promise<Redis[]> {
  if (!(redis instanceof Cluster)) return [redis];
  await waitReady(redis);
  return redis.nodes('master');
}

/**
 * A new connection to the same target for SUBSCRIBE (a subscribed connection takes no other
 * commands). It waits through outages whatever the source's role: the SUBSCRIBE is queued until
 * connected and renewed after every reconnect.
 */
export function subscriberOf(redis: FleetRedis, name?: string): FleetRedis {
  const named = name ? { connectionName: name } : {};
  if (redis instanceof Cluster) {
    return redis.duplicate(undefined, {
      enableOfflineQueue: true,
      redisOptions: {
        ...redis.options.redisOptions,
        maxRetriesPerRequest: null,
        commandTimeout: undefined,
        autoResubscribe: true,
        ...named,
      },
    });
  }
  return redis.duplicate({
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    commandTimeout: undefined,
    autoResubscribe: true,
    ...named,
  });
}

/** The options of `redis`'s connections (a Cluster's node options): connectionName, commandTimeout… */
export function nodeOptionsOf(redis: FleetRedis): Partial<RedisOptions> {
  return redis instanceof Cluster ? (redis.options.redisOptions ?? {}) : redis.options;
}

/**
 * Every key matching `pattern`, in batches (SCAN, never KEYS): on a Cluster, every master is
 * scanned (a SCAN sent through the Cluster reaches one node only).
 */
export async function* scanKeys(redis: FleetRedis, pattern: string, count = 1000): AsyncGenerator<string[]> {
  for (const node of await mastersOf(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', count);
      cursor = next;
      if (keys.length > 0) yield keys;
    } while (cursor !== '0');
  }
}

/**
 * BullMQ and the lease store lose data silently if Redis evicts keys. Warn loudly (it is the
 * operator's server, so warn rather than refuse) unless `maxmemory-policy` is `noeviction` (on
 * every master of a Cluster). Returns the policy found (the first master's that is not
 * `noeviction`), or null when CONFIG is not allowed (managed Redis).
 */
export async function checkEvictionPolicy(redis: FleetRedis, logger: LoggerPort): Promise<string | null> {
  let policy: string | null = 'noeviction';
  try {
    for (const node of await mastersOf(redis)) {
      const reply = (await node.config('GET', 'maxmemory-policy')) as string[];
      const found = reply[1] ?? null;
      if (found !== 'noeviction') {
        policy = found;
        break;
      }
    }
  } catch {
    logger.warn({}, 'could not read maxmemory-policy (CONFIG GET refused): make sure it is noeviction');
    return null;
  }
  if (policy !== 'noeviction') {
    logger.warn(
      { maxmemoryPolicy: policy },
      `Redis maxmemory-policy is "${policy}", not "noeviction": under memory pressure Redis may evict ` +
        'queue jobs and profile leases. Set `maxmemory-policy noeviction`.',
    );
  }
  return policy;
}
