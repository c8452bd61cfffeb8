import {
  type BrowserDriver,
  ItemRunner,
  type LoggerPort,
  ProfileAllocationService,
  type ProfileProvider,
  ProfileSessions,
  ReclaimedBrowsers,
  type ReclaimedLease,
} from '@fleet/core';
import { WorkerMetrics } from '@fleet/metrics';
import { HomeLauncherProvider } from '@fleet/multilogin';
import { createItemsQueue, createItemsWorker } from '@fleet/queue';
import {
  checkEvictionPolicy,
  createRedis,
  RedisBatchStore,
  RedisCancelBus,
  RedisEventStream,
  RedisEvidencePolicy,
  RedisProfileStore,
  RedisProviderHealth,
  RedisResultStore,
  RedisStallLedger,
  SecretBox,
  waitReady,
} from '@fleet/redis';
import { PrivateTargetGuard } from '@fleet/targets';
import { FileArtifactStore, WebdriverioDriver } from '@fleet/webdriver';
import type { Redis } from 'ioredis';
import type { WorkerSettings } from './config.js';
import { startHealthServer } from './health-server.js';
import { createItemProcessor, RunningItems, recordIfAbandoned } from './item-processor.js';

export interface WorkerOverrides {
  /** Replace the browser driver (the pipeline benchmark uses a no-op one). */
  driver?: BrowserDriver;
  provider?: ProfileProvider;
}

export interface RunningWorker {
  sessions: ProfileSessions;
  metrics: WorkerMetrics;
  /** Serves `/health`, `/ready` and `/metrics`. */
  healthPort: number;
  /** Stop taking jobs, give running items `graceMs` to finish, abort the rest, release everything. */
  close(graceMs?: number): Promise<void>;
}

/**
 * WebdriverIO, with the private-target guard unless BLOCK_PRIVATE_TARGETS is off, and failure
 * evidence counted per batch (EVIDENCE_PER_ERROR).
 */
function browserDriver(settings: WorkerSettings, logger: LoggerPort, redis: Redis): BrowserDriver {
  const artifacts = new FileArtifactStore(settings.artifactsDir);
  const evidencePolicy = new RedisEvidencePolicy(redis, settings.prefix, {
    perError: settings.evidencePerError,
    retentionSec: settings.resultRetentionSec,
  });
  if (!settings.blockPrivateTargets) {
    logger.warn(
      {},
      'BLOCK_PRIVATE_TARGETS is off: items may drive browsers to private and loopback addresses',
    );
    return new WebdriverioDriver({ artifacts, evidencePolicy });
  }
  const targetGuard = new PrivateTargetGuard({ allowed: settings.allowedTargets });
  return new WebdriverioDriver({ artifacts, targetGuard, evidencePolicy });
}

/**
 * BullMQ's own stall limit: never the one that decides for an item spread over ITEM_MAX_STALLS
 * hosts, but finite, so an item whose workers keep vanishing on fewer hosts still ends failed
 * (ITEM_STALLED, through recordIfAbandoned). The fault suite's 30-kill storm on one host put at
 * most 4 stalls on any of its 300 items (two runs: 8 and 6 items stalled 3 or more times, which
 * the old fixed limit of 2 would have failed).
 */
export function stalledSafetyNet(itemMaxStalls: number): number {
  return Math.max(10, 3 * itemMaxStalls);
}

/** Builds and starts one worker process's parts from its settings (main.ts and tests use it). */
export async function startWorker(
  settings: WorkerSettings,
  logger: LoggerPort,
  overrides: WorkerOverrides = {},
): Promise<RunningWorker> {
  const redis = createRedis(settings.redisUrl, { role: 'worker', name: `fleet-worker:${settings.workerId}` });
  redis.on('error', (err) => logger.warn({ err }, 'redis connection error'));
  await waitReady(redis, 30_000);
  await checkEvictionPolicy(redis, logger);

  const secretBox = SecretBox.fromSetting(settings.secretKey);
  const profiles = new RedisProfileStore(redis, settings.prefix, secretBox);
  // Each profile is started on its home launcher (DESIGN.md section 7); the API's pool view shows
  // the hosts this worker cannot reach.
  const providerHealth = new RedisProviderHealth(redis, settings.prefix);
  // Read at scrape time, so it may exist before the sessions it reports on.
  const metrics = new WorkerMetrics({
    sessionStats: () => sessions.stats,
    heldProfiles: () => sessions.heldCount,
  });
  const provider =
    overrides.provider ??
    new HomeLauncherProvider(settings, {
      headless: settings.headless,
      logger,
      onUnreachable: (launcher, error) => {
        logger.warn({ launcher, code: error.code }, 'profile provider unreachable');
        metrics.providerUnreachableSeen(launcher);
        void providerHealth
          .markDown(launcher, error.message, settings.workerId)
          .catch((err) => logger.warn({ err }, 'could not record a provider as down'));
      },
      onReachable: (launcher) => {
        logger.info({ launcher }, 'profile provider reachable again');
        void providerHealth
          .markUp(launcher)
          .catch((err) => logger.warn({ err }, 'could not record a provider as up'));
      },
    });
  // The lease script took an expired lease back, so its holder is provably gone: stop its browser
  // where it runs (the profile's home), clear a provider lock it left, and try again while that
  // host is unreachable and nobody has leased the profile since.
  const reclaimed = new ReclaimedBrowsers({ profile: (id) => profiles.get(id), provider, logger });
  const stopReclaimed = (leases: ReclaimedLease[]) => {
    for (const lease of leases) {
      logger.warn(
        { profileId: lease.profileId, owner: lease.owner, fence: lease.fence },
        'reclaimed an expired lease',
      );
    }
    void reclaimed.stop(leases);
  };
  const allocation = new ProfileAllocationService(profiles, {
    leaseTtlMs: settings.leaseTtlMs,
    release: {
      cooldownMs: settings.profileCooldownMs,
      failureThreshold: settings.profileFailureThreshold,
      quarantineMs: settings.profileQuarantineMs,
    },
    reclaimDelayMs: settings.reclaimRestMs,
    onReclaimed: stopReclaimed,
  });
  const events = new RedisEventStream(redis, settings.prefix);
  const sessions = new ProfileSessions(allocation, provider, {
    owner: settings.workerId,
    warmIdleMs: settings.warmIdleMs,
    renewEveryMs: Math.max(100, Math.floor(settings.leaseTtlMs / 3)),
    headless: settings.headless,
    unreachableRestMs: settings.unreachableRestMs,
    logger,
    onQuarantined: async (profileId, reason) => {
      await events.publish({ type: 'profile.quarantined', profileId, at: Date.now(), data: { reason } });
    },
  });
  metrics.watchRedis(redis, 'main');
  const runner = new ItemRunner({
    sessions,
    results: new RedisResultStore(redis, settings.prefix, { retentionSec: settings.resultRetentionSec }),
    events,
    driver: overrides.driver ?? browserDriver(settings, logger, redis),
    batchProxies: new RedisBatchStore(redis, settings.prefix, undefined, secretBox),
    logger,
  });

  // Listening before taking jobs: a cancel announced later reaches every item this process runs.
  // An item of a batch cancelled earlier is dropped by the runner (it asks the batch's status).
  const running = new RunningItems();
  const stopListening = await new RedisCancelBus(redis, settings.prefix, { logger }).listen((batchId) => {
    const aborted = running.cancelBatch(batchId);
    if (aborted.length > 0) logger.info({ batchId, items: aborted }, 'batch cancelled: aborting its items');
  });

  const stalls = {
    ledger: new RedisStallLedger(redis, settings.prefix, settings.resultRetentionSec),
    host: settings.workerHost,
    maxHosts: settings.itemMaxStalls,
  };
  const worker = createItemsWorker(createItemProcessor(runner, logger, { running, metrics, stalls }), {
    connection: redis,
    prefix: settings.prefix,
    concurrency: settings.workerConcurrency,
    lockDurationMs: settings.jobLockMs,
    stalledIntervalMs: settings.jobLockMs,
    maxStalledCount: stalledSafetyNet(settings.itemMaxStalls),
  });
  worker.on('error', (err) => logger.warn({ err }, 'queue worker error'));
  // A job the queue gives up for good without a result (attempts spent on lost attempts, or
  // stalled too often by crashing workers) would leave its batch waiting forever: record it failed.
  const jobs = createItemsQueue(redis, settings.prefix);
  const settle = (jobId: string | undefined) => {
    if (jobId) void recordIfAbandoned(jobs, runner, jobId, logger);
  };
  worker.on('failed', (job) => settle(job?.id));
  worker.on('stalled', (jobId) => settle(jobId));
  // BullMQ's own connection for blocking reads (a duplicate of ours); ours is watched above. The
  // cancel bus's subscriber connection is not counted: its errors are logged by the bus.
  void worker
    .getBackend()
    .blockingClient?.then((client) => metrics.watchRedis(client, 'blocking'))
    .catch(() => {});

  const reclaimTimer = setInterval(async () => {
    try {
      for (const pool of await profiles.pools()) await allocation.reclaimExpired(pool);
    } catch (err) {
      logger.warn({ err }, 'reclaim pass failed');
    }
  }, settings.reclaimEveryMs);
  reclaimTimer.unref();

  const health = await startHealthServer(
    settings.workerPort,
    redis,
    () => ({ workerId: settings.workerId, held: sessions.heldCount, ...sessions.stats }),
    metrics,
  );
  logger.info(
    {
      workerId: settings.workerId,
      host: settings.workerHost,
      concurrency: settings.workerConcurrency,
      port: health.port,
      blockPrivateTargets: settings.blockPrivateTargets,
      allowedTargets: settings.allowedTargets.length,
    },
    'worker started',
  );

  let closing: Promise<void> | undefined;
  const close = (graceMs = settings.shutdownGraceMs) => {
    closing ??= (async () => {
      logger.info({ graceMs }, 'worker shutting down');
      clearInterval(reclaimTimer);
      reclaimed.close();
      const grace = setTimeout(() => worker.cancelAllJobs('shutdown'), graceMs);
      await worker.close();
      clearTimeout(grace);
      await jobs.close().catch(() => undefined);
      await stopListening();
      await sessions.closeAll();
      await health.close();
      await redis.quit().catch(() => redis.disconnect());
      logger.info({}, 'worker stopped');
    })();
    return closing;
  };
  return { sessions, metrics, healthPort: health.port, close };
}
