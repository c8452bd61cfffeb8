import { ApiKeyRing } from '@fleet/auth';
import { loadConfigOrExit, runUntilSignal } from '@fleet/config';
import { createLogger } from '@fleet/logger';
import { hasCredentials, ProviderClients } from '@fleet/multilogin';
import { createItemsQueue } from '@fleet/queue';
import {
  checkEvictionPolicy,
  createRedis,
  describeRedisTarget,
  RedisBatchStore,
  redisTargetOf,
  replicaWaitOf,
  SecretBox,
} from '@fleet/redis';
import { closingTracing, startTracing } from '@fleet/telemetry';
import { FileArtifactStore } from '@fleet/webdriver/artifacts';
import { startArtifactSweeper } from './artifact-sweeper.js';
import { type ApiSettings, apiSchema } from './config.js';
import { buildServer } from './server.js';

const config = loadConfigOrExit(apiSchema);
const s: ApiSettings = config.getProperties();
const logger = createLogger({ name: 'api', level: config.get('logLevel') });
// OpenTelemetry from the standard OTEL_* variables only; off (no-op) when they are unset.
const tracing = startTracing('fleet-api');
logger.info({ tracing: tracing.reason }, tracing.enabled ? 'tracing on' : 'tracing off');

let keys: ApiKeyRing;
try {
  keys = ApiKeyRing.fromEntries(s.apiKeys);
} catch (error) {
  console.error(`Fleet API: ${(error as Error).message}`);
  process.exit(2);
}
let secretBox: SecretBox | null;
try {
  secretBox = SecretBox.fromSetting(s.secretKey);
} catch (error) {
  console.error(`Fleet API: ${(error as Error).message}`);
  process.exit(2);
}
if (keys.size === 0) {
  console.error(
    'Fleet API: FLEET_API_KEYS lists no key; add at least one admin key, e.g. [{"name":"ops","role":"admin","key":"<32+ random characters>"}]',
  );
  process.exit(2);
}

// Request paths fail fast: no offline queue, and a command that hangs (Redis paused) fails after
// API_REDIS_TIMEOUT_MS, so clients get 503 at once instead of a hung request.
const target = redisTargetOf(s);
logger.info({ redis: describeRedisTarget(target) }, 'connecting to Redis');
const redis = createRedis(target, {
  role: 'producer',
  name: `fleet-api:${process.pid}`,
  overrides: { commandTimeout: s.redisTimeoutMs },
});
redis.on('error', (err) => logger.warn({ err: { message: err.message } }, 'Redis connection error'));
redis.once('ready', () => void checkEvictionPolicy(redis, logger).catch(() => {}));
// Behind Sentinel a batch is answered 202 once a replica has it (DESIGN.md "Redis failover").
const replicaWait = replicaWaitOf(target, s);
const queue = createItemsQueue(redis, s.prefix, { attempts: s.itemAttempts, backoffMs: s.itemBackoffMs });
queue.on('error', (err) => logger.warn({ err: { message: err.message } }, 'queue error'));

if (!secretBox) logger.warn('FLEET_SECRET_KEY is not set: proxy passwords are stored in Redis as given');

await runUntilSignal(
  async () => {
    const artifacts = new FileArtifactStore(s.artifactsDir);
    const app = await buildServer({
      settings: s,
      ...(replicaWait ? { replicaWait } : {}),
      redis,
      queue,
      keys,
      secretBox,
      webhookAllowedTargets: s.webhookAllowedTargets,
      artifacts,
      profileSource: hasCredentials(s) ? new ProviderClients(s, logger) : null,
      logger,
    });
    await app.listen({ port: s.apiPort, host: s.apiHost });
    // Artifacts of expired batches leave the disk (DESIGN.md section 7).
    const sweeper = startArtifactSweeper({
      store: artifacts,
      batches: new RedisBatchStore(redis, s.prefix),
      everyMs: s.artifactSweepEveryMs,
      minAgeMs: s.artifactSweepMinAgeMs,
      logger,
    });
    const closable = {
      close: async () => {
        await sweeper.stop();
        await app.close();
        await queue.close();
        redis.disconnect();
      },
    };
    return closingTracing(closable, tracing);
  },
  { name: 'api', logger, graceMs: 10_000, parentPid: config.get('parentPid') },
);
