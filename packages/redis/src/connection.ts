import type { LoggerPort } from '@fleet/core';
import { Redis, type RedisOptions } from 'ioredis';
import { defineScripts } from './scripts.js';

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
  /** More ioredis options (tests). */
  overrides?: RedisOptions;
}

function reconnectDelay(times: number): number {
  return Math.min(2000, 50 * 2 ** Math.min(times, 6)) + Math.floor(Math.random() * 100);
}

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

/** A connection of the given role with Fleet's Lua scripts registered. */
export function createRedis(url: string, options: ConnectionOptions): Redis {
  const redis = new Redis(url, {
    ...roleOptions(options.role),
    ...(options.name ? { connectionName: options.name } : {}),
    ...options.overrides,
  });
  defineScripts(redis);
  return redis;
}

/** Resolve once the connection is ready (a producer connection refuses commands before that). */
export async function waitReady(redis: Redis, timeoutMs = 10_000): Promise<void> {
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
 * BullMQ and the lease store lose data silently if Redis evicts keys. Warn loudly (it is the
 * operator's server, so warn rather than refuse) unless `maxmemory-policy` is `noeviction`.
 * Returns the policy found, or null when CONFIG is not allowed (managed Redis).
 */
export async function checkEvictionPolicy(redis: Redis, logger: LoggerPort): Promise<string | null> {
  let policy: string | null = null;
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];
    policy = reply[1] ?? null;
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
