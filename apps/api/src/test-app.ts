import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiKeyRing } from '@fleet/auth';
import { createItemsQueue, type ItemsQueue } from '@fleet/queue';
import { createRedis, type FleetRedis, RedisProfileStore, waitReady } from '@fleet/redis';
import { bearer, deletePrefix, TEST_KEYS, testPrefix, testRedisUrl } from '@fleet/testing';
import { FileArtifactStore } from '@fleet/webdriver/artifacts';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { type ApiDeps, buildServer } from './server.js';

/** The API's test keys (the shared set): ops (admin), acme and other (tenants). */
export const API_KEYS = [TEST_KEYS.ops, TEST_KEYS.acme, TEST_KEYS.other];
export const OPS_KEY = TEST_KEYS.ops.key;
export const ACME_KEY = TEST_KEYS.acme.key;
export const OTHER_KEY = TEST_KEYS.other.key;
export const auth = bearer;

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
  redis: FleetRedis;
  queue: ItemsQueue;
  prefix: string;
  artifacts: FileArtifactStore;
  /** The artifact store's directory. */
  artifactsDir: string;
  profiles: RedisProfileStore;
  close(): Promise<void>;
}

/** Where a test API runs: the test Redis and a fresh `api` prefix unless told otherwise. */
export interface TestApiPlace {
  redisUrl?: string;
  prefix?: string;
  /** Redis command timeout of the API's connection (ms). */
  commandTimeoutMs?: number;
}

/**
 * The API (buildServer, not listening: `app.inject`, or `app.listen` for real HTTP) over a fresh
 * prefix of the test Redis, with the test keys (ops admin, acme and other users). The one way
 * tests anywhere build an API in-process (the fault suite and the CLI tests use it too).
 */
export async function startTestApi(
  overrides: Partial<ApiDeps['settings']> = {},
  deps: Partial<ApiDeps> = {},
  place: TestApiPlace = {},
): Promise<TestApi> {
  const prefix = place.prefix ?? testPrefix('api');
  const redis = createRedis(place.redisUrl ?? testRedisUrl(), {
    role: 'producer',
    overrides: { commandTimeout: place.commandTimeoutMs ?? 1000 },
  });
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
    keys: ApiKeyRing.fromEntries(API_KEYS),
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
    artifactsDir: dir,
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

/**
 * The test API for the tests of one describe block: started before them (with `profiles`
 * registered), closed after. Its fields are there once `beforeAll` has run.
 */
export function useTestApi(profiles: { id: string; pool: string }[] = []): TestApi {
  const t = {} as TestApi;
  beforeAll(async () => {
    Object.assign(t, await startTestApi());
    for (const profile of profiles) await t.profiles.register(profile);
  });
  afterAll(() => t.close?.());
  return t;
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
