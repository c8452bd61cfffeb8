import {
  type BrowserDriver,
  ItemRunner,
  type LoggerPort,
  ProfileAllocationService,
  type ProfileProvider,
  ProfileSessions,
  ReclaimedBrowsers,
  type ReclaimedLease,
  type ScenarioRunner,
} from '@fleet/core';
import { WorkerMetrics, within } from '@fleet/metrics';
import { HomeLauncherProvider } from '@fleet/multilogin';
import {
  createItemsQueue,
  createItemsWorker,
  FairDispatcher,
  fairSlotOf,
  ITEMS_QUEUE,
  SharedSlots,
  scenarioQueueName,
} from '@fleet/queue';
import {
  checkEvictionPolicy,
  createRedis,
  describeRedisTarget,
  eventStreamOptions,
  type FleetRedis,
  RedisBatchStore,
  RedisCancelBus,
  RedisCheckpointStore,
  RedisEventStream,
  RedisEvidencePolicy,
  RedisFairShare,
  RedisProfileStore,
  RedisProviderHealth,
  RedisResultStore,
  RedisScenarioRegistry,
  RedisSiteLimits,
  RedisStallLedger,
  type RunningEntry,
  redisTargetOf,
  replicaWaitOf,
  SecretBox,
  waitReady,
} from '@fleet/redis';
import { type LoadedScenario, loadScenarios } from '@fleet/scenario';
import { PrivateTargetGuard, type TargetGuard } from '@fleet/targets';
import { FileArtifactStore, ScenarioDriver, WebdriverioDriver } from '@fleet/webdriver';
import { scenariosPath, type WorkerSettings } from './config.js';
import { startHealthServer } from './health-server.js';
import { HostReadings } from './host-readings.js';
import { createItemProcessor, recordIfAbandoned } from './item-processor.js';
import { type PressureChecks, startPressureChecks } from './pressure-checks.js';
import { PressureGate } from './pressure-gate.js';
import { RunningItems } from './running-items.js';

/** The longest a shutdown waits on one chore (withdraw, queue close, unsubscribe, QUIT), past the grace. */
const SHUTDOWN_STEP_MS = 3_000;
/** Stopping every browser (each bounded by the provider's own timeouts) and releasing the leases. */
const SESSIONS_CLOSE_MS = 10_000;

export interface WorkerOverrides {
  /** Replace the browser driver (the pipeline benchmark uses a no-op one). */
  driver?: BrowserDriver;
  provider?: ProfileProvider;
  /** The scenarios to run (main.ts loads SCENARIOS_DIR first, to exit 2 on a broken module); else loaded here. */
  scenarios?: LoadedScenario[];
  /** Replace the scenario runner (tests without a browser). */
  scenarioRunner?: ScenarioRunner;
  /** Replace the host's CPU and memory readings (tests force pressure). */
  hostReadings?: Pick<HostReadings, 'sample'>;
}

export interface RunningWorker {
  sessions: ProfileSessions;
  metrics: WorkerMetrics;
  /** The host-pressure gate's checks (WORKER_MAX_CPU_PERCENT, WORKER_MAX_MEMORY_PERCENT). */
  pressure: PressureChecks;
  /** Serves `/health`, `/ready` and `/metrics`. */
  healthPort: number;
  /** Stop taking jobs, give running items `graceMs` to finish, abort the rest, release everything. */
  close(graceMs?: number): Promise<void>;
}

/** The private-target guard, unless BLOCK_PRIVATE_TARGETS is off. */
function targetGuard(settings: WorkerSettings, logger: LoggerPort): TargetGuard | undefined {
  if (settings.blockPrivateTargets) return new PrivateTargetGuard({ allowed: settings.allowedTargets });
  logger.warn({}, 'BLOCK_PRIVATE_TARGETS is off: items may drive browsers to private and loopback addresses');
  return undefined;
}

/**
 * WebdriverIO for steps, and for the loaded code scenarios, with the same store and guard, and
 * failure evidence counted per batch (EVIDENCE_PER_ERROR).
 */
function browserDrivers(
  settings: WorkerSettings,
  logger: LoggerPort,
  redis: FleetRedis,
  scenarios: LoadedScenario[],
) {
  const artifacts = new FileArtifactStore(settings.artifactsDir);
  const evidencePolicy = new RedisEvidencePolicy(redis, settings.prefix, {
    perError: settings.evidencePerError,
    retentionSec: settings.resultRetentionSec,
  });
  const guard = targetGuard(settings, logger);
  const options = guard ? { artifacts, targetGuard: guard, evidencePolicy } : { artifacts, evidencePolicy };
  return {
    steps: new WebdriverioDriver(options),
    scenarios: new ScenarioDriver({ ...options, scenarios, logger }),
  };
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
  const scenariosDir = scenariosPath(settings.scenariosDir);
  const scenarios = overrides.scenarios ?? (scenariosDir ? await loadScenarios(scenariosDir) : []);
  const target = redisTargetOf(settings);
  logger.info({ redis: describeRedisTarget(target) }, 'connecting to Redis');
  const redis = createRedis(target, { role: 'worker', name: `fleet-worker:${settings.workerId}` });
  redis.on('error', (err) => logger.warn({ err }, 'redis connection error'));
  await waitReady(redis, 30_000);
  await checkEvictionPolicy(redis, logger);

  const secretBox = SecretBox.fromSetting(settings.secretKey);
  // Behind Sentinel, a lease a worker acts on must be on a replica first (DESIGN.md "Redis failover").
  const replicaWait = replicaWaitOf(target, settings);
  const profiles = new RedisProfileStore(
    redis,
    settings.prefix,
    secretBox,
    replicaWait ? { replicaWait } : {},
  );
  // Each profile is started on its home launcher (DESIGN.md section 7); the API's pool view shows
  // the hosts this worker cannot reach.
  const providerHealth = new RedisProviderHealth(redis, settings.prefix);
  const markUp = (launcher: string) => {
    void providerHealth
      .markUp(launcher)
      .catch((err) => logger.warn({ err }, 'could not record a provider as up'));
  };
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
        markUp(launcher);
      },
      // Another worker may have marked it down: a host that answers this one is up (seen: a
      // healed launcher host stayed "down" in the pool view while only other workers used it).
      onAnswered: (launcher) => markUp(launcher),
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
  const events = new RedisEventStream(redis, settings.prefix, eventStreamOptions(settings));
  const drivers = browserDrivers(settings, logger, redis, scenarios);
  const stepDriver = overrides.driver ?? drivers.steps;
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
    // The WebDriver session kept on a warm browser ends with it.
    onBrowserReleased: (endpoint) => stepDriver.release?.(endpoint),
  });
  metrics.watchRedis(redis, 'main');
  const runner = new ItemRunner({
    sessions,
    results: new RedisResultStore(redis, settings.prefix, {
      retentionSec: settings.resultRetentionSec,
      // The events its scripts append (one Redis) are capped and deduped as the stream's own.
      events: eventStreamOptions(settings),
    }),
    events,
    driver: stepDriver,
    scenarios: overrides.scenarioRunner ?? drivers.scenarios,
    checkpoints: new RedisCheckpointStore(redis, settings.prefix, settings.resultRetentionSec),
    batchProxies: new RedisBatchStore(redis, settings.prefix, undefined, secretBox),
    // A slot lasts the lease's TTL (at least 15 s, so a slow browser start does not outlive it):
    // a dead worker's slots come back after it, as its leases do.
    sites: new RedisSiteLimits(redis, settings.prefix, { holdMs: Math.max(settings.leaseTtlMs, 15_000) }),
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
  // The items queue, and one queue per loaded scenario (only workers that have a scenario take its
  // items), sharing WORKER_CONCURRENCY; the same processor and job handling for all.
  const processor = createItemProcessor(runner, logger, { running, metrics, stalls });
  const slots = new SharedSlots(settings.workerConcurrency);
  const fair = new RedisFairShare(redis, settings.prefix);
  const giveBack = (entry: RunningEntry | null) => {
    if (!entry) return;
    fair
      .doneSoon(entry)
      .catch((err) => logger.warn({ err }, 'fair share: could not give a slot back (checked again later)'));
  };
  const consumers = [ITEMS_QUEUE, ...scenarios.map((s) => scenarioQueueName(s.id))].map((queueName) => {
    const gated = slots.gate(processor);
    const worker = createItemsWorker(gated.processor, {
      connection: redis,
      prefix: settings.prefix,
      concurrency: settings.workerConcurrency,
      lockDurationMs: settings.jobLockMs,
      stalledIntervalMs: settings.jobLockMs,
      maxStalledCount: stalledSafetyNet(settings.itemMaxStalls),
      queueName,
    });
    gated.attach(worker);
    worker.on('error', (err) => logger.warn({ err, queue: queueName }, 'queue worker error'));
    // A job the queue gives up for good without a result (attempts spent on lost attempts, or
    // stalled too often by crashing workers) would leave its batch waiting forever: record it failed.
    const jobs = createItemsQueue(redis, settings.prefix, {}, queueName);
    const settle = (jobId: string | undefined) => {
      if (jobId) void recordIfAbandoned(jobs, runner, jobId, logger);
    };
    worker.on('failed', (job) => settle(job?.id));
    worker.on('stalled', (jobId) => settle(jobId));
    // Fair share (README "Sharing a fleet"): a job finished for good gives its tenant's running
    // slot back; the dispatcher (one leads per queue, fleet-wide) hands pending items to BullMQ.
    worker.on('completed', (job) => giveBack(fairSlotOf(job, queueName)));
    worker.on('failed', (job) => {
      if (job?.finishedOn) giveBack(fairSlotOf(job, queueName));
    });
    const dispatcher = settings.fairDispatch
      ? new FairDispatcher(jobs, fair, { owner: settings.workerId, logger }).start()
      : null;
    return { worker, jobs, dispatcher };
  });
  // A cancel aborts the queue's own signal of each running job (no controller per item). BullMQ
  // types the reason as a string but hands it to AbortController.abort as it is: the runner reads
  // the BatchCancelledError's code from it.
  running.useAbortJob((jobId, reason) => consumers.some((c) => c.worker.cancelJob(jobId, reason as string)));
  const worker = consumers[0]!.worker;
  // The host protects itself: no new item while memory is over its threshold, no more than one
  // slot per core while CPU is (section 7).
  const host = new HostReadings();
  const pressure = startPressureChecks({
    gate: new PressureGate(
      settings.workerConcurrency,
      { maxCpuPercent: settings.workerMaxCpuPercent, maxMemoryPercent: settings.workerMaxMemoryPercent },
      host.cores(),
    ),
    readings: overrides.hostReadings ?? host,
    slots,
    metrics,
    everyMs: settings.workerPressureCheckMs,
    logger,
  });
  // BullMQ's own connection for blocking reads (a duplicate of ours); ours is watched above. The
  // cancel bus's subscriber connection is not counted: its errors are logged by the bus.
  void worker
    .getBackend()
    .blockingClient?.then((client) => metrics.watchRedis(client, 'blocking'))
    .catch(() => {});

  // Advertise the scenarios (with their input schemas) and keep them alive with a heartbeat: the
  // API validates batches against them and shows where a batch waits for a worker that has one.
  const registry = new RedisScenarioRegistry(redis, settings.prefix, {
    ttlMs: 3 * settings.scenarioHeartbeatMs,
  });
  const ads = scenarios.map((s) => ({ name: s.name, version: s.version, inputSchema: s.inputSchema }));
  await registry.advertise(settings.workerId, ads);
  const heartbeat = setInterval(() => {
    registry
      .advertise(settings.workerId, ads)
      .catch((err) => logger.warn({ err }, 'could not renew the scenarios in Redis'));
  }, settings.scenarioHeartbeatMs);
  heartbeat.unref();
  if (scenarios.length > 0) {
    logger.info({ scenarios: scenarios.map((s) => s.id), dir: scenariosDir }, 'scenarios loaded');
  }

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

  // No step of a shutdown may hold it past what the caller allows: the worker connection queues
  // commands while a node is unreachable (after a Cluster failover, one the slot map still names),
  // and BullMQ's Worker.close waits for its blocking connection's 'end' event, which an ioredis
  // Cluster did not always emit after a failover (seen in the Cluster fault row: 1 worker in 3 ran
  // into the test's SIGKILL). A step that overruns is logged and left behind:
  // the process exits anyway, and what the step would have tidied is safe to leave (leases expire
  // and are reclaimed, jobs left active are stalled and handed out again).
  const step = async (name: string, work: Promise<unknown>, ms = SHUTDOWN_STEP_MS) => {
    try {
      await within(work, ms);
      logger.debug({}, `shutdown: ${name} done`);
    } catch (error) {
      logger.warn({ err: error, ms }, `shutdown: ${name} did not finish, going on`);
    }
  };
  let closing: Promise<void> | undefined;
  const close = (graceMs = settings.shutdownGraceMs) => {
    closing ??= (async () => {
      logger.info({ graceMs }, 'worker shutting down');
      pressure.stop(); // a consumer it paused closes as a running one does
      clearInterval(reclaimTimer);
      reclaimed.close();
      clearInterval(heartbeat);
      await step(
        'scenario withdrawal',
        registry.withdraw(
          settings.workerId,
          scenarios.map((s) => s.id),
        ),
      );
      await step('fair share dispatchers', Promise.all(consumers.map((c) => c.dispatcher?.stop())));
      const grace = setTimeout(() => {
        for (const c of consumers) c.worker.cancelAllJobs('shutdown');
      }, graceMs);
      // Running items get graceMs, then are cancelled and hand their jobs back.
      await step(
        'queue consumers',
        Promise.all(consumers.map((c) => c.worker.close())),
        graceMs + SHUTDOWN_STEP_MS,
      );
      clearTimeout(grace);
      await step('queues', Promise.all(consumers.map((c) => c.jobs.close())));
      await step('cancel bus', stopListening());
      await step('browsers and leases', sessions.closeAll(), SESSIONS_CLOSE_MS);
      await step('health server', health.close());
      await step('Redis QUIT', redis.quit());
      redis.disconnect();
      logger.info({}, 'worker stopped');
    })();
    return closing;
  };
  return { sessions, metrics, pressure, healthPort: health.port, close };
}
