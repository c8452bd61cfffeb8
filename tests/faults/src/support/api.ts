import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type ApiDeps, buildServer } from '@fleet/api';
import { ApiKeyRing } from '@fleet/auth';
import { createLogger } from '@fleet/logger';
import { createItemsQueue, type ItemsQueue } from '@fleet/queue';
import { createRedis, RedisProfileStore, waitReady } from '@fleet/redis';
import { deletePrefix, testPrefix, testRedisUrl } from '@fleet/testing';
import { FileArtifactStore } from '@fleet/webdriver/artifacts';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { apiRoutes, type Route } from './routes.js';

/** The keys every fault test uses: one admin, two tenants, and a key the hostile corpus may revoke. */
export const KEYS = {
  ops: { name: 'ops', role: 'admin' as const, key: 'ops-admin-key-0123456789abcdef' },
  acme: { name: 'acme', role: 'user' as const, key: 'acme-user-key-0123456789abcdef' },
  other: { name: 'other', role: 'user' as const, key: 'other-user-key-0123456789abcdef' },
  victim: { name: 'victim', role: 'user' as const, key: 'victim-user-key-0123456789abcdef' },
};

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

export interface LogLine {
  level: number;
  msg?: string;
  err?: { type?: string; message?: string; stack?: string };
  [field: string]: unknown;
}

export interface ListeningApi {
  app: FastifyInstance;
  port: number;
  url: string;
  redis: Redis;
  queue: ItemsQueue;
  prefix: string;
  artifacts: FileArtifactStore;
  profiles: RedisProfileStore;
  /** Every route the app registered (from its route tree). */
  routes: Route[];
  /** The API's log lines at warn and above (a 500 is logged at error with its cause). */
  logs: LogLine[];
  close(): Promise<void>;
}

/**
 * The API as `main.ts` runs it (buildServer, then listen) on 127.0.0.1 and a free port, over a
 * fresh prefix of the run's throwaway Redis, with the keys above.
 */
export async function startListeningApi(
  settings: Partial<ApiDeps['settings']> = {},
  prefix = testPrefix('faults'),
): Promise<ListeningApi> {
  const redis = createRedis(testRedisUrl(), { role: 'producer', overrides: { commandTimeout: 2000 } });
  redis.on('error', () => {});
  await waitReady(redis);
  const queue = createItemsQueue(redis, prefix);
  queue.on('error', () => {});
  const dir = mkdtempSync(join(tmpdir(), 'fleet-faults-artifacts-'));
  const artifacts = new FileArtifactStore(dir);
  const logs: LogLine[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        try {
          logs.push(JSON.parse(line) as LogLine);
        } catch {
          logs.push({ level: 60, msg: line });
        }
      }
      callback();
    },
  });
  const app = await buildServer({
    settings: {
      prefix,
      maxBatchItems: 10_000,
      bodyLimitBytes: 256 * 1024,
      rateLimitPerMinute: 0,
      itemAttempts: 3,
      itemBackoffMs: 1000,
      resultRetentionSec: 3600,
      ...settings,
    },
    redis,
    queue,
    keys: ApiKeyRing.fromEntries(Object.values(KEYS)),
    artifacts,
    revocationRefreshMs: 200,
    logger: createLogger({ name: 'api-faults', level: 'warn', pretty: false, destination }),
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const port = Number(new URL(url).port);
  return {
    app,
    port,
    url,
    redis,
    queue,
    prefix,
    artifacts,
    profiles: new RedisProfileStore(redis, prefix),
    routes: apiRoutes(app),
    logs,
    async close() {
      await app.close();
      await queue.close().catch(() => {});
      if (redis.status === 'ready') await deletePrefix(redis, prefix);
      redis.disconnect();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The one valid batch body the tests start from. */
export function batchBody(items = 2, extra: Record<string, unknown> = {}) {
  return {
    name: 'faults batch',
    pool: 'default',
    steps: [{ goto: 'https://example.test/{{path}}' }, { extract: { name: 'title', selector: 'h1' } }],
    items: Array.from({ length: items }, (_, i) => ({ path: `p${i}` })),
    ...extra,
  };
}
