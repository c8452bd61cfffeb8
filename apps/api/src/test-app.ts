import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiKeyRing } from '@fleet/auth';
import { createItemsQueue, type ItemsQueue } from '@fleet/queue';
import { createRedis, RedisProfileStore, waitReady } from '@fleet/redis';
import { deletePrefix, testPrefix, testRedisUrl } from '@fleet/testing';
import { FileArtifactStore } from '@fleet/webdriver/artifacts';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Redis } from 'ioredis';
import { type ApiDeps, buildServer } from './server.js';

export const OPS_KEY = 'ops-admin-key-0123456789';
export const ACME_KEY = 'acme-user-key-0123456789';
export const OTHER_KEY = 'other-user-key-0123456789';
export const auth = (key: string) => ({ authorization: `Bearer ${key}` });

export const TEST_SETTINGS: ApiDeps['settings'] = {
  prefix: 'unused',
  maxBatchItems: 10_000,
  bodyLimitBytes: 16 * 1024 * 1024,
  rateLimitPerMinute: 0,
  itemAttempts: 3,
  itemBackoffMs: 1000,
  resultRetentionSec: 3600,
};

export interface TestApi {
  app: FastifyInstance;
  redis: Redis;
  queue: ItemsQueue;
  prefix: string;
  artifacts: FileArtifactStore;
  profiles: RedisProfileStore;
  close(): Promise<void>;
}

/** The API over a fresh prefix of the test Redis, with three keys (ops admin, acme and other users). */
export async function startTestApi(
  overrides: Partial<ApiDeps['settings']> = {},
  deps: Partial<ApiDeps> = {},
  redisUrl = testRedisUrl(),
): Promise<TestApi> {
  const prefix = testPrefix('api');
  const redis = createRedis(redisUrl, { role: 'producer', overrides: { commandTimeout: 1000 } });
  redis.on('error', () => {});
  await waitReady(redis);
  const queue = createItemsQueue(redis, prefix);
  queue.on('error', () => {});
  const dir = mkdtempSync(join(tmpdir(), 'fleet-api-artifacts-'));
  const artifacts = new FileArtifactStore(dir);
  const app = await buildServer({
    settings: { ...TEST_SETTINGS, prefix, ...overrides },
    redis,
    queue,
    keys: ApiKeyRing.fromEntries([
      { name: 'ops', role: 'admin', key: OPS_KEY },
      { name: 'acme', role: 'user', key: ACME_KEY },
      { name: 'other', role: 'user', key: OTHER_KEY },
    ]),
    artifacts,
    revocationRefreshMs: 100,
    ...deps,
  });
  const profiles = new RedisProfileStore(redis, prefix);
  return {
    app,
    redis,
    queue,
    prefix,
    artifacts,
    profiles,
    async close() {
      await app.close();
      await queue.close().catch(() => {});
      if (redis.status === 'ready') await deletePrefix(redis, prefix);
      redis.disconnect();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The parsed JSON body of an injected response. */
export function json<T = Record<string, unknown>>(response: LightMyRequestResponse): T {
  return JSON.parse(response.body) as T;
}

export const STEPS = [
  { goto: 'https://example.test/{{path}}' },
  { extract: { name: 'title', selector: 'h1' } },
];

export function batchBody(items = 3, extra: Record<string, unknown> = {}) {
  return {
    name: 'test batch',
    pool: 'default',
    steps: STEPS,
    items: Array.from({ length: items }, (_, i) => ({ path: `p${i}` })),
    ...extra,
  };
}
